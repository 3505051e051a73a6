/**
 * Batches: a sequence of actions proposed together and approvable in one step. Every member
 * is still decided, logged and executed on its own, in order; one denied member blocks the
 * whole batch, and a member that does not complete cancels the ones after it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../audit/append.ts';
import type { Principal } from '../auth/tokens.ts';
import type { ActionEnvelope } from '../schema/action.ts';
import { describeIssues, fieldIssues, InterlockError, ValidationError } from '../schema/errors.ts';
import { requireReason } from '../schema/reason.ts';
import type { RateLimit } from '../schema/policy-data.ts';
import { limitApplies } from './context.ts';
import { inGroupTx, inTx, type Deps } from './deps.ts';
import {
  beginRecording,
  decideProposal,
  decisionInputOf,
  parseProposal,
  settleRates,
  type Decided,
} from './propose.ts';
import { recordProposal } from './record.ts';
import type { Status } from './states.ts';
import { transition } from './transition.ts';
import { approveIn } from './verdicts.ts';
import { actionView, type ActionView } from './views.ts';
import { may } from '../schema/permissions.ts';
import { sameName } from '../schema/names.ts';
import { actionsOfBatch, approvalsOf } from '../store/actions.ts';
import { batchById, insertBatch } from '../store/batches.ts';

export interface BatchView {
  id: string;
  proposer: string;
  status: string;
  rationale: string | null;
  createdAt: string;
  actions: ActionView[];
}

export const BatchBodySchema = z.strictObject({
  actions: z.array(z.unknown()).min(1),
  rationale: z.string().max(4000).optional(),
});

export async function proposeBatch(
  deps: Deps,
  principal: Principal,
  body: unknown,
): Promise<BatchView> {
  const parsed = BatchBodySchema.safeParse(body);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues);
    throw new ValidationError(describeIssues(issues), issues);
  }
  const max = deps.config.batches.maxActions;
  if (parsed.data.actions.length > max) {
    throw new ValidationError(`a batch holds at most ${max} actions`, [
      { field: 'actions', message: `${parsed.data.actions.length} actions; the limit is ${max}` },
    ]);
  }
  const envelopes: ActionEnvelope[] = [];
  for (const [i, raw] of parsed.data.actions.entries())
    envelopes.push(await parseProposal(deps, principal, raw, `actions.${i}`));

  // Decided one by one; members ahead in the batch count toward the later ones' rate limits.
  const decided: Decided[] = [];
  const evaluator = deps.policy();
  for (const [i, envelope] of envelopes.entries()) {
    const aheadInBatch = countedAhead(envelope, decided, evaluator?.data.rate_limits ?? []);
    const d = await decideProposal(deps, principal, envelope, {
      field: `actions.${i}`,
      batchSize: envelopes.length,
      aheadInBatch,
      ...(evaluator ? { evaluator } : {}),
    });
    decided.push(d);
  }
  const batchId = randomUUID();
  const now = deps.now();
  await inGroupTx(deps, async (trx, events) => {
    await beginRecording(trx, principal);
    // Counted again where they are recorded: proposals that landed since may deny a member.
    const settled: Decided[] = [];
    for (const d of decided) settled.push(await settleRates(trx, deps, d));
    const firstDenied = settled.findIndex((d) => d.decision.effect === 'deny');
    await insertBatch(trx, {
      id: batchId,
      proposer: principal.id,
      status: firstDenied >= 0 ? 'BLOCKED' : 'ACCEPTED',
      size: decided.length,
      rationale: parsed.data.rationale ?? null,
      created_at: now,
    });
    await appendAudit(trx, {
      type: 'batch.proposed',
      actor: principal.id,
      at: now,
      payload: {
        batch_id: batchId,
        size: decided.length,
        ...(firstDenied >= 0 ? { blocked_by: firstDenied } : {}),
      },
    });
    for (const [seq, d] of settled.entries()) {
      const { actionId, status } = await recordProposal(
        trx,
        {
          envelope: d.envelope,
          proposer: principal.id,
          idempotencyKey: null,
          level: d.level,
          decision: d.decision,
          now,
          batch: { id: batchId, seq },
          stateUsed: d.state,
          input: decisionInputOf(d),
        },
        events,
      );
      if (firstDenied >= 0 && status !== 'DENIED') {
        await transition(
          trx,
          {
            id: actionId,
            from: status,
            to: 'CANCELLED',
            actor: 'system',
            reason: `batch member ${firstDenied} was denied`,
            at: now,
          },
          events,
        );
      }
    }
  });
  return getBatch(deps, batchId);
}

/**
 * Per rate limit, the earlier members of the batch that it counts for this member. They are not
 * stored yet, so the database count misses them; the decision's snapshot adds them, and the
 * policy's rate limits decide as for any other proposal.
 */
