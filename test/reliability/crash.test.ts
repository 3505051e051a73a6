/**
 * kill -9 at random points of a scripted workload, many times. After every kill, before the
 * restart: nothing the gateway accepted (201) or recorded (200) is lost, and the audit chain
 * verifies. At the end: every command reached the controller at most once, and exactly the
 * completed actions did; the signed log verifies with the CLI.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyChain } from '../../gateway/audit/verify-chain.ts';
import { openDatabase } from '../../gateway/store/db.ts';
import { LoopbackController } from '../../drivers/tcp-line/loopback-controller.ts';
import { waitFor } from '../helpers/gateway.ts';
import {
  api,
  replicaConfig,
  spawnGateway,
  type GatewayProcess,
  type ReplicaSetup,
} from '../helpers/processes.ts';
import { record, scale } from './record.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TARGETS = ['line-1', 'line-2', 'line-3'];
const KILLS = scale(4, 30);

let controller: LoopbackController;
let setup: ReplicaSetup;
let dbUrl: string;
let live: GatewayProcess | undefined;

beforeAll(async () => {
  controller = new LoopbackController();
  const port = await controller.start();
  controller.state = {
    mode: 'RUNNING',
    power: 50,
    fan: 3,
    drumRpm: 60,
    airflow: 30,
    envTemp: 200,
    beanTemp: 150,
    tripped: false,
  };
  setup = replicaConfig({
    databaseUrl: 'sqlite:PLACEHOLDER',
    policy: 'load',
    targets: TARGETS.map((id) => ({
      id,
      driver: 'tcp-line',
      level: 'L3',
      options: { port, commandTimeoutMs: 2000 },
    })),
    extra: { executor: { pollMs: 50, backoffMs: 10, leaseMs: 1000 } },
  });
  dbUrl = `sqlite:${path.join(setup.dir, 'interlock.db')}`;
  const { readFileSync, writeFileSync } = await import('node:fs');
  writeFileSync(
    setup.configFile,
    readFileSync(setup.configFile, 'utf8').replace('sqlite:PLACEHOLDER', dbUrl),
  );
}, 60_000);

afterAll(async () => {
  await live?.kill().catch(() => undefined);
  await controller?.stop();
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
});

const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

it(`survives ${KILLS} kill -9s mid-workload: nothing accepted is lost, nothing executes twice, the audit verifies`, async () => {
  const tokens: Record<string, string> = {};
  const accepted = new Set<string>();
  const approved = new Set<string>();
  let requests = 0;
  const killPoints: number[] = [];

  for (let cycle = 0; cycle < KILLS; cycle++) {
    live = await spawnGateway(setup.configFile);
    if (cycle === 0) {
      for (const [name, role] of [
        ['agent', 'agent'],
        ['op1', 'operator'],
      ] as const)
        tokens[name] = (
          await api<{ token: string }>(live.url, live.adminToken, 'POST', '/v1/tokens', {
            name,
            role,
          })
        ).body.token;
    }
    controller.latencyMs = random(0, 300);
    const url = live.url;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await api<{ action?: { id: string; status: string } }>(
            url,
            tokens.agent,
            'POST',
            '/v1/actions',
            { target: TARGETS[random(0, 3)], kind: 'roaster.set_power', params: { value: 50 } },
          );
          requests++;
          if (r.status === 201 && r.body.action) {
            accepted.add(r.body.action.id);
            const a = await api(
              url,
              tokens.op1,
              'POST',
              `/v1/actions/${r.body.action.id}/approve`,
              {},
            );
            requests++;
            if (a.status === 200) approved.add(r.body.action.id);
          }
        } catch {
          return; // the process died under us
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    const after = random(200, 2000);
    killPoints.push(after);
    await new Promise((r) => setTimeout(r, after));
    await live.kill();
    stop = true;
    await Promise.all(workers);
    live = undefined;

    const { db, close } = await openDatabase(dbUrl);
    try {
      const ids = new Set((await db.selectFrom('actions').select('id').execute()).map((r) => r.id));
      expect(
        [...accepted].filter((id) => !ids.has(id)),
        `cycle ${cycle}: accepted actions lost`,
      ).toEqual([]);
      const granted = new Set(
        (
          await db
            .selectFrom('approvals')
            .select('action_id')
            .where('verdict', '=', 'approve')
            .execute()
        ).map((r) => r.action_id),
      );
      expect(
        [...approved].filter((id) => !granted.has(id)),
        `cycle ${cycle}: recorded approvals lost`,
      ).toEqual([]);
      const chain = await verifyChain(db);
      expect(chain.ok, `cycle ${cycle}: ${JSON.stringify(chain)}`).toBe(true);
    } finally {
      await close();
    }
  }

  // One last start: reconciliation settles whatever the kills left running.
  controller.latencyMs = 0;
  live = await spawnGateway(setup.configFile);
  const { db, close } = await openDatabase(dbUrl);
  try {
    await waitFor(
      async () => {
        const open = await db
          .selectFrom('actions')
          .select('id')
          .where('status', 'in', ['APPROVED', 'EXECUTING', 'UNKNOWN'])
          .execute();
        return open.length === 0 ? true : undefined;
      },
      60_000,
      'every approved action to settle',
    );
    const rows = await db.selectFrom('actions').select(['id', 'status']).execute();
    const completed = rows.filter((r) => r.status === 'COMPLETED').map((r) => r.id);
    const twice = [...controller.writesReceived.entries()].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    expect(completed.filter((id) => controller.writesReceived.get(id) !== 1)).toEqual([]);
    const writtenNotCompleted = [...controller.writesReceived.keys()].filter(
      (id) => !completed.includes(id),
    );
    expect(writtenNotCompleted).toEqual([]);
    await live.stop();
    live = undefined;
    const verify = await execa(
      'node',
      [
        path.join(ROOT, 'bin/interlock.js'),
        'audit',
        'verify',
        '--db',
        dbUrl,
        '--key',
        setup.publicKey,
      ],
      { reject: false },
    );
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    const byStatus: Record<string, number> = {};
    for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    record('crash', {
      kills: KILLS,
      killAfterMs: killPoints,
      requests,
      accepted: accepted.size,
      approvalsRecorded: approved.size,
      finalStatuses: byStatus,
      controllerWrites: controller.writesReceived.size,
      duplicateWrites: twice.length,
      lostAccepted: 0,
      lostApprovals: 0,
      auditVerified: true,
      violations: 0,
    });
  } finally {
    await close();
  }
}, 900_000);
