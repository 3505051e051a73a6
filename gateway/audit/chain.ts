/**
 * The audit hash chain: hash = sha256(prev_hash ‖ RFC 8785 canonical JSON of the record).
 * Pure functions shared by the writer and by every verifier.
 */
import { hash } from 'node:crypto';
import { canonicalJson } from '../schema/canonical-json.ts';
import type { AuditLogTable } from '../store/types.ts';

/** The columns of a stored record; `payload` is the canonical JSON text the writer hashed. */
export type StoredColumns = Pick<
  AuditLogTable,
  'seq' | 'ts' | 'type' | 'action_id' | 'actor' | 'payload'
>;

export const GENESIS_HASH = '0'.repeat(64);

export { FIRST_SEQ } from '../store/audit-reads.ts';

/** The hashed part of one audit record; `payload` is the parsed JSON object. */
export interface AuditRecord {
  seq: number;
  ts: string;
  type: string;
  action_id: string | null;
  actor: string;
  payload: Record<string, unknown>;
}

export function recordHash(prevHash: string, record: AuditRecord): string {
  return chainHash(prevHash, canonicalJson(record));
}

/**
 * The chain step over a record already in canonical form (verifiers reuse it for the Merkle leaf).
 */
export function chainHash(prevHash: string, canonicalRecord: string): string {
  return hash('sha256', prevHash + canonicalRecord, 'hex');
}

/**
 * The canonical (RFC 8785) form of a stored record, built from its columns. The payload column
 * already holds canonical JSON (the writer stores exactly what it hashed) and JCS serialises
 * strings and integers as JSON.stringify does, so no parse and re-serialise is needed.
 */
export function storedCanonical(row: StoredColumns): string {
  return `{"action_id":${JSON.stringify(row.action_id)},"actor":${JSON.stringify(row.actor)},"payload":${row.payload},"seq":${Number(row.seq)},"ts":${JSON.stringify(row.ts)},"type":${JSON.stringify(row.type)}}`;
}
