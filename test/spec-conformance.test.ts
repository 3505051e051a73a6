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
import {
  checkTrace,
  codeTransitions,
  compareTransitions,
  specTransitions,
  type TraceRecord,
} from '../gateway/specs/conformance.ts';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

const spec = specTransitions(
  readFileSync(path.join(projectRoot, 'specs', 'ActionLifecycle.tla'), 'utf8'),
);

describe('the transition table', () => {
  it('is the same in the code and in the spec', () => {
    expect(spec.length).toBeGreaterThan(15);
    expect(compareTransitions(spec, codeTransitions())).toEqual({ onlyInCode: [], onlyInSpec: [] });
    expect(new Set(spec.flat())).toEqual(new Set(STATUSES));
  });

  it('a transition added in the code but not in the spec is drift', () => {
    const drifted = { ...TRANSITIONS, BLOCKED: ['APPROVED'] };
    expect(compareTransitions(spec, codeTransitions(drifted))).toEqual({
      onlyInCode: ['BLOCKED -> APPROVED'],
      onlyInSpec: [],
    });
    const fewer = {
      ...TRANSITIONS,
      APPROVED: TRANSITIONS.APPROVED.filter((s) => s !== 'CANCELLED'),
    };
    expect(compareTransitions(spec, codeTransitions(fewer)).onlyInSpec).toEqual([
      'APPROVED -> CANCELLED',
    ]);
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
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      for (let step = 0; step < 70; step++) {
        const r = rand();
        if (r < 0.35) {
          const [kind, params] = pick(kinds);
          const res = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
            target: 'roaster-1',
            kind,
            params,
          });
          if (
            res.body.action &&
            ['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'].includes(res.body.action.status)
          )
            held.add(res.body.action.id);
        } else if (r < 0.55 && held.size > 0) {
          // Operators approve; now and then the proposer tries to approve their own action.
          const who = pick(['op1', 'op2', 'op1', 'agent']);
          await t.api(t.tokens[who], 'POST', `/v1/actions/${pick([...held])}/approve`, {
            reason: 'checked',
          });
        } else if (r < 0.62 && held.size > 0) {
          await t.api(t.tokens.op2, 'POST', `/v1/actions/${pick([...held])}/reject`, {
            reason: 'not now',
          });
        } else if (r < 0.67 && held.size > 0) {
          await t.api(t.tokens.agent, 'POST', `/v1/actions/${pick([...held])}/cancel`);
        } else if (r < 0.77) {
          t.advance(Math.floor(rand() * 700_000));
          await new Promise((res) => setTimeout(res, 60));
        } else if (r < 0.85) {
          await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
            level: pick(['L2', 'L3', 'L3+', 'L4']),
            reason: 'random walk',
          });
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
    await waitFor(
      async () => {
        const rows = await t.gw.services.deps.db
          .selectFrom('actions')
          .select('status')
          .where('status', 'in', ['APPROVED', 'EXECUTING'])
          .execute();
        return rows.length === 0 || engaged;
      },
      10_000,
      'the executor to settle',
    );
    const rows = await t.gw.services.deps.db
      .selectFrom('audit_log')
      .select(['seq', 'type', 'action_id', 'actor', 'payload'])
      .orderBy('seq')
      .execute();
    for (const row of rows)
      records.push({
        seq: Number(row.seq),
        type: row.type,
        action_id: row.action_id,
        actor: row.actor,
        payload: JSON.parse(row.payload) as Record<string, unknown>,
      });

    expect(checkTrace(records, spec)).toEqual([]);
    // The runs exercised the interesting paths, not just proposals.
    const moves = new Set(
      records
        .filter((r) => r.type.startsWith('action.') && r.payload.to)
        .map((r) => `${String(r.payload.from)} -> ${String(r.payload.to)}`),
    );
    for (const m of [
      'PENDING_APPROVAL -> APPROVED',
      'APPROVED -> EXECUTING',
      'EXECUTING -> COMPLETED',
      'PENDING_APPROVAL -> REJECTED',
      'PENDING_APPROVAL -> EXPIRED',
    ])
      expect(moves, m).toContain(m);
    expect(records.some((r) => r.type === 'estop.engaged')).toBe(true);
  }, 180_000);

  it('the trace check bites: a doctored trace is refused, naming the step', () => {
    const id = 'a-1';
    const base: TraceRecord[] = [
      { seq: 1, type: 'action.proposed', action_id: id, actor: 'agent', payload: {} },
      {
        seq: 2,
        type: 'decision.proposal',
        action_id: id,
        actor: 'agent',
        payload: { effect: 'require_approval' },
      },
      {
        seq: 3,
        type: 'action.pending_approval',
        action_id: id,
        actor: 'agent',
        payload: { from: 'PROPOSED', to: 'PENDING_APPROVAL' },
      },
      { seq: 4, type: 'approval.granted', action_id: id, actor: 'op1', payload: { required: 2 } },
    ];
    expect(
      checkTrace(
        [
          ...base,
          {
            seq: 5,
            type: 'action.approved',
            action_id: id,
            actor: 'op1',
            payload: { from: 'PENDING_APPROVAL', to: 'APPROVED' },
          },
        ],
        spec,
      ),
    ).toEqual(['seq 5: a-1 approved with 1 of 2 approvals']);
    expect(
      checkTrace(
        [
          ...base,
          {
            seq: 5,
            type: 'action.executing',
            action_id: id,
            actor: 'executor',
            payload: { from: 'PENDING_APPROVAL', to: 'EXECUTING' },
          },
        ],
        spec,
      ),
    ).toEqual(['seq 5: a-1 takes PENDING_APPROVAL -> EXECUTING, which the spec does not allow']);
    expect(
      checkTrace(
        [
          ...base,
          {
            seq: 5,
            type: 'approval.granted',
            action_id: id,
            actor: 'agent',
            payload: { required: 2 },
          },
        ],
        spec,
      ),
    ).toEqual(['seq 5: agent approved their own action a-1']);
    // Spellings of one person: a self-approval as "AGENT", and "op1" + "OP1" counted once.
    expect(
      checkTrace(
        [
          ...base,
          {
            seq: 5,
            type: 'approval.granted',
            action_id: id,
            actor: 'AGENT',
            payload: { required: 2 },
          },
        ],
        spec,
      ),
    ).toEqual(['seq 5: AGENT approved their own action a-1']);
    expect(
      checkTrace(
        [
          ...base,
          {
            seq: 5,
            type: 'approval.granted',
            action_id: id,
            actor: 'OP1',
            payload: { required: 2 },
          },
          {
            seq: 6,
            type: 'action.approved',
            action_id: id,
            actor: 'OP1',
            payload: { from: 'PENDING_APPROVAL', to: 'APPROVED' },
          },
        ],
        spec,
      ),
    ).toEqual(['seq 6: a-1 approved with 1 of 2 approvals']);
    // A start after a re-check that denied.
    const approved: TraceRecord[] = [
      {
        seq: 1,
        type: 'action.proposed',
        action_id: id,
        actor: 'agent',
        payload: { kind: 'roaster.set_fan' },
      },
      {
        seq: 2,
        type: 'decision.proposal',
        action_id: id,
        actor: 'agent',
        payload: { effect: 'allow' },
      },
      {
        seq: 3,
        type: 'action.approved',
        action_id: id,
        actor: 'policy',
        payload: { from: 'PROPOSED', to: 'APPROVED' },
      },
      {
        seq: 4,
        type: 'decision.recheck',
        action_id: id,
        actor: 'executor',
        payload: { effect: 'deny' },
      },
      {
        seq: 5,
        type: 'action.executing',
        action_id: id,
        actor: 'executor',
        payload: { from: 'APPROVED', to: 'EXECUTING' },
      },
    ];
    expect(checkTrace(approved, spec)).toEqual([
      'seq 5: a-1 starts although its time-of-use re-check denied it',
    ]);
  });
});

