/**
 * Propose → decision throughput across gateway processes, measured in one run: one process on
 * SQLite, then one, two and three processes sharing a durable PostgreSQL cluster (fsync on).
 * The load generator spreads proposals round-robin over the processes' HTTP ports. Every
 * request runs the whole path (auth, validation, driver state, history, Wasm, three audit
 * records appended under the shared chain head).
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase, startCluster } from '../test/helpers/postgres.ts';
import {
  api,
  replicaConfig,
  spawnGateway,
  type GatewayProcess,
} from '../test/helpers/processes.ts';
import { summarize } from './stats.ts';

const TARGETS = 100;
const AGENTS = 40;
const TOTAL = 3000;
const CONCURRENCY = 24;

export interface ReplicaRun {
  database: 'sqlite' | 'postgres';
  replicas: number;
  proposals: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * Busy share of all cores during the run: near 100 % means the machine, not the design, is the
   * limit.
   */
  cpuBusyPercent: number;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

async function measure(
  database: 'sqlite' | 'postgres',
  url: string,
  replicas: number,
): Promise<ReplicaRun> {
  const setup = replicaConfig({
    databaseUrl: url,
    targets: Array.from({ length: TARGETS }, (_, i) => ({
      id: `roaster-${i + 1}`,
      driver: 'sim-roaster',
      level: 'L3',
      options: { mode: 'RUNNING' },
    })),
    extra: {
      executor: { pollMs: 200, backoffMs: 100, leaseMs: 3000 },
      sweepMs: 250,
      audit: {
        checkpoint: { every: 1000, intervalMs: 10_000 },
        signing: { type: 'key', key: path.join(tmpKeyDir(), 'audit.key') },
      },
    },
  });
  const procs: GatewayProcess[] = [];
  try {
    procs.push(await spawnGateway(setup.configFile));
    for (let i = 1; i < replicas; i++) procs.push(await spawnGateway(setup.configFile));
    const admin = procs[0]!.adminToken ?? '';
    const agents: string[] = [];
    for (let i = 0; i < AGENTS; i++)
      agents.push(
        (
          await api<{ token: string }>(procs[0]!.url, admin, 'POST', '/v1/tokens', {
            name: `bench-${i}`,
            role: 'agent',
          })
        ).body.token,
      );
    // Warm-up: each process compiles nothing (shared cache) but loads Wasm and opens connections.
    for (const p of procs)
      await api(p.url, agents[0], 'POST', '/v1/decisions', {
        kind: 'roaster.cooling_cycle',
        target: 'roaster-1',
        params: { duration_s: 120 },
      });
    const samples: number[] = [];
    let next = 0;
    const cpu0 = cpuTimes();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) {
          const i = next++;
          const t0 = performance.now();
          const r = await api(
            procs[i % procs.length]!.url,
            agents[i % AGENTS],
            'POST',
            '/v1/actions',
            {
              kind: 'roaster.cooling_cycle',
              target: `roaster-${(i % TARGETS) + 1}`,
              params: { duration_s: 120 },
            },
          );
          if (r.status !== 201)
            throw new Error(`propose returned ${r.status}: ${JSON.stringify(r.body)}`);
          samples.push((performance.now() - t0) * 1000);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu1 = cpuTimes();
    const s = summarize(samples);
    const cpuBusyPercent = Math.round(
      ((cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total)) * 100,
    );
    return {
      database,
      replicas,
      proposals: TOTAL,
      requestsPerSecond: Math.round(TOTAL / seconds),
      p50Ms: Math.round(s.p50Us / 10) / 100,
      p99Ms: Math.round(s.p99Us / 10) / 100,
      cpuBusyPercent,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(setup.dir, { recursive: true, force: true });
  }
}

let keyDir: string | undefined;
function tmpKeyDir(): string {
  keyDir ??= path.join(process.env.TMPDIR ?? '/tmp', `interlock-bench-keys-${process.pid}`);
  return keyDir;
}

export async function benchReplicas(): Promise<{
  runs: ReplicaRun[];
  scaling: { twoVsOne: number; threeVsOne: number };
  load: { proposals: number; concurrency: number; agents: number; targets: number };
}> {
  const runs: ReplicaRun[] = [];
  const sqliteDir = path.join(
    process.env.TMPDIR ?? '/tmp',
    `interlock-bench-sqlite-${process.pid}`,
  );
  try {
    runs.push(await measure('sqlite', `sqlite:${path.join(sqliteDir, 'bench.db')}`, 1));
  } finally {
    rmSync(sqliteDir, { recursive: true, force: true });
  }
  const cluster = await startCluster({ durable: true });
  try {
    for (const n of [1, 2, 3]) {
      const db = await freshDatabase(cluster.url, `bench${n}`);
      try {
        runs.push(await measure('postgres', db.url, n));
      } finally {
        await db.drop();
      }
    }
  } finally {
    await cluster.stop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  }
  const pg1 =
    runs.find((r) => r.database === 'postgres' && r.replicas === 1)?.requestsPerSecond ?? 1;
  const ratio = (n: number) =>
    Math.round(
      ((runs.find((r) => r.database === 'postgres' && r.replicas === n)?.requestsPerSecond ?? 0) /
        pg1) *
        100,
    ) / 100;
  return {
    runs,
    scaling: { twoVsOne: ratio(2), threeVsOne: ratio(3) },
    load: { proposals: TOTAL, concurrency: CONCURRENCY, agents: AGENTS, targets: TARGETS },
  };
}
