/**
 * Emergency stop with 1,000 pending actions across 40 simulated roasters: everything is
 * cancelled, every roaster reaches its safe state, new actions are denied but aborts pass,
 * and rearming caps every level at L3. A roaster that fails its safe state raises an ERROR.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../gateway/audit/verify-chain.ts';
import type { Role } from '../gateway/auth/tokens.ts';
import {
  startTestGateway,
  waitFor,
  DEFAULT_USERS,
  type ActionBody,
  type TestGateway,
} from './helpers/gateway.ts';

const TARGETS = 40;
const AGENTS = 10;
let t: TestGateway;

beforeAll(async () => {
  const users: Record<string, Role> = { ...DEFAULT_USERS };
  for (let i = 0; i < AGENTS; i++) users[`bot-${i}`] = 'agent';
  t = await startTestGateway(
    {
      targets: [
        ...Array.from({ length: TARGETS }, (_, i) => ({
          id: `roaster-${i + 1}`,
          driver: 'sim-roaster',
          level: 'L3',
          options: { mode: 'RUNNING' },
        })),
        {
          id: 'faulty',
          driver: 'sim-roaster',
          level: 'L3',
          options: { mode: 'RUNNING', faults: { safeState: true } },
        },
      ],
    },
    users,
  );
});
afterAll(async () => {
  await t?.close();
});

describe('emergency stop', () => {
  it('cancels 1,000 pending actions and drives every roaster to its safe state', async () => {
    // 25 per roaster and 100 per agent stay under the shipped rate limits (30/target, 120/actor per
    // minute).
    const kinds = [
      { kind: 'roaster.cooling_cycle', params: { duration_s: 120 } },
      { kind: 'roaster.set_drum', params: { rpm: 70 } },
      { kind: 'roaster.set_airflow', params: { value: 45 } },
    ];
    const jobs = Array.from({ length: 1000 }, (_, i) => ({
      agent: `bot-${i % AGENTS}`,
      target: `roaster-${(i % TARGETS) + 1}`,
      ...kinds[i % 3]!,
    }));
    const statuses: string[] = [];
    for (let i = 0; i < jobs.length; i += 50) {
      const batch = await Promise.all(
        jobs.slice(i, i + 50).map((j) =>
          t.api<ActionBody>(t.tokens[j.agent], 'POST', '/v1/actions', {
            kind: j.kind,
            target: j.target,
            params: j.params,
          }),
        ),
      );
      statuses.push(...batch.map((r) => r.body.action.status));
    }
    expect(statuses.filter((s) => s === 'PENDING_APPROVAL')).toHaveLength(1000);
    // One roaster runs at L4 before the stop, to show the rearm caps it.
    expect(
      (
        await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
          level: 'L4',
          reason: 'drill',
        })
      ).status,
    ).toBe(200);

    const events: string[] = [];
    const controller = new AbortController();
    const stream = fetch(`${t.gw.url}/v1/events`, {
      headers: { authorization: `Bearer ${t.tokens.op2}` },
      signal: controller.signal,
    })
      .then(async (res) => {
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          events.push(decoder.decode(value));
        }
      })
      .catch(() => undefined);
    await waitFor(async () => events.join('').includes('event: hello'), 5000, 'event stream');

    const noReason = await t.api(t.tokens.op1, 'POST', '/v1/estop', {});
    expect(noReason.status).toBe(422);
    const stop = await t.api<{
      engaged: boolean;
      cancelled: number;
      safeState: { target: string; ok: boolean }[];
      safeStateMs: number;
    }>(t.tokens.op1, 'POST', '/v1/estop', { reason: 'smoke in roastery' });
    expect(stop.status).toBe(200);
    expect(stop.body.engaged).toBe(true);
    expect(stop.body.cancelled).toBe(1000);
    expect(stop.body.safeState.filter((s) => s.ok)).toHaveLength(TARGETS);
    expect(stop.body.safeState.find((s) => s.target === 'faulty')).toMatchObject({ ok: false });

    for (const [id, target] of t.gw.services.deps.targets) {
      if (id === 'faulty') continue;
      expect(await target.driver.readState()).toMatchObject({
        power: 0,
        fan: 10,
        drumRpm: 60,
        mode: 'COOLING',
      });
    }
    for (const status of ['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED']) {
      const left = await t.api<{ actions: unknown[] }>(
        t.tokens.op1,
        'GET',
        `/v1/actions?status=${status}`,
      );
      expect(left.body.actions, status).toHaveLength(0);
    }
    await waitFor(
      async () => events.join('').includes('did not reach its safe state'),
      5000,
      'the ERROR event',
    );
    controller.abort();
    await stream;
  });

  it('denies new actions but lets aborts through while engaged', async () => {
    const denied = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
      kind: 'roaster.set_drum',
      target: 'roaster-1',
      params: { rpm: 50 },
    });
    expect(denied.body.action.status).toBe('DENIED');
    expect(denied.body.decision.stage).toBe('estop');
    const abort = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
      kind: 'roaster.abort',
      target: 'roaster-2',
      params: { reason: 'drill' },
    });
    expect(abort.body.decision.effect).toBe('allow');
    const done = await waitFor(async () => {
      const r = await t.api<ActionBody>(
        t.tokens.agent,
        'GET',
        `/v1/actions/${abort.body.action.id}`,
      );
      return ['COMPLETED', 'BLOCKED', 'FAILED'].includes(r.body.action.status) ? r.body : undefined;
    });
    expect(done.action.status).toBe('COMPLETED');
    const raise = await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
      level: 'L5',
      reason: 'no',
    });
    expect(raise.status).toBe(409);
  });

  it('rearm needs a reason and caps every level at L3', async () => {
    expect((await t.api(t.tokens.op1, 'POST', '/v1/estop/rearm', {})).status).toBe(422);
    const rearm = await t.api<{ engaged: boolean; levels: Record<string, string> }>(
      t.tokens.op1,
      'POST',
      '/v1/estop/rearm',
      { reason: 'fire brigade cleared the site' },
    );
    expect(rearm.status).toBe(200);
    expect(rearm.body.levels['roaster-1']).toBe('L3');
    const audit = await t.api<{
      records: { payload: { target?: string; from?: string; to?: string } }[];
    }>(t.tokens.auditor, 'GET', '/v1/audit?type=autonomy.changed&limit=500');
    expect(audit.body.records.at(-1)?.payload).toMatchObject({
      target: 'roaster-1',
      from: 'L4',
      to: 'L3',
    });
    const level = await t.api<{ level: string }>(t.tokens.agent, 'GET', '/v1/autonomy/roaster-7');
    expect(level.body.level).toBe('L3');
    expect((await t.api(t.tokens.op1, 'POST', '/v1/estop/rearm', { reason: 'again' })).status).toBe(
      409,
    );
    expect((await verifyChain(t.gw.services.deps.db)).ok).toBe(true);
  });
});
