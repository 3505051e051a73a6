/**
 * Spec ↔ code conformance. The lifecycle's transition table in the code must be the
 * `Transitions` set of specs/ActionLifecycle.tla, and traces the real lifecycle leaves in its
 * audit log must be behaviours the spec allows: every step in the table, at most one start per
 * action, starts only after an allow, a veto window or a quorum and never after a re-check
 * that denied, never the proposer approving, no start during an emergency stop but of an
 * estop-exempt kind, nothing held once the stop's sweep has run.
 */
import { STATUSES, TRANSITIONS, type Status } from '../lifecycle/states.ts';
import { nameKey } from '../schema/names.ts';

export type Pair = readonly [from: string, to: string];

/** The pairs of the spec's `Transitions == { <<"A", "B">>, … }` definition. */
export function specTransitions(tla: string): Pair[] {
  const start = tla.indexOf('Transitions ==');
  if (start < 0) throw new Error('the spec has no Transitions definition');
  const open = tla.indexOf('{', start);
  let depth = 0;
  let end = open;
  for (; end < tla.length; end++) {
    if (tla[end] === '{') depth++;
    else if (tla[end] === '}' && --depth === 0) break;
  }
  const body = tla.slice(open, end);
  return [...body.matchAll(/<<\s*"([A-Z_]+)"\s*,\s*"([A-Z_]+)"\s*>>/g)].map(
    (m) => [m[1]!, m[2]!] as const,
  );
}

export function codeTransitions(
  table: Readonly<Record<string, readonly string[]>> = TRANSITIONS,
): Pair[] {
  return Object.entries(table).flatMap(([from, tos]) => tos.map((to) => [from, to] as const));
}

export interface Drift {
  onlyInCode: string[];
  onlyInSpec: string[];
}

export function compareTransitions(spec: readonly Pair[], code: readonly Pair[]): Drift {
  const key = (p: Pair): string => `${p[0]} -> ${p[1]}`;
  const s = new Set(spec.map(key));
  const c = new Set(code.map(key));
  return {
    onlyInCode: [...c].filter((k) => !s.has(k)).sort(),
    onlyInSpec: [...s].filter((k) => !c.has(k)).sort(),
  };
}

/** One audit record, as much of it as the check needs. */
export interface TraceRecord {
  seq: number;
  type: string;
  action_id: string | null;
  actor: string;
  payload: Record<string, unknown>;
}

const HELD = new Set(['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED']);

/**
 * Checks a lifecycle trace against the spec's transitions and safety properties; returns the
 * problems found. `exemptKinds` are the estop-exempt kinds, which the spec lets start during a
 * stop.
 */
export function checkTrace(
  records: readonly TraceRecord[],
  spec: readonly Pair[],
  exemptKinds: ReadonlySet<string> = new Set(),
): string[] {
  const allowed = new Set(spec.map((p) => `${p[0]} -> ${p[1]}`));
  const problems: string[] = [];
  const status = new Map<string, string>();
  const proposer = new Map<string, string>();
  const kind = new Map<string, string>();
  const effect = new Map<string, string>();
  const recheck = new Map<string, string>();
  const approvers = new Map<string, Set<string>>();
  const quorum = new Map<string, number>();
  const starts = new Map<string, number>();
  let estop = false;
  let swept = true;
  for (const r of records) {
    const id = r.action_id;
    const p = r.payload;
    if (r.type === 'estop.engaged') {
      estop = true;
      swept = false;
    } else if (r.type === 'estop.safe_state') {
      swept = true;
      const held = [...status]
        .filter(([a, s]) => HELD.has(s) && !exemptKinds.has(kind.get(a) ?? ''))
        .map(([a]) => a);
      if (held.length > 0)
        problems.push(`seq ${r.seq}: the stop's sweep left ${held.join(', ')} held`);
    } else if (r.type === 'estop.rearmed') {
      estop = false;
    } else if (id && r.type === 'action.proposed') {
      status.set(id, 'PROPOSED');
      proposer.set(id, r.actor);
      kind.set(id, String(p.kind));
    } else if (id && r.type === 'decision.proposal') {
      effect.set(id, String(p.effect));
    } else if (id && r.type === 'decision.recheck') {
      recheck.set(id, String(p.effect));
    } else if (id && r.type === 'approval.granted') {
      // People, not spellings: "op1" and "OP1" are one approver (gateway/auth/names.ts).
      if (nameKey(r.actor) === nameKey(proposer.get(id) ?? ''))
        problems.push(`seq ${r.seq}: ${r.actor} approved their own action ${id}`);
      (approvers.get(id) ?? approvers.set(id, new Set()).get(id)!).add(nameKey(r.actor));
      quorum.set(id, Number(p.required));
    } else if (
      id &&
      r.type.startsWith('action.') &&
      typeof p.from === 'string' &&
      typeof p.to === 'string'
    ) {
      const from = p.from;
      const to = p.to;
      if (status.get(id) !== undefined && status.get(id) !== from)
        problems.push(`seq ${r.seq}: ${id} moves from ${from}, but it was ${status.get(id)}`);
      if (!allowed.has(`${from} -> ${to}`))
        problems.push(`seq ${r.seq}: ${id} takes ${from} -> ${to}, which the spec does not allow`);
      if (
        from === 'PENDING_APPROVAL' &&
        to === 'APPROVED' &&
        (approvers.get(id)?.size ?? 0) < (quorum.get(id) ?? 1)
      ) {
        problems.push(
          `seq ${r.seq}: ${id} approved with ${approvers.get(id)?.size ?? 0} of ${quorum.get(id)} approvals`,
        );
      }
      if (to === 'EXECUTING') {
        starts.set(id, (starts.get(id) ?? 0) + 1);
        if (starts.get(id)! > 1) problems.push(`seq ${r.seq}: ${id} starts a second time`);
        if (estop && !exemptKinds.has(kind.get(id) ?? ''))
          problems.push(`seq ${r.seq}: ${id} starts during an emergency stop`);
        // The spec's Claim: the time-of-use re-check decides between EXECUTING and BLOCKED.
        if (recheck.get(id) === 'deny')
          problems.push(`seq ${r.seq}: ${id} starts although its time-of-use re-check denied it`);
      }
      // Straight to APPROVED only on a decision that did not deny (allow, or no approval needed).
      if (from === 'PROPOSED' && to === 'APPROVED' && effect.get(id) === 'deny')
        problems.push(`seq ${r.seq}: ${id} approved on a deny decision`);
      if (from === 'PROPOSED' && to === 'DENIED' && effect.get(id) !== 'deny')
        problems.push(`seq ${r.seq}: ${id} denied on a ${effect.get(id) ?? 'missing'} decision`);
      if (estop && swept && HELD.has(to) && !exemptKinds.has(kind.get(id) ?? ''))
        problems.push(`seq ${r.seq}: ${id} becomes ${to} after the stop's sweep`);
      status.set(id, to);
    }
  }
  return problems;
}

export const CODE_STATUSES: readonly Status[] = STATUSES;