/** Every audit record of the gateway, as the trace check reads them. */
async function traceOf(t: TestGateway): Promise<TraceRecord[]> {
  const rows = await t.gw.services.deps.db
    .selectFrom('audit_log')
    .select(['seq', 'type', 'action_id', 'actor', 'payload'])
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    seq: Number(row.seq),
    type: row.type,
    action_id: row.action_id,
    actor: row.actor,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  }));
}

const movesOf = (records: readonly TraceRecord[]): Set<string> =>
  new Set(
    records
      .filter(
        (r) =>
          r.type.startsWith('action.') &&
          typeof r.payload.from === 'string' &&
          typeof r.payload.to === 'string',
      )
      .map((r) => `${String(r.payload.from)} -> ${String(r.payload.to)}`),
  );

/**
 * The scripted run: one path through the real gateway for every transition of the table,
 * including a quorum of two, veto windows, time-of-use blocks, expiry, the stop's sweep and
 * abort, an exempt start during a stop, and executions a dead replica left behind (UNKNOWN,
 * settled by reconciliation from what the driver says).
 *
 * The mutation test (test/conformance-mutation.test.ts) runs it on broken copies of the code,
 * so the trace check must be what fails: the run never stops at the first surprise. Each step
 * waits until its action reaches the status it expects or any final one, the surprises are
 * collected, and the trace is judged before they are.
 */
