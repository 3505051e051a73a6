/**
 * Decision cards: one per action proposed in an audit window, built from the audit records
 * alone (not from mutable tables), so every field traces back to signed, chained records.
 */
import type { Db } from '../store/db.ts';
import type { DecisionCard } from './statement.ts';
import { actionRecordsIn } from '../store/audit-log.ts';

export type { DecisionCard };

const ENDINGS = new Set(['REJECTED', 'VETOED', 'CANCELLED', 'EXPIRED', 'DENIED']);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export async function decisionCards(
  db: Db,
  fromSeq: number,
  toSeq: number,
): Promise<DecisionCard[]> {
  const rows = await actionRecordsIn(db, fromSeq, toSeq);
  const cards = new Map<string, DecisionCard>();
  for (const r of rows) {
    const id = r.action_id!;
    const p = JSON.parse(r.payload) as Record<string, unknown>;
    if (r.type === 'action.proposed') {
      cards.set(id, {
        action_id: id,
        kind: str(p.kind),
        target: str(p.target),
        params: p.params,
        proposer: r.actor,
        proposed_at: r.ts,
        digest: str(p.digest),
        decision: null,
        approvers: [],
        status: 'PROPOSED',
        ended_by: null,
        outcome: null,
        records: [Number(r.seq)],
      });
      continue;
    }
    // Actions proposed before the window are left to the window that holds their proposal.
    const card = cards.get(id);
    if (!card) continue;
    card.records.push(Number(r.seq));
    if (r.type === 'decision.proposal') {
      card.decision = {
        effect: str(p.effect),
        stage: str(p.stage),
        level: str(p.level),
        rules: p.rules,
        reasons: p.reasons,
        policy_digest: p.policy_digest ?? null,
        // Who sealed the bundle that decided (gateways that require signed policy).
        ...(typeof p.policy_signer === 'string' ? { policy_signer: p.policy_signer } : {}),
      };
    } else if (r.type === 'approval.granted') {
      card.approvers.push({ actor: r.actor, role: str(p.role), at: r.ts });
    } else if (r.type.startsWith('action.')) {
      const to = str(p.to) || r.type.slice('action.'.length).toUpperCase();
      card.status = to;
      if (ENDINGS.has(to))
        card.ended_by = {
          actor: r.actor,
          status: to,
          ...(typeof p.reason === 'string' ? { reason: p.reason } : {}),
          at: r.ts,
        };
      if (p.outcome && typeof p.outcome === 'object')
        card.outcome = p.outcome as Record<string, unknown>;
    }
  }
  return [...cards.values()];
}
