/** Expansion proposals, governance cycle reports and readiness attestations. */
import type { Conn, Tx } from './conn.ts';
import type { AttestationsTable, ExpansionProposalsTable } from './types.ts';

export async function proposals(
  db: Conn,
  filter: { target?: string; status?: string } = {},
): Promise<ExpansionProposalsTable[]> {
  let q = db.selectFrom('expansion_proposals').selectAll().orderBy('created_at', 'desc');
  if (filter.target) q = q.where('target', '=', filter.target);
  if (filter.status) q = q.where('status', '=', filter.status);
  return q.execute();
}

export async function proposalById(
  db: Conn,
  id: string,
): Promise<ExpansionProposalsTable | undefined> {
  return db.selectFrom('expansion_proposals').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertProposal(trx: Tx, row: ExpansionProposalsTable): Promise<void> {
  await trx.insertInto('expansion_proposals').values(row).execute();
}

/**
 * Records an approval on a pending proposal whose approvals are still `seen` (optimistic: a
 * concurrent approval makes this return false), completing it when `complete`.
 */
export async function addProposalApproval(
  trx: Tx,
  id: string,
  seen: string,
  approvals: string,
  complete: { at: number } | undefined,
): Promise<boolean> {
  const updated = await trx
    .updateTable('expansion_proposals')
    .set({ approvals, ...(complete ? { status: 'approved', decided_at: complete.at } : {}) })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('approvals', '=', seen)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

export async function rejectPendingProposal(trx: Tx, id: string, at: number): Promise<void> {
  await trx
    .updateTable('expansion_proposals')
    .set({ status: 'rejected', decided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

export async function insertReport(
  trx: Tx,
  row: { id: string; target: string; report: string; created_at: number },
): Promise<void> {
  await trx.insertInto('governance_reports').values(row).execute();
}

export async function reportById(db: Conn, id: string): Promise<string | undefined> {
  return (
    await db
      .selectFrom('governance_reports')
      .select('report')
      .where('id', '=', id)
      .executeTakeFirst()
  )?.report;
}

export async function newestReports(db: Conn, limit: number): Promise<string[]> {
  return (
    await db
      .selectFrom('governance_reports')
      .select('report')
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute()
  ).map((r) => r.report);
}

export async function attestationsSince(
  db: Conn,
  target: string,
  since: number,
): Promise<AttestationsTable[]> {
  return db
    .selectFrom('attestations')
    .selectAll()
    .where('target', '=', target)
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function insertAttestation(trx: Tx, row: AttestationsTable): Promise<void> {
  await trx.insertInto('attestations').values(row).execute();
}

/** When a target's first action was proposed. */
export async function firstActionAt(db: Conn, target: string): Promise<number | undefined> {
  const first = await db
    .selectFrom('actions')
    .select((eb) => eb.fn.min('created_at').as('t'))
    .where('target', '=', target)
    .executeTakeFirst();
  return first?.t === null || first?.t === undefined ? undefined : Number(first.t);
}
