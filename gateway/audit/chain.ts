/**
 * The audit hash chain: hash = sha256(prev_hash ‖ RFC 8785 canonical JSON of the record).
 * Pure functions shared by the writer and by every verifier.
 */
import { createHash } from 'node:crypto';
import canonicalizeCjs from 'canonicalize';

// A CommonJS module whose typings declare an ES default export: at runtime the import is the function.
const canonicalize = canonicalizeCjs as unknown as (input: unknown) => string | undefined;

export const GENESIS_HASH = '0'.repeat(64);

/** The hashed part of one audit record; `payload` is the parsed JSON object. */
export interface AuditRecord {
  seq: number;
  ts: string;
  type: string;
  action_id: string | null;
  actor: string;
  payload: Record<string, unknown>;
}

/** canonicalJson is RFC 8785 (JCS); it rejects values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no canonical JSON form');
  return text;
}

export function recordHash(prevHash: string, record: AuditRecord): string {
  return chainHash(prevHash, canonicalJson(record));
}

/** The chain step over a record already in canonical form (verifiers reuse it for the Merkle leaf). */
export function chainHash(prevHash: string, canonicalRecord: string): string {
  return createHash('sha256').update(prevHash).update(canonicalRecord).digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
