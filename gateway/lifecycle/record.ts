/**
 * Records one decided proposal in the caller's transaction: the action (PROPOSED), its
 * decision, and the transition the decision calls for, each with its audit record.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit, appendAuditMany, type AuditEntry, type Tx } from '../audit/append.ts';
import { canonicalJson, sha256Hex } from '../schema/canonical-json.ts';
import type { ActionEnvelope } from '../schema/action.ts';
import type { Decision } from '../schema/decision.ts';
import { recordedInput, type DecisionInput } from '../schema/decision-input.ts';
import { insertAction } from '../store/actions.ts';
import { insertDecision } from '../store/decisions.ts';
import type { LifecycleEvent } from './events.ts';
import type { Status } from './states.ts';
import { transition } from './transition.ts';
import { actionDigest, decisionAuditPayload } from './views.ts';

export interface DecidedProposal {
  envelope: ActionEnvelope;
  proposer: string;
  idempotencyKey: string | null;
  /** The action this proposal rolls back (lifecycle/rollback.ts), never from a request. */
  rollbackOf?: string;
  level: string;
  decision: Decision;
  now: number;
  batch?: { id: string; seq: number };
  /** The target state the decision was made on. */
  stateUsed?: Record<string, unknown>;
  /** Everything the decision was made on, for replay by policy impact analysis. */
  input?: DecisionInputParts;
}

/** What decide() received, before the JSON round trip that records it. */
export type DecisionInputParts = Omit<DecisionInput, 'world' | 'envelope'> & {
  envelope: unknown;
  world?: DecisionInput['world'];
};

export function requestDigest(envelope: ActionEnvelope): string {
  const { idempotencyKey: _key, ...body } = envelope;
  return sha256Hex(canonicalJson(body));
}

/** The status a decision sends a new action to. */
export function statusFor(decision: Decision): Status {
  if (decision.effect === 'deny') return 'DENIED';
  if (decision.effect === 'allow') return 'APPROVED';
  if (decision.approval?.vetoWindowSeconds) return 'PENDING_VETO';
  if (!decision.approval || decision.approval.count > 0) return 'PENDING_APPROVAL';
  return 'APPROVED';
}

/** States larger than this are recorded by digest: a controller may report megabytes. */
export const STATE_RECORD_MAX_BYTES = 16_384;

/**
 * The state as a decision record keeps it: as JSON would write it (a NaN becomes null rather
 * than failing the audit's canonical encoding), or its sha256 and size when it is too large to
 * sign into every decision.
 */
export function boundedState(state: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(state);
  if (Buffer.byteLength(text) <= STATE_RECORD_MAX_BYTES)
    return JSON.parse(text) as Record<string, unknown>;
  return { truncated: true, bytes: Buffer.byteLength(text), sha256: sha256Hex(text) };
}

/** Inserts a decision row; returns its id and the audit entry that records it. */
async function decisionRecord(
  trx: Tx,
  actionId: string | null,
  actor: string,
  level: string,
  decision: Decision,
  purpose: 'proposal' | 'recheck' | 'dry_run',
  now: number,
  stateUsed?: Record<string, unknown>,
  input?: DecisionInputParts,
): Promise<{ id: string; entry: AuditEntry }> {
  const id = randomUUID();
  const used = stateUsed ? boundedState(stateUsed) : undefined;
  const kept = input ? recordedInput(input) : undefined;
  await insertDecision(trx, {
    id,
    action_id: actionId,
    purpose,
    effect: decision.effect,
    stage: decision.stage,
    level,
    reasons: JSON.stringify(decision.reasons),
    rules: JSON.stringify(decision.rules),
    approval: decision.approval ? JSON.stringify(decision.approval) : null,
    invariants: JSON.stringify(decision.invariants),
    retry_after_seconds: decision.retryAfterSeconds ?? null,
    recommendation: decision.recommendation ? 1 : 0,
    policy_digest: decision.policyDigest,
    policy_signer: decision.policySigner ?? null,
    timings: JSON.stringify(decision.timings),
    state_used: used ? JSON.stringify(used) : null,
    input: kept?.text ?? null,
    created_at: now,
  });
  const entry: AuditEntry = {
    type: `decision.${purpose}`,
    actionId,
    actor,
    at: now,
    payload: {
      ...decisionAuditPayload(id, level, decision, purpose),
      ...(used ? { state: used } : {}),
      // The input by digest: the row keeps the text, the signed log vouches for it.
      ...(kept
        ? {
            input_sha256: kept.sha256,
            input_bytes: kept.bytes,
            ...(kept.text === null ? { input_kept: false } : {}),
          }
        : {}),
    },
  };
  return { id, entry };
}

