/**
 * The console's filter forms arrive as query strings. Each field is parsed on its own: a value
 * that does not parse is dropped and named in a notice, so a hand-edited link still shows a
 * page instead of an error.
 */
import { z } from 'zod';

/** A name filter (target, kind, proposer, rule): printable and bounded, as the gateway's names are. */
export const FilterName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{C}]+$/u, 'holds a control character');

export interface FieldNotice<F extends string> {
  field: F;
  message: string;
}

/** Parses the fields present (blank ones count as absent); the rest are left out. */
export function parseQueryFields<T extends Record<string, z.ZodType>>(
  fields: T,
  query: Record<string, string | undefined>,
): {
  values: { [K in keyof T]?: z.output<T[K]> };
  notices: FieldNotice<Extract<keyof T, string>>[];
} {
  const values: { [K in keyof T]?: z.output<T[K]> } = {};
  const notices: FieldNotice<Extract<keyof T, string>>[] = [];
  for (const field of Object.keys(fields) as Extract<keyof T, string>[]) {
    const raw = query[field]?.trim();
    if (raw === undefined || raw === '') continue;
    const parsed = fields[field]!.safeParse(raw);
    if (parsed.success) values[field] = parsed.data as z.output<T[typeof field]>;
    else notices.push({ field, message: parsed.error.issues[0]?.message ?? 'invalid' });
  }
  return { values, notices };
}
