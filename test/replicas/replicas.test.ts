/**
 * Three gateway processes on one PostgreSQL database, driving shared targets: a real TCP
 * controller on loopback that counts every write it receives, before deduplication. Runs in
 * the PostgreSQL pass (INTERLOCK_TEST_DB=postgres).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LoopbackController } from '../../drivers/tcp-line/loopback-controller.ts';
import { waitFor } from '../helpers/gateway.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import {
  api,
  replicaConfig,
  spawnGateway,
  type GatewayProcess,
  type ReplicaSetup,
} from '../helpers/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RACED = 1000;
const TARGETS = ['line-1', 'line-2', 'line-3'];

let controller: LoopbackController;
let database: { url: string; drop(): Promise<void> };
let setup: ReplicaSetup;
let replicas: GatewayProcess[] = [];
let client: pg.Client;
const tokens: Record<string, string> = {};

const pgUrl = inject('pgUrl');

async function count(q: string, params: unknown[] = []): Promise<number> {
  const r = await client.query<{ n: string }>(q, params);
  return Number(r.rows[0]?.n ?? 0);
}

describe.runIf(pgUrl)('replicas on one PostgreSQL database', () => {
  beforeAll(async () => {
    controller = new LoopbackController();
    const port = await controller.start();
    database = await freshDatabase(pgUrl ?? '', 'replicas');
    setup = replicaConfig({
      databaseUrl: database.url,
      policy: 'load',
      targets: TARGETS.map((id) => ({ id, driver: 'tcp-line', level: 'L3', options: { port } })),
    });
    // The first process migrates, generates the key and mints the admin token; then the rest.
    const first = await spawnGateway(setup.configFile);
    replicas = [
      first,
      ...(await Promise.all([spawnGateway(setup.configFile), spawnGateway(setup.configFile)])),
    ];
    const admin = first.adminToken ?? '';
    for (const [name, role] of [
      ['agent', 'agent'],
      ['op1', 'operator'],
      ['op2', 'operator'],
      ['op3', 'operator'],
    ] as const) {
      const r = await api<{ token: string }>(first.url, admin, 'POST', '/v1/tokens', {
        name,
        role,
      });
      tokens[name] = r.body.token;
    }
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  }, 180_000);

  afterAll(async () => {
    await client?.end();
    await Promise.all(replicas.map((r) => r.stop()));
    await controller?.stop();
    await database?.drop();
    if (setup) rmSync(setup.dir, { recursive: true, force: true });
  });

  it(`${RACED} actions approved concurrently through three replicas execute exactly once each`, async () => {
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, worker) => {
        while (next < RACED) {
          const i = next++;
          const via = replicas[(worker + i) % replicas.length]!;
          const r = await api<{ action: { id: string; status: string } }>(
            via.url,
            tokens.agent,
            'POST',
            '/v1/actions',
            {
              target: TARGETS[i % TARGETS.length],
              kind: 'roaster.set_power',
              params: { value: 50 },
            },
          );
          expect(r.body.action?.status, JSON.stringify(r.body)).toBe('PENDING_APPROVAL');
          ids.push(r.body.action.id);
        }
      }),
    );
    // Every action is approved by three operators at once, each through a different replica.
    const outcomes = { ok: 0, conflict: 0, other: 0 };
    let k = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (k < ids.length) {
          const id = ids[k++]!;
          const results = await Promise.all(
            (['op1', 'op2', 'op3'] as const).map((op, j) =>
              api(replicas[j]!.url, tokens[op], 'POST', `/v1/actions/${id}/approve`, {
                reason: 'raced',
              }),
            ),
          );
          for (const r of results) {
            if (r.status === 200) outcomes.ok++;
            else if (r.status === 409) outcomes.conflict++;
            else outcomes.other++;
          }
        }
      }),
    );
    expect(outcomes.other).toBe(0);
    expect(outcomes.ok).toBeGreaterThanOrEqual(RACED);

    await waitFor(
      async () =>
        (await count(`select count(*) n from actions where status = 'COMPLETED'`)) === RACED
          ? true
          : undefined,
      240_000,
      'every raced action to complete',
    );
    // The controller saw each command exactly once: no double execution anywhere.
    expect(controller.writesReceived.size).toBe(RACED);
    expect([...controller.writesReceived.values()].filter((n) => n !== 1)).toEqual([]);
    expect(
      await count(
        `select count(*) n from (select action_id from audit_log where type = 'action.executing' group by action_id having count(*) > 1) d`,
      ),
    ).toBe(0);
    const executors = await count(
      `select count(distinct executor_id) n from actions where status = 'COMPLETED'`,
    );
    expect(executors).toBeGreaterThanOrEqual(2);
    console.info(
      `replica race: ${RACED} actions, ${outcomes.ok + outcomes.conflict} approvals raced (${outcomes.ok} counted, ${outcomes.conflict} refused as already decided), executed by ${executors} replicas, ${controller.writesReceived.size} writes at the controller, 0 duplicates`,
    );
  }, 600_000);

  it('a replica streams the events of actions another replica decides and runs', async () => {
    const controllerAbort = new AbortController();
    const res = await fetch(`${replicas[0]!.url}/v1/events`, {
      headers: { authorization: `Bearer ${tokens.op1}` },
      signal: controllerAbort.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);
    await waitFor(
      async () => (seen.includes('event: hello') ? true : undefined),
      5000,
      'the stream to open',
    );
    const p = await api<{ action: { id: string } }>(
      replicas[1]!.url,
      tokens.agent,
      'POST',
      '/v1/actions',
      { target: 'line-2', kind: 'roaster.set_power', params: { value: 50 } },
    );
    const id = p.body.action.id;
    await api(replicas[2]!.url, tokens.op3, 'POST', `/v1/actions/${id}/approve`, {});
    await waitFor(
      async () => (seen.includes(id) && seen.includes('"status":"COMPLETED"') ? true : undefined),
      5000,
      'remote events on replica 0',
    );
    controllerAbort.abort();
    await reading;
  }, 30_000);

  it('an emergency stop sent to one replica stops executions on every replica within the poll bound', async () => {
    controller.latencyMs = 5000;
    const ids: string[] = [];
    for (const target of TARGETS) {
      const r = await api<{ action: { id: string } }>(
        replicas[0]!.url,
        tokens.agent,
        'POST',
        '/v1/actions',
        { target, kind: 'roaster.set_power', params: { value: 50 } },
      );
      ids.push(r.body.action.id);
    }
    // Each approval goes through a different replica; its executor is kicked first and claims.
    await Promise.all(
      ids.map((id, j) =>
        api(replicas[j]!.url, tokens[`op${j + 1}`], 'POST', `/v1/actions/${id}/approve`, {}),
      ),
    );
    await waitFor(
      async () =>
        (await count(`select count(*) n from actions where status = 'EXECUTING'`)) ===
        TARGETS.length
          ? true
          : undefined,
      10_000,
      'three executions',
    );
    const executors = await count(
      `select count(distinct executor_id) n from actions where status = 'EXECUTING'`,
    );
    // Which replica runs what: every executor's id is its replica's `instance`. The stop goes to
    // the replica running the fewest of them, so most (or all) run elsewhere.
    const running = (
      await client.query<{ executor_id: string }>(
        `select executor_id from actions where status = 'EXECUTING'`,
      )
    ).rows.map((r) => r.executor_id);
    const instances = await Promise.all(
      replicas.map(
        async (r) =>
          (await api<{ instance: string }>(r.url, undefined, 'GET', '/ready')).body.instance,
      ),
    );
    const load = instances.map((id) => running.filter((e) => e === id).length);
    const receiver = load.indexOf(Math.min(...load));
    const elsewhere = running.length - load[receiver]!;
    expect(elsewhere).toBeGreaterThanOrEqual(2);

    // A queued action that has not started yet on a busy target.
    const queued = await api<{ action: { id: string } }>(
      replicas[1]!.url,
      tokens.agent,
      'POST',
      '/v1/actions',
      { target: 'line-1', kind: 'roaster.set_power', params: { value: 50 } },
    );
    await api(
      replicas[1]!.url,
      tokens.op2,
      'POST',
      `/v1/actions/${queued.body.action.id}/approve`,
      {},
    );

    const sent = Date.now();
    const stop = await api<{ engaged: boolean }>(
      replicas[receiver]!.url,
      tokens.op3,
      'POST',
      '/v1/estop',
      { reason: 'replica drill' },
    );
    expect(stop.status).toBe(200);
    await waitFor(
      async () =>
        (await count(`select count(*) n from actions where status = 'EXECUTING'`)) === 0
          ? true
          : undefined,
      5000,
      'every execution to stop',
    );
    const stoppedMs = Date.now() - sent;
    // Bound: one executor poll (50 ms here, executor.pollMs) plus the controller's abort round
    // trip.
    expect(stoppedMs).toBeLessThan(1500);
    console.info(
      `replica estop: ${TARGETS.length} executions on ${executors} replica(s), ${elsewhere} of them on replicas other than the one the stop was sent to, all stopped ${stoppedMs} ms after it`,
    );
    const statuses = await client.query<{ id: string; status: string }>(
      `select id, status from actions where id = any($1)`,
      [[...ids, queued.body.action.id]],
    );
    for (const row of statuses.rows)
      expect(['ABORTED', 'CANCELLED'], `${row.id}`).toContain(row.status);
    expect(controller.writesReceived.has(queued.body.action.id)).toBe(false);

    // Every replica now denies new work.
    for (const r of replicas) {
      const denied = await api<{ action: { status: string } }>(
        r.url,
        tokens.agent,
        'POST',
        '/v1/actions',
        { target: 'line-2', kind: 'roaster.set_power', params: { value: 50 } },
      );
      expect(denied.body.action.status).toBe('DENIED');
    }
    controller.latencyMs = 0;
  }, 120_000);

  it('the shared log verifies: one chain, signed checkpoints from several replicas', async () => {
    // A graceful stop signs whatever is pending.
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
    const r = await execa(
      'node',
      [
        path.join(ROOT, 'bin/interlock.js'),
        'audit',
        'verify',
        '--db',
        database.url,
        '--key',
        setup.publicKey,
      ],
      { reject: false },
    );
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('audit intact');
    expect(await count(`select count(*) n from audit_checkpoints`)).toBeGreaterThan(1);
  }, 120_000);
});