export async function recordDecision(
  trx: Tx,
  actionId: string | null,
  actor: string,
  level: string,
  decision: Decision,
  purpose: 'proposal' | 'recheck' | 'dry_run',
  now: number,
  stateUsed?: Record<string, unknown>,
  input?: DecisionInputParts,
): Promise<string> {
  const { id, entry } = await decisionRecord(
    trx,
    actionId,
    actor,
    level,
    decision,
    purpose,
    now,
    stateUsed,
    input,
  );
  await appendAudit(trx, entry);
  return id;
}

export async function recordProposal(
  trx: Tx,
  p: DecidedProposal,
  events: LifecycleEvent[],
): Promise<{ actionId: string; decisionId: string; status: Status }> {
  const id = randomUUID();
  const { envelope: e, decision: d, now } = p;
  const approval = d.approval;
  // One digest: the stored row, the audit record and the approvals bound to it all carry it.
  const digest = actionDigest(e.kind, e.target, e.params);
  await insertAction(trx, {
    id,
    kind: e.kind,
    target: e.target,
    params: JSON.stringify(e.params),
    rationale: e.rationale ?? null,
    confidence: e.confidence ?? null,
    proposer: p.proposer,
    idempotency_key: p.idempotencyKey,
    request_digest: requestDigest(e),
    action_digest: digest,
    status: 'PROPOSED',
    status_reason: null,
    level: p.level,
    batch_id: p.batch?.id ?? null,
    batch_seq: p.batch?.seq ?? null,
    approvals_required: approval?.count ?? 0,
    approval_roles: JSON.stringify(approval?.roles ?? []),
    expires_at: null,
    veto_deadline: null,
    created_at: now,
    updated_at: now,
    approved_at: null,
    started_at: null,
    finished_at: null,
    executor_id: null,
    lease_until: null,
    attempts: 0,
    outcome: null,
  });
  // The proposal's three records (proposed, decided, moved) are appended together, in that order.
  const records: AuditEntry[] = [];
  records.push({
    type: 'action.proposed',
    actionId: id,
    actor: p.proposer,
    at: now,
    payload: {
      kind: e.kind,
      target: e.target,
      params: e.params,
      ...(e.rationale !== undefined ? { rationale: e.rationale } : {}),
      ...(e.confidence !== undefined ? { confidence: e.confidence } : {}),
      ...(p.idempotencyKey ? { idempotency_key: p.idempotencyKey } : {}),
      ...(p.rollbackOf !== undefined ? { rollback_of: p.rollbackOf } : {}),
      ...(p.batch ? { batch_id: p.batch.id, batch_seq: p.batch.seq } : {}),
      digest,
    },
  });
  const decided = await decisionRecord(
    trx,
    id,
    p.proposer,
    p.level,
    d,
    'proposal',
    now,
    p.stateUsed,
    p.input,
  );
  records.push(decided.entry);
  const decisionId = decided.id;
  const to = statusFor(d);
  const set =
    to === 'APPROVED'
      ? { approved_at: now }
      : to === 'PENDING_VETO'
        ? { veto_deadline: now + (approval?.vetoWindowSeconds ?? 0) * 1000 }
        : to === 'PENDING_APPROVAL'
          ? { expires_at: now + (approval?.timeoutSeconds ?? 0) * 1000 }
          : {};
  await transition(
    trx,
    {
      id,
      from: 'PROPOSED',
      to,
      actor: 'policy',
      reason: d.reasons.join('; ') || null,
      set,
      detail: { decision_id: decisionId },
      at: now,
    },
    events,
    records,
  );
  await appendAuditMany(trx, records);
  return { actionId: id, decisionId, status: to };
}
