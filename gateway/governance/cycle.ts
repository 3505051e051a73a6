/**
 * The governance cycle (the governance document's weekly agent): collect metrics, assess
 * readiness, check breakers, and when every condition holds, propose the next level. A
 * proposal raises the level only once every required role has approved it, and never while
 * a breaker event is unresolved.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../audit/append.ts';
import type { Principal } from '../auth/tokens.ts';
import { setAutonomy } from '../lifecycle/autonomy.ts';
import { levelInForce } from '../lifecycle/context.ts';
import { inTx, type Deps } from '../lifecycle/deps.ts';
import { rank } from '../lifecycle/levels.ts';
import { InterlockError } from '../schema/errors.ts';
import { requireReason } from '../schema/reason.ts';
import type { ExpansionProposalsTable } from '../store/types.ts';
import { listEvents } from './breakers.ts';
import { assessReadiness, type Checklist, type ReadinessReport } from './readiness.ts';
import { windowMetrics, type WindowMetrics } from './window.ts';
import { sameName } from '../schema/names.ts';
import {
  addProposalApproval,
  insertProposal,
  insertReport,
  newestReports,
  proposalById,
  proposals,
  rejectPendingProposal,
  reportById,
} from '../store/governance.ts';

export interface ProposalBody {
  kinds: string[];
  validationDays: number;
  risk: 'low' | 'medium' | 'high';
  mitigations: string[];
  evidence: {
    readinessScore: number;
    readinessRatio: number;
    metrics: WindowMetrics;
    daysAtLevel: number | null;
  };
}

export interface ProposalView {
  id: string;
  target: string;
  from: string;
  to: string;
  status: string;
  requiredRoles: string[];
  approvals: { actor: string; role: string; at: string }[];
  createdAt: string;
  decidedAt: string | null;
  body: ProposalBody;
}

export interface CycleReport {
  id: string;
  target: string;
  at: string;
  level: string;
  metrics: WindowMetrics;
  readiness: Pick<ReadinessReport, 'score' | 'max' | 'ratio' | 'status' | 'blockers'>;
  unresolvedBreakerEvents: number;
  pendingProposals: number;
  decision: { propose: boolean; reasons: string[] };
  proposal: ProposalView | null;
}

const view = (r: ExpansionProposalsTable): ProposalView => ({
  id: r.id,
  target: r.target,
  from: r.from_level,
  to: r.to_level,
  status: r.status,
  requiredRoles: JSON.parse(r.required_roles) as string[],
  approvals: JSON.parse(r.approvals) as ProposalView['approvals'],
  createdAt: new Date(Number(r.created_at)).toISOString(),
  decidedAt: r.decided_at === null ? null : new Date(Number(r.decided_at)).toISOString(),
  body: JSON.parse(r.body) as ProposalBody,
});

const RISK_ORDER = ['low', 'medium', 'high', 'critical'];

export async function runCycle(
  deps: Deps,
  checklist: Checklist,
  principal: Principal,
  target: string,
): Promise<CycleReport> {
  const evaluator = deps.policy();
  if (!evaluator) throw new InterlockError('policy_unavailable', 'no policy bundle is loaded');
  const now = deps.now();
  const level = await levelInForce(deps, evaluator, target);
  const metrics = await windowMetrics(deps.db, target, now - 7 * 86_400_000);
  const readiness = await assessReadiness(deps, checklist, target);
  const unresolved = (await listEvents(deps.db, { unresolved: true, target })).length;
  const pending = await proposals(deps.db, { target, status: 'pending' });
  const order = evaluator.data.autonomy.order;
  const next = order[rank(evaluator.data, level) + 1];
  const days = readiness.metrics.days_at_level ?? null;

  // The document's expansion conditions, each stated when it fails.
  const reasons: string[] = [];
  if (readiness.ratio < checklist.thresholds.ready)
    reasons.push(
      `readiness ${readiness.score}/${readiness.max} is under ${Math.round(checklist.thresholds.ready * 100)} %`,
    );
  if (readiness.blockers.length)
    reasons.push(`required items not passed: ${readiness.blockers.join(', ')}`);
  if (unresolved) reasons.push(`${unresolved} circuit breaker event(s) unresolved`);
  if (pending.length) reasons.push('a proposal is already waiting for approval');
  if (days === null || days < checklist.expansion.min_days_at_level)
    reasons.push(`${days ?? 0} days at ${level}; ${checklist.expansion.min_days_at_level} needed`);
  if (!next) reasons.push(`${level} is the highest level`);
  const propose = reasons.length === 0;

  const id = randomUUID();
  let proposal: ProposalView | null = null;
  await inTx(deps, async (trx) => {
    if (propose && next) {
      const kinds = evaluator.data.autonomy.whitelist[next] ?? [];
      const risks = kinds.map((k) => evaluator.data.catalog[k.split(':')[0]!]?.risk ?? 'low');
      const worst = risks.reduce(
        (a, b) => (RISK_ORDER.indexOf(b) > RISK_ORDER.indexOf(a) ? b : a),
        'low',
      );
      const risk: ProposalBody['risk'] =
        worst === 'low' ? 'low' : worst === 'medium' ? 'medium' : 'high';
      const body: ProposalBody = {
        kinds,
        validationDays: risk === 'low' ? 14 : risk === 'medium' ? 30 : 60,
        risk,
        mitigations: [
          'circuit breakers revert to L3 on trouble',
          'time-of-use re-check of every action',
          'emergency stop and rearm at L3',
        ],
        evidence: {
          readinessScore: readiness.score,
          readinessRatio: readiness.ratio,
          metrics,
          daysAtLevel: days,
        },
      };
      const pid = randomUUID();
      const row: ExpansionProposalsTable = {
        id: pid,
        target,
        from_level: level,
        to_level: next,
        body: JSON.stringify(body),
        required_roles: JSON.stringify(checklist.expansion.required_roles),
        approvals: '[]',
        status: 'pending',
        created_at: now,
        decided_at: null,
      };
      await insertProposal(trx, row);
      await appendAudit(trx, {
        type: 'governance.proposed',
        actor: principal.id,
        at: now,
        payload: {
          proposal: pid,
          target,
          from: level,
          to: next,
          kinds,
          risk,
          required_roles: checklist.expansion.required_roles,
        },
      });
      proposal = view(row);
    }
    const report: CycleReport = {
      id,
      target,
      at: new Date(now).toISOString(),
      level,
      metrics,
      readiness: {
        score: readiness.score,
        max: readiness.max,
        ratio: readiness.ratio,
        status: readiness.status,
        blockers: readiness.blockers,
      },
      unresolvedBreakerEvents: unresolved,
      pendingProposals: pending.length,
      decision: { propose, reasons },
      proposal,
    };
    await insertReport(trx, { id, target, report: JSON.stringify(report), created_at: now });
    await appendAudit(trx, {
      type: 'governance.cycle',
      actor: principal.id,
      at: now,
      payload: { report: id, target, propose, reasons, readiness: readiness.score },
    });
  });
  return getReport(deps, id);
}

export async function getReport(deps: Deps, id: string): Promise<CycleReport> {
  const report = await reportById(deps.db, id);
  if (report === undefined)
    throw new InterlockError('not_found', `no governance report ${id}`, { field: 'id' });
  return JSON.parse(report) as CycleReport;
}

export async function listReports(deps: Deps, limit = 10): Promise<CycleReport[]> {
  return (await newestReports(deps.db, limit)).map((r) => JSON.parse(r) as CycleReport);
}

export async function listProposals(deps: Deps, status?: string): Promise<ProposalView[]> {
  return (await proposals(deps.db, status ? { status } : {})).map(view);
}

export const ProposalVerdictSchema = z.strictObject({
  reason: z.string().min(1).max(2000).optional(),
});

/** One required role approves; the last one raises the level. */
export async function approveProposal(
  deps: Deps,
  principal: Principal,
  id: string,
  reason?: string,
): Promise<ProposalView> {
  const row = await proposalById(deps.db, id);
  if (!row) throw new InterlockError('not_found', `no proposal ${id}`, { field: 'id' });
  const p = view(row);
  if (p.status !== 'pending')
    throw new InterlockError('conflict', `proposal ${id} is ${p.status}`, { field: 'id' });
  if (!p.requiredRoles.includes(principal.role))
    throw new InterlockError(
      'forbidden',
      `approving needs one of the roles ${p.requiredRoles.join(', ')} (you are ${principal.role})`,
    );
  if (p.approvals.some((a) => a.role === principal.role))
    throw new InterlockError(
      'conflict',
      `role ${principal.role} has approved already; the proposal needs ${p.requiredRoles.filter((r) => !p.approvals.some((a) => a.role === r)).join(', ')}`,
      { field: 'role' },
    );
  if (p.approvals.some((a) => sameName(a.actor, principal.id)))
    throw new InterlockError(
      'conflict',
      `${principal.id} has approved already; each role needs a different person`,
      { field: 'approver' },
    );
  const open = await listEvents(deps.db, { unresolved: true, target: p.target });
  if (open.length)
    throw new InterlockError(
      'conflict',
      `circuit breaker ${open[0]!.rule} is unresolved on ${p.target}: no expansion until it is resolved`,
      { field: 'id' },
    );
  const now = deps.now();
  const approvals = [
    ...p.approvals,
    { actor: principal.id, role: principal.role, at: new Date(now).toISOString() },
  ];
  const complete = p.requiredRoles.every((r) => approvals.some((a) => a.role === r));
  await inTx(deps, async (trx) => {
    if (
      !(await addProposalApproval(
        trx,
        id,
        row.approvals,
        JSON.stringify(approvals),
        complete ? { at: now } : undefined,
      ))
    )
      throw new InterlockError('conflict', `proposal ${id} changed meanwhile; try again`, {
        field: 'id',
      });
    await appendAudit(trx, {
      type: 'governance.approved',
      actor: principal.id,
      at: now,
      payload: { proposal: id, role: principal.role, complete, ...(reason ? { reason } : {}) },
    });
  });
  if (complete)
    await setAutonomy(
      deps,
      principal,
      p.target,
      p.to,
      `expansion proposal ${id} approved by ${approvals.map((a) => `${a.actor} (${a.role})`).join(', ')}`,
      { viaProposal: true },
    );
  return (await listProposals(deps)).find((x) => x.id === id)!;
}

export async function rejectProposal(
  deps: Deps,
  principal: Principal,
  id: string,
  reason: string,
): Promise<ProposalView> {
  requireReason(reason, 'reject a proposal');
  const row = await proposalById(deps.db, id);
  if (!row) throw new InterlockError('not_found', `no proposal ${id}`, { field: 'id' });
  const p = view(row);
  if (p.status !== 'pending')
    throw new InterlockError('conflict', `proposal ${id} is ${p.status}`, { field: 'id' });
  if (!p.requiredRoles.includes(principal.role))
    throw new InterlockError(
      'forbidden',
      `rejecting needs one of the roles ${p.requiredRoles.join(', ')} (you are ${principal.role})`,
    );
  const now = deps.now();
  await inTx(deps, async (trx) => {
    await rejectPendingProposal(trx, id, now);
    await appendAudit(trx, {
      type: 'governance.rejected',
      actor: principal.id,
      at: now,
      payload: { proposal: id, reason },
    });
  });
  return (await listProposals(deps)).find((x) => x.id === id)!;
}
