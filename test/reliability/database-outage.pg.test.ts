/**
 * The database goes away for a while: a private PostgreSQL cluster is stopped under a running
 * gateway. Meanwhile every proposal and verdict is refused with 503 (nothing recorded, nothing
 * executed) and readiness says so; health stays up. When the database is back, the gateway
 * recovers on its own, work resumes, and the audit chain verifies.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyChain } from '../../gateway/audit/verify-chain.ts';
import {
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from '../helpers/gateway.ts';
import { startCluster, type Cluster } from '../helpers/postgres.ts';
import { record, scale } from './record.ts';

let cluster: Cluster;
let t: TestGateway;

beforeAll(async () => {
  // Durable settings: the outage is an immediate (crash) shutdown, and what was committed must
  // survive it.
  cluster = await startCluster({ durable: true });
  const url = await cluster.createDatabase('outage');
  t = await startTestGateway({
    database: { url },
    targets: [
      { id: 'roaster-1', driver: 'sim-roaster', level: 'L3', options: { mode: 'RUNNING' } },
    ],
  });
}, 120_000);
afterAll(async () => {
  await t?.close().catch(() => undefined);
  await cluster?.stop();
});

const state = () => t.gw.services.deps.targets.get('roaster-1')!.driver.readState();

it('refuses with 503 while the database is down, executes nothing, and recovers', async () => {
  const pending = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
    target: 'roaster-1',
    kind: 'roaster.set_fan',
    params: { value: 4 },
  });
  expect(pending.body.action.status).toBe('PENDING_APPROVAL');
  const fanBefore = (await state()).fan;

  const outages = scale(1, 5);
  const during: Record<number, number> = {};
  let requests = 0;
  for (let o = 0; o < outages; o++) {
    await cluster.pause();
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      const calls = await Promise.all([
        t.api(t.tokens.agent, 'POST', '/v1/actions', {
          target: 'roaster-1',
          kind: 'roaster.set_fan',
          params: { value: 5 },
        }),
        t.api(t.tokens.op1, 'POST', `/v1/actions/${pending.body.action.id}/approve`, {}),
        t.api(t.tokens.op1, 'GET', '/v1/actions'),
      ]);
      for (const c of calls) {
        requests++;
        during[c.status] = (during[c.status] ?? 0) + 1;
      }
    }
    expect((await t.api(undefined, 'GET', '/health')).status).toBe(200);
    const ready = await t.api<{ checks: { database: boolean } }>(undefined, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe(false);
    // Nothing executed: the approval could not be recorded, the roaster is untouched.
    expect((await state()).fan).toBe(fanBefore);
    await cluster.start();
    await waitFor(
      async () => ((await t.api(undefined, 'GET', '/ready')).status === 200 ? true : undefined),
      20_000,
      'readiness after the outage',
    );
  }
  expect(Object.keys(during).filter((s) => s !== '503')).toEqual([]);

  // Work resumes: the pending action is still pending, and approving it now runs it.
  const after = await t.api<ActionBody>(
    t.tokens.agent,
    'GET',
    `/v1/actions/${pending.body.action.id}`,
  );
  expect(after.status, JSON.stringify(after.body)).toBe(200);
  expect(after.body.action.status).toBe('PENDING_APPROVAL');
  await t.api(t.tokens.op1, 'POST', `/v1/actions/${pending.body.action.id}/approve`, {});
  await waitFor(
    async () =>
      (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${pending.body.action.id}`)).body
        .action.status === 'COMPLETED'
        ? true
        : undefined,
    10_000,
    'execution after recovery',
  );
  expect((await state()).fan).toBe(4);
  const chain = await verifyChain(t.gw.services.deps.db);
  expect(chain.ok).toBe(true);
  record('database-outage', {
    outages,
    secondsEach: 2,
    requestsDuringOutages: requests,
    statuses: during,
    executedDuringOutage: 0,
    recovered: true,
    auditIntact: chain.ok,
    violations: 0,
  });
}, 180_000);
