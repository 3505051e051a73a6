/** Optional JSON bodies, for verdict routes where a reason may be omitted. */
import type { HonoRequest } from 'hono';
import type { z } from 'zod';
import { describeIssues, fieldIssues, ValidationError } from '../schema/errors.ts';
import { ILL_FORMED_MESSAGE, illFormedField } from '../schema/unicode.ts';

/** Verdict bodies are optional: an empty body is `{}`; a present body must be valid JSON. */
export async function optionalBody<T>(req: HonoRequest, schema: z.ZodType<T>): Promise<T> {
  const text = await req.text();
  let value: unknown = {};
  if (text.trim()) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ValidationError('Malformed JSON in request body', [
        { field: '(body)', message: 'not valid JSON' },
      ]);
    }
  }
  // The console's JSON posts come through here too: a lone surrogate is refused by name.
  const illFormed = illFormedField(value);
  if (illFormed !== undefined)
    throw new ValidationError(`${illFormed.toWellFormed()}: ${ILL_FORMED_MESSAGE}`, [
      { field: illFormed.toWellFormed(), message: ILL_FORMED_MESSAGE },
    ]);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues);
    throw new ValidationError(describeIssues(issues), issues);
  }
  return parsed.data;
}
