/**
 * A driver that hangs or errors: a real TCP controller that stalls (never answers) or refuses
 * commands. Commands time out and are retried, then fail; the failures trip the breakers; the
 * gateway keeps serving and nothing is reported applied that was not.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LoopbackController } from '../../drivers/tcp-line/loopback-controller.ts';
import {
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from '../helpers/gateway.ts';
import { record } from './record.ts';

let t: TestGateway;
let controller: LoopbackController;

beforeAll(async () => {
  controller = new LoopbackController();
  const port = await controller.start();
  // A full roaster state: the shipped invariants deny (fail closed) on missing fields.
  controller.state = {
    mode: 'RUNNING',
    power: 20,
    fan: 3,
    drumRpm: 60,
    airflow: 30,
    envTemp: 200,
    beanTemp: 150,
    tripped: false,
  };
  t = await startTestGateway({
    targets: [
      {
        id: 'line-1',
        driver: 'tcp-line',
        level: 'L3',
        options: { port, commandTimeoutMs: 300, reconnectMinMs: 10, reconnectMaxMs: 50 },
      },
    ],
    executor: { pollMs: 50, backoffMs: 10, retries: 2, leaseMs: 3000 },
  });
});
afterAll(async () => {
  await t?.close();
  await controller?.stop();
});

const status = async (id: string) =>
  (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`)).body.action.status;

async function run(value: number): Promise<{ id: string; status: string; ms: number }> {
  const p = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
    target: 'line-1',
    kind: 'roaster.set_power',
    params: { value },
  });
  const id = p.body.action.id;
  if (p.body.action.status !== 'PENDING_APPROVAL')
    return { id, status: p.body.action.status, ms: 0 };
  const t0 = Date.now();
  await t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/approve`, {});
  const final = await waitFor(
    async () => {
      const s = await status(id);
      return ['COMPLETED', 'FAILED', 'UNKNOWN', 'ABORTED', 'BLOCKED'].includes(s) ? s : undefined;
    },
    20_000,
    `${id} to settle`,
  );
  return { id, status: final, ms: Date.now() - t0 };
}

it('hangs, dropped connections and garbage fail without applying; the breaker trips; the gateway keeps serving and recovers', async () => {
  const outcomes: Record<string, { status: string; ms: number }> = {};
  outcomes.healthy = await run(20);
  expect(outcomes.healthy.status).toBe('COMPLETED');

  for (const fault of ['stall', 'drop', 'garbage'] as const) {
    controller.fault = fault;
    const applied = controller.actuations;
    const r = await run(20);
    outcomes[fault] = r;
    // Retries are bounded (3 attempts × 300 ms timeout here); a fault is never reported applied.
    expect(['FAILED', 'UNKNOWN'], fault).toContain(r.status);
    expect(r.ms).toBeLessThan(15_000);
    expect(controller.actuations).toBe(applied);
    expect((await fetch(`${t.gw.url}/health`)).status).toBe(200);
  }
  controller.fault = 'none';

  // Three failures of one kind: the repeated_failures breaker pauses it.
  const events = await waitFor(
    async () => {
      const e = await t.api<{ events: { rule: string; action: string }[] }>(
        t.tokens.op1,
        'GET',
        '/v1/breakers/events',
      );
      return e.body.events.length > 0 ? e.body.events : undefined;
    },
    10_000,
    'a breaker event',
  );
  const paused = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
    target: 'line-1',
    kind: 'roaster.set_power',
    params: { value: 20 },
  });
  expect(paused.body.action.status).toBe('DENIED');

  // Recovery: an admin resolves the events; the controller works again.
  for (const e of (
    await t.api<{ events: { id: string; resolvedAt: string | null }[] }>(
      t.tokens.op1,
      'GET',
      '/v1/breakers/events',
    )
  ).body.events.filter((x) => !x.resolvedAt)) {
    await t.api(t.tokens.admin, 'POST', `/v1/breakers/events/${e.id}/resolve`, {
      reason: 'controller fixed',
    });
  }
  const fan = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
    target: 'line-1',
    kind: 'roaster.set_fan',
    params: { value: 3 },
  });
  expect(fan.body.action.status).toBe('PENDING_APPROVAL');
  await t.api(t.tokens.op1, 'POST', `/v1/actions/${fan.body.action.id}/approve`, {});
  await waitFor(
    async () => ((await status(fan.body.action.id)) === 'COMPLETED' ? true : undefined),
    10_000,
    'recovery',
  );
  record('driver-faults', {
    faultsInjected: 3,
    kinds: ['stall', 'drop', 'garbage'],
    outcomes,
    breakerEvents: events.map((e) => `${e.rule}:${e.action}`),
    deniedWhilePaused: true,
    recovered: true,
    violations: 0,
  });
}, 120_000);
