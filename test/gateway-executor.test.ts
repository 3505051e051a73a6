/**
 * The executor at the edges: a time-of-use re-check that blocks, transient driver errors
 * retried with backoff, an operator aborting a command in flight.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    targets: [
      { id: 'roaster-1', driver: 'sim-roaster', level: 'L3', options: { mode: 'RUNNING' } },
      {
        id: 'flaky',
        driver: 'sim-roaster',
        level: 'L3',
        options: { mode: 'RUNNING', faults: { transientWrites: 2 } },
      },
      {
        id: 'slow',
        driver: 'sim-roaster',
        level: 'L3',
        options: { mode: 'RUNNING', latencyMs: 30_000 },
      },
    ],
  });
});
afterAll(async () => {
  await t?.close();
});

const propose = (target: string, kind: string, params: Record<string, unknown>) =>
  t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', { kind, target, params });
const approve = (id: string) =>
  t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/approve`, { reason: 'ok' });
const status = (id: string, wanted: string[]) =>
  waitFor(
    async () => {
      const r = await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`);
      return wanted.includes(r.body.action.status) ? r.body : undefined;
    },
    10_000,
    `${id} to reach ${wanted.join('|')}`,
  );

it('blocks an approved action whose target no longer allows it at time of use', async () => {
  const power = await propose('roaster-1', 'roaster.set_power', { value: 40 });
  const cool = await propose('roaster-1', 'roaster.cooling_cycle', { duration_s: 300 });
  expect(power.body.action.status).toBe('PENDING_APPROVAL');
  await approve(cool.body.action.id);
  expect((await status(cool.body.action.id, ['COMPLETED'])).action.status).toBe('COMPLETED');
  await approve(power.body.action.id);
  const blocked = await status(power.body.action.id, ['BLOCKED', 'COMPLETED']);
  expect(blocked.action.status).toBe('BLOCKED');
  const audit = await t.api<{
    records: { type: string; payload: { effect?: string; rules?: string[] } }[];
  }>(t.tokens.auditor, 'GET', `/v1/audit?action_id=${power.body.action.id}`);
  const recheck = audit.body.records.find((r) => r.type === 'decision.recheck');
  expect(recheck?.payload).toMatchObject({
    effect: 'deny',
    rules: ['baseline.constraint.require_state'],
  });
});

it('retries transient driver errors with backoff and records the attempts', async () => {
  const r = await propose('flaky', 'roaster.set_drum', { rpm: 66 });
  await approve(r.body.action.id);
  const done = await status(r.body.action.id, ['COMPLETED', 'FAILED']);
  expect(done.action.status).toBe('COMPLETED');
  expect(done.action.outcome).toMatchObject({ attempts: 3, result: 'completed' });
});

it('aborts a command in flight', async () => {
  const r = await propose('slow', 'roaster.set_drum', { rpm: 50 });
  expect(
    (await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/abort`, {})).status,
  ).toBe(409);
  await approve(r.body.action.id);
  await status(r.body.action.id, ['EXECUTING']);
  expect(
    (await t.api(t.tokens.agent, 'POST', `/v1/actions/${r.body.action.id}/abort`, {})).status,
  ).toBe(403);
  expect(
    (
      await t.api(t.tokens.op2, 'POST', `/v1/actions/${r.body.action.id}/abort`, {
        reason: 'wrong batch',
      })
    ).status,
  ).toBe(202);
  const aborted = await status(r.body.action.id, ['ABORTED', 'COMPLETED', 'FAILED']);
  expect(aborted.action.status).toBe('ABORTED');
  expect(await t.gw.services.deps.targets.get('slow')!.driver.readState()).toMatchObject({
    drumRpm: 60,
  });
});
