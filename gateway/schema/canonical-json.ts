/**
 * RFC 8785 (JCS) canonical JSON and sha256, shared by the audit chain, the action digest and
 * the drivers that check what they were asked to run against what was decided.
 */
import { createHash } from 'node:crypto';
import canonicalizeCjs from 'canonicalize';

// A CommonJS module whose typings declare an ES default export: at runtime the import is the
// function.
const canonicalize = canonicalizeCjs as unknown as (input: unknown) => string | undefined;

/** canonicalJson is RFC 8785 (JCS); it rejects values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no canonical JSON form');
  return text;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The digest an action is decided, approved and executed under: kind, target and params in
 * canonical JSON. Approvals bind to it; the executor and the shell driver refuse a mismatch.
 */
export function actionDigest(
  kind: string,
  target: string,
  params: Record<string, unknown>,
): string {
  return sha256Hex(canonicalJson({ kind, target, params }));
}
