/**
 * Spec ↔ code conformance: the code's transition table is the spec's `Transitions`, a drift
 * in either fails, and randomized runs of the real gateway (proposals at several levels,
 * approvals including self-approval attempts, rejects, cancels, timeouts, veto windows,
 * emergency stops and rearms) leave audit traces the spec accepts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSITIONS, STATUSES } from '../gateway/lifecycle/states.ts';
import { projectRoot } from '../gateway/paths.ts';
import { checkTrace, codeTransitions, compareTransitions, specTransitions, type TraceRecord } from '../gateway/specs/conformance.ts';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

const spec = specTransitions(readFileSync(path.join(projectRoot, 'specs', 'ActionLifecycle.tla'), 'utf8'));

describe('the transition table', () => {
  it('is the same in the code and in the spec', () => {
    expect(spec.length).toBeGreaterThan(15);
    expect(compareTransitions(spec, codeTransitions())).toEqual({ onlyInCode: [], onlyInSpec: [] });
    expect(new Set(spec.flat())).toEqual(new Set(STATUSES));
  });

  it('a transition added in the code but not in the spec is drift', () => {
    const drifted = { ...TRANSITIONS, BLOCKED: ['APPROVED'] };
    expect(compareTransitions(spec, codeTransitions(drifted))).toEqual({ onlyInCode: ['BLOCKED -> APPROVED'], onlyInSpec: [] });
    const fewer = { ...TRANSITIONS, APPROVED: TRANSITIONS.APPROVED.filter((s) => s !== 'CANCELLED') };
    expect(compareTransitions(spec, codeTransitions(fewer)).onlyInSpec).toEqual(['APPROVED -> CANCELLED']);
  });
});

/** A small seeded generator, so a failing run can be repeated. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('randomized runs of the real lifecycle', () => {
  let t: TestGateway;
  const records: TraceRecord[] = [];
  beforeAll(async () => {
    t = await startTestGateway();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('leave traces the spec accepts', async () => {
    const kinds: [string, Record<string, unknown>][] = [
      ['roaster.set_fan', { value: 3 }],
      ['roaster.set_drum', { rpm: 60 }],
      ['roaster.set_airflow', { value: 30 }],
      ['roaster.cooling_cycle', { duration_s: 60 }],
    ];
    const held = new Set<string>();
    let engaged = false;
    for (const seed of [1, 2, 3]) {
      const rand = rng(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      for (let step = 0; step < 70; step++) {
        const r = rand();
        if (r < 0.35) {
          const [kind, params] = pick(kinds);
          const res = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', { target: 'roaster-1', kind, params });
          if (res.body.action && ['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'].includes(res.body.action.status)) held.add(res.body.action.id);
        } else if (r < 0.55 && held.size > 0) {
          // Operators approve; now and then the proposer tries to approve their own action.
          const who = pick(['op1', 'op2', 'op1', 'agent']);
          await t.api(t.tokens[who], 'POST', `/v1/actions/${pick([...held])}/approve`, { reason: 'checked' });
        } else if (r < 0.62 && held.size > 0) {
          await t.api(t.tokens.op2, 'POST', `/v1/actions/${pick([...held])}/reject`, { reason: 'not now' });
        } else if (r < 0.67 && held.size > 0) {
          await t.api(t.tokens.agent, 'POST', `/v1/actions/${pick([...held])}/cancel`);
        } else if (r < 0.77) {
          t.advance(Math.floor(rand() * 700_000));
          await new Promise((res) => setTimeout(res, 60));
        } else if (r < 0.85) {
          await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', { level: pick(['L2', 'L3', 'L3+', 'L4']), reason: 'random walk' });
        } else if (r < 0.89 && !engaged) {
          await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'random stop' });
          engaged = true;
        } else if (r < 0.95 && engaged) {
          await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'random rearm' });
          engaged = false;
        } else {
          await new Promise((res) => setTimeout(res, 80));
        }
      }
    }
    // Let the executor and the sweeper settle what they will.
    await new Promise((res) => setTimeout(res, 500));
    await waitFor(async () => {
      const rows = await t.gw.services.deps.db.selectFrom('actions').select('status').where('status', 'in', ['APPROVED', 'EXECUTING']).execute();
      return rows.length === 0 || engaged;
    }, 10_000, 'the executor to settle');
    const rows = await t.gw.services.deps.db.selectFrom('audit_log').select(['seq', 'type', 'action_id', 'actor', 'payload']).orderBy('seq').execute();
    for (const row of rows) records.push({ seq: Number(row.seq), type: row.type, action_id: row.action_id, actor: row.actor, payload: JSON.parse(row.payload) as Record<string, unknown> });

    expect(checkTrace(records, spec)).toEqual([]);
    // The runs exercised the interesting paths, not just proposals.
    const moves = new Set(records.filter((r) => r.type.startsWith('action.') && r.payload.to).map((r) => `${String(r.payload.from)} -> ${String(r.payload.to)}`));
    for (const m of ['PENDING_APPROVAL -> APPROVED', 'APPROVED -> EXECUTING', 'EXECUTING -> COMPLETED', 'PENDING_APPROVAL -> REJECTED', 'PENDING_APPROVAL -> EXPIRED']) expect(moves, m).toContain(m);
    expect(records.some((r) => r.type === 'estop.engaged')).toBe(true);
  }, 180_000);

  it('the trace check bites: a doctored trace is refused, naming the step', () => {
    const id = 'a-1';
    const base: TraceRecord[] = [
      { seq: 1, type: 'action.proposed', action_id: id, actor: 'agent', payload: {} },
      { seq: 2, type: 'decision.proposal', action_id: id, actor: 'agent', payload: { effect: 'require_approval' } },
      { seq: 3, type: 'action.pending_approval', action_id: id, actor: 'agent', payload: { from: 'PROPOSED', to: 'PENDING_APPROVAL' } },
      { seq: 4, type: 'approval.granted', action_id: id, actor: 'op1', payload: { required: 2 } },
    ];
    expect(checkTrace([...base, { seq: 5, type: 'action.approved', action_id: id, actor: 'op1', payload: { from: 'PENDING_APPROVAL', to: 'APPROVED' } }], spec)).toEqual(['seq 5: a-1 approved with 1 of 2 approvals']);
    expect(checkTrace([...base, { seq: 5, type: 'action.executing', action_id: id, actor: 'executor', payload: { from: 'PENDING_APPROVAL', to: 'EXECUTING' } }], spec)).toEqual(['seq 5: a-1 takes PENDING_APPROVAL -> EXECUTING, which the spec does not allow']);
    expect(checkTrace([...base, { seq: 5, type: 'approval.granted', action_id: id, actor: 'agent', payload: { required: 2 } }], spec)).toEqual(['seq 5: agent approved their own action a-1']);
  });
});
