/**
 * The roaster pack end to end: the L3 autopilot plan's exit criteria. Three command types
 * executed with approval, an abort in flight, an emergency abort of a running roast that
 * leaves the simulator in its safe state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from '../helpers/gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    targets: [
      {
        id: 'roaster-1',
        driver: 'sim-roaster',
        level: 'L3',
        options: { mode: 'RUNNING', latencyMs: 300 },
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const propose = (kind: string, params: Record<string, unknown>) =>
  t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', { target: 'roaster-1', kind, params });
const status = async (id: string) =>
  (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`)).body.action.status;
const until = (id: string, wanted: string) =>
  waitFor(
    async () => ((await status(id)) === wanted ? true : undefined),
    10_000,
    `${id} to be ${wanted}`,
  );
const state = () => t.gw.services.deps.targets.get('roaster-1')!.driver.readState();

describe('roaster L3 exit criteria', () => {
  it('three command types execute with an operator approval each', async () => {
    for (const [kind, params, field, value] of [
      ['roaster.set_fan', { value: 5 }, 'fan', 5],
      ['roaster.set_drum', { rpm: 70 }, 'drumRpm', 70],
      ['roaster.set_airflow', { value: 40 }, 'airflow', 40],
    ] as const) {
      const r = await propose(kind, params);
      expect(r.body.action.status).toBe('PENDING_APPROVAL');
      await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {
        reason: 'within the profile',
      });
      await until(r.body.action.id, 'COMPLETED');
      expect((await state())[field]).toBe(value);
    }
  });

  it('an abort in flight stops the command before the roaster applies it', async () => {
    // The fan may change by 1 per second (the catalog's ramp): let time pass first.
    t.advance(5_000);
    const r = await propose('roaster.set_fan', { value: 6 });
    expect(r.body.decision.effect, JSON.stringify(r.body.decision)).not.toBe('deny');
    await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, { reason: 'ok' });
    await until(r.body.action.id, 'EXECUTING');
    expect(
      (await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/abort`)).status,
    ).toBe(202);
    await until(r.body.action.id, 'ABORTED');
    expect((await state()).fan).toBe(5);
  });

  it('an emergency abort of a running roast brings the simulator to its safe state', async () => {
    const r = await propose('roaster.set_drum', { rpm: 80 });
    await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, { reason: 'ok' });
    await until(r.body.action.id, 'EXECUTING');
    const stop = await t.api<{ safeState: { target: string; ok: boolean }[] }>(
      t.tokens.op1,
      'POST',
      '/v1/estop',
      { reason: 'smoke from the drum' },
    );
    expect(stop.body.safeState).toEqual([
      expect.objectContaining({ target: 'roaster-1', ok: true }),
    ]);
    await until(r.body.action.id, 'ABORTED');
    const s = await state();
    expect(s.power).toBe(0);
    expect(Number(s.fan)).toBeGreaterThan(0);
    expect(Number(s.drumRpm)).toBeGreaterThan(0);
  });
});