describe('a scripted run through every transition', () => {
  it('takes every transition of the table, and the spec accepts the trace', async () => {
    const t = await startTestGateway({
      targets: [
        {
          id: 'roaster-1',
          driver: 'sim-roaster',
          level: 'L3+',
          options: { mode: 'RUNNING', latencyMs: 600 },
        },
        { id: 'roaster-2', driver: 'sim-roaster', level: 'L3', options: { mode: 'OFF' } },
        {
          id: 'roaster-3',
          driver: 'sim-roaster',
          level: 'L3+',
          options: { mode: 'RUNNING', latencyMs: 600, faults: { rejectWrites: 1 } },
        },
      ],
      sweepMs: 50,
    });
    const surprises: string[] = [];
    const check = (what: string, actual: unknown, expected: unknown): void => {
      if (actual !== expected)
        surprises.push(`${what}: ${String(actual)}, expected ${String(expected)}`);
    };
    try {
      const deps = t.gw.services.deps;
      const propose = async (
        target: string,
        kind: string,
        params: Record<string, unknown>,
        token = t.tokens.agent!,
      ) =>
        (await t.api<ActionBody>(token, 'POST', '/v1/actions', { target, kind, params })).body
          .action;
      const rowStatus = async (id: string) =>
        (
          await deps.db
            .selectFrom('actions')
            .select('status')
            .where('id', '=', id)
            .executeTakeFirst()
        )?.status ?? 'MISSING';
      const FINAL = new Set([
        'DENIED',
        'REJECTED',
        'EXPIRED',
        'VETOED',
        'CANCELLED',
        'BLOCKED',
        'COMPLETED',
        'FAILED',
        'ABORTED',
      ]);
      /** Waits for `want` (or any final status), and notes it when the action ended elsewhere. */
      const reach = async (what: string, id: string, want: string) => {
        const got = await waitFor(
          async () =>
            ((st) => (st === want || FINAL.has(st) ? st : undefined))(await rowStatus(id)),
          15_000,
          `${what} to reach ${want}`,
        );
        check(what, got, want);
        return got;
      };
      const level = (target: string, l: string) =>
        t.api(t.tokens.admin, 'PUT', `/v1/autonomy/${target}`, {
          level: l,
          reason: `scripted: ${l}`,
        });
      const verdict = async (
        token: string,
        id: string,
        what: string,
        body: Record<string, unknown> = {},
      ) => (await t.api(token, 'POST', `/v1/actions/${id}/${what}`, body)).status;

      // Denied at proposal; allowed and run; a queued approved action cancelled by its proposer;
      // another blocked at time of use because the level dropped while it waited.
      await level('roaster-3', 'L2');
      check(
        'recommend-only proposal',
        (await propose('roaster-3', 'roaster.set_fan', { value: 3 })).status,
        'DENIED',
      );
      await level('roaster-3', 'L3+');
      const running = await propose('roaster-1', 'roaster.set_fan', { value: 3 });
      await reach('first execution starts', running.id, 'EXECUTING');
      const withdrawn = await propose('roaster-1', 'roaster.set_fan', { value: 4 });
      check('queued behind it', withdrawn.status, 'APPROVED');
      check(
        'proposer cancels the queued one',
        await verdict(t.tokens.agent!, withdrawn.id, 'cancel'),
        200,
      );
      const blocked = await propose('roaster-1', 'roaster.set_fan', { value: 5 });
      await level('roaster-1', 'L2');
      await reach('first execution', running.id, 'COMPLETED');
      await reach('queued while the level dropped', blocked.id, 'BLOCKED');
      // A write the controller refuses fails.
      await reach(
        'refused write',
        (await propose('roaster-3', 'roaster.set_fan', { value: 3 })).id,
        'FAILED',
      );

      // Approvals at L3: approved (after the proposer, an operator, tried to approve their own),
      // rejected, withdrawn, expired.
      await level('roaster-1', 'L3');
      const byOperator = await propose('roaster-1', 'roaster.set_drum', { rpm: 60 }, t.tokens.op1);
      check('operator proposal', byOperator.status, 'PENDING_APPROVAL');
      check(
        'the proposer approves their own',
        await verdict(t.tokens.op1!, byOperator.id, 'approve'),
        403,
      );
      await verdict(t.tokens.op2!, byOperator.id, 'approve');
      await reach('approved by another operator', byOperator.id, 'COMPLETED');
      const rejected = await propose('roaster-1', 'roaster.set_drum', { rpm: 61 });
      check(
        'reject',
        await verdict(t.tokens.op1!, rejected.id, 'reject', { reason: 'not now' }),
        200,
      );
      const cancelled = await propose('roaster-1', 'roaster.set_drum', { rpm: 62 });
      check('cancel', await verdict(t.tokens.agent!, cancelled.id, 'cancel'), 200);
      const expiring = await propose('roaster-1', 'roaster.set_drum', { rpm: 63 });
      t.advance(301_000);
      await reach('approval timeout', expiring.id, 'EXPIRED');

      // A critical kind needs two people: one approval leaves it pending, the second runs it.
      const critical = await propose('roaster-2', 'roaster.preheat', { target_temp: 200 });
      check('critical quorum', critical.approvals.required, 2);
      await verdict(t.tokens.op1!, critical.id, 'approve');
      check('after one of two approvals', await rowStatus(critical.id), 'PENDING_APPROVAL');
      await verdict(t.tokens.op2!, critical.id, 'approve');
      await reach('after two approvals', critical.id, 'COMPLETED');

      // Veto windows at L4: vetoed, withdrawn, and one that runs when its window passes.
      await level('roaster-1', 'L4');
      const vetoed = await propose('roaster-1', 'roaster.cooling_cycle', { duration_s: 60 });
      check('veto-window proposal', vetoed.status, 'PENDING_VETO');
      check(
        'veto',
        await verdict(t.tokens.op1!, vetoed.id, 'veto', { reason: 'beans not ready' }),
        200,
      );
      const vetoCancelled = await propose('roaster-1', 'roaster.cooling_cycle', { duration_s: 60 });
      check(
        'cancel in the window',
        await verdict(t.tokens.agent!, vetoCancelled.id, 'cancel'),
        200,
      );
      const passes = await propose('roaster-1', 'roaster.cooling_cycle', { duration_s: 60 });
      t.advance(31_000);
      await reach('window passes', passes.id, 'COMPLETED');

      // The emergency stop: a running execution is aborted, a held one is swept, and an
      // estop-exempt kind still runs during the stop. (roaster-1 is cooling down after its
      // cycle; roaster-3 is still running.)
      const aborted = await propose('roaster-3', 'roaster.set_fan', { value: 2 });
      await reach('execution before the stop', aborted.id, 'EXECUTING');
      const swept = await propose('roaster-2', 'roaster.set_drum', { rpm: 60 });
      check('held before the stop', swept.status, 'PENDING_APPROVAL');
      check(
        'stop',
        (await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'scripted stop' })).status,
        200,
      );
      await reach('running at the stop', aborted.id, 'ABORTED');
      check('held at the stop', await rowStatus(swept.id), 'CANCELLED');
      const exempt = await propose('roaster-1', 'roaster.abort', {});
      await reach('exempt kind during the stop', exempt.id, 'COMPLETED');
      check(
        'rearm',
        (await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'scripted rearm' }))
          .status,
        200,
      );

      // Executions a dead replica left behind: one whose command completed, one aborted, one
      // that never reached the controller. The live executor reconciles them from the driver.
      // (The rows are written here as that replica would have left them; a real kill is in
      // test/gateway-crash.test.ts.)
      const driver = deps.targets.get('roaster-3')!.driver;
      const template = await deps.db
        .selectFrom('actions')
        .selectAll()
        .where('id', '=', exempt.id)
        .executeTakeFirstOrThrow();
      const orphan = async (id: string) =>
        deps.db
          .insertInto('actions')
          .values({
            ...template,
            id,
            target: 'roaster-3',
            status: 'EXECUTING',
            executor_id: 'dead-replica',
            lease_until: deps.now() - 1_000,
            finished_at: null,
            outcome: null,
            idempotency_key: null,
            batch_id: null,
            batch_seq: null,
          })
          .execute();
      await driver.writeCommand(
        { id: 'orphan-done', kind: 'roaster.abort', params: {}, target: 'roaster-3' },
        { idempotencyKey: 'orphan-done', signal: new AbortController().signal },
      );
      const stop = new AbortController();
      const write = driver.writeCommand(
        { id: 'orphan-aborted', kind: 'roaster.abort', params: {}, target: 'roaster-3' },
        { idempotencyKey: 'orphan-aborted', signal: stop.signal },
      );
      stop.abort();
      await write.catch(() => undefined);
      for (const id of ['orphan-done', 'orphan-aborted', 'orphan-lost']) await orphan(id);
      await reach('orphan whose command completed', 'orphan-done', 'COMPLETED');
      await reach('orphan whose command was aborted', 'orphan-aborted', 'ABORTED');
      await reach('orphan whose command was lost', 'orphan-lost', 'FAILED');

      const records = await traceOf(t);
      const exemptKinds = new Set(
        Object.entries(deps.policy()!.data.catalog)
          .filter(([, e]) => e.estop_exempt)
          .map(([k]) => k),
      );
      expect(checkTrace(records, spec, exemptKinds), 'the spec refuses the trace').toEqual([]);
      expect(surprises, 'steps that ended otherwise than scripted').toEqual([]);
      const moves = movesOf(records);
      const missing = codeTransitions()
        .map(([from, to]) => `${from} -> ${to}`)
        .filter((m) => !moves.has(m));
      expect(missing, 'transitions the run never took').toEqual([]);
    } finally {
      await t.close();
    }
  }, 120_000);
});