function countedAhead(
  member: ActionEnvelope,
  ahead: Decided[],
  limits: RateLimit[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const limit of limits) {
    const matches = (kind: string): boolean => limitApplies(limit, kind);
    if (!matches(member.kind)) continue;
    const extra = ahead.filter(
      (a) =>
        a.decision.effect !== 'deny' &&
        matches(a.envelope.kind) &&
        (!limit.per.includes('target') || a.envelope.target === member.target) &&
        (!limit.per.includes('kind') || a.envelope.kind === member.kind),
    ).length;
    if (extra > 0) counts[limit.id] = extra;
  }
  return counts;
}

export async function getBatch(deps: Deps, id: string): Promise<BatchView> {
  const batch = await batchById(deps.db, id);
  if (!batch) throw new InterlockError('not_found', `no batch ${id}`, { field: 'id' });
  const rows = await actionsOfBatch(deps.db, id);
  const approvals = await approvalsOf(
    deps.db,
    rows.map((r) => r.id),
  );
  return {
    id: batch.id,
    proposer: batch.proposer,
    status: batch.status,
    rationale: batch.rationale,
    createdAt: new Date(Number(batch.created_at)).toISOString(),
    actions: rows.map((r) =>
      actionView(
        r,
        approvals.filter((a) => a.action_id === r.id),
      ),
    ),
  };
}

/** Bulk approval: one approval per pending member, each checked and audited as if given alone. */
export async function approveBatch(
  deps: Deps,
  principal: Principal,
  id: string,
  reason: string | undefined,
): Promise<BatchView> {
  const batch = await getBatch(deps, id);
  if (batch.status === 'BLOCKED')
    throw new InterlockError('conflict', `batch ${id} is blocked: a member was denied`, {
      field: 'id',
    });
  const pending = batch.actions.filter(
    (a) => a.status === 'PENDING_APPROVAL' || a.status === 'PENDING_VETO',
  );
  if (pending.length === 0)
    throw new InterlockError('conflict', `batch ${id} has no action waiting for approval`, {
      field: 'id',
    });
  await inTx(deps, async (trx, events) => {
    for (const action of pending)
      await approveIn(trx, deps, principal, action.id, { reason, digest: action.digest }, events);
  });
  return getBatch(deps, id);
}

const NOT_STARTED = ['PROPOSED', 'PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'] as const;

/**
 * The batch kill switch: every member that has not started is cancelled (skipped) and the one
 * running is aborted (its process killed by the driver). Members already finished stay as they are.
 */
export async function cancelBatch(
  deps: Deps,
  aborter: { abort(actionId: string): boolean },
  principal: Principal,
  id: string,
  reason: string,
): Promise<BatchView> {
  requireReason(reason, 'cancel a batch');
  const batch = await getBatch(deps, id);
  if (!sameName(principal.id, batch.proposer) && !may(principal.role, 'decide')) {
    throw new InterlockError(
      'forbidden',
      `only the proposer, an operator or an admin may cancel batch ${id}`,
    );
  }
  const now = deps.now();
  await inTx(deps, async (trx, events) => {
    for (const a of batch.actions) {
      if ((NOT_STARTED as readonly string[]).includes(a.status)) {
        await transition(
          trx,
          {
            id: a.id,
            from: a.status as Status,
            to: 'CANCELLED',
            actor: principal.id,
            reason: `batch cancelled: ${reason}`,
            at: now,
          },
          events,
        );
      }
    }
    await appendAudit(trx, {
      type: 'batch.cancelled',
      actor: principal.id,
      at: now,
      payload: { batch_id: id, reason },
    });
  });
  for (const a of batch.actions.filter((x) => x.status === 'EXECUTING')) aborter.abort(a.id);
  return getBatch(deps, id);
}
