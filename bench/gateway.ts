/**
 * Gateway benchmarks over HTTP, audit on, real SQLite file:
 * - propose → decision: throughput and latency at a fixed concurrency;
 * - emergency stop with 1,000 pending actions: request → every driver in its safe state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createToken } from '../gateway/auth/tokens.ts';
import { ConfigSchema } from '../gateway/config/config.ts';
import { propose } from '../gateway/lifecycle/propose.ts';
import { startGateway } from '../gateway/server.ts';
import { proposeCoolingCycle } from './propose.ts';
import { summarize, type LatencySummary } from './stats.ts';

const TARGETS = 100;
const AGENTS = 20;

export interface GatewayBenchResult {
  propose: LatencySummary & { concurrency: number; requestsPerSecond: number; targets: number };
  estop: {
    runs: number;
    pendingPerRun: number;
    targets: number;
    safeState: MsSummary;
    response: MsSummary;
  };
}

export interface MsSummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function inMs(s: LatencySummary): MsSummary {
  const ms = (us: number) => Math.round(us) / 1000;
  return { count: s.count, p50Ms: ms(s.p50Us), p99Ms: ms(s.p99Us), maxMs: ms(s.maxUs) };
}

export async function benchGateway(): Promise<GatewayBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-bench-'));
  const config = ConfigSchema.parse({
    server: { port: 0 },
    database: { url: `sqlite:${path.join(dir, 'bench.db')}` },
    targets: Array.from({ length: TARGETS }, (_, i) => ({
      id: `roaster-${i + 1}`,
      driver: 'sim-roaster',
      level: 'L3',
      options: { mode: 'RUNNING' },
    })),
  });
  const gw = await startGateway(config, { log: pino({ level: 'silent' }) });
  try {
    const db = gw.services.deps.db;
    const agents = await Promise.all(
      Array.from({ length: AGENTS }, (_, i) => createToken(db, `bench-${i}`, 'agent', 'bench')),
    );
    const operator = await createToken(db, 'bench-operator', 'operator', 'bench');

    // Propose over HTTP. Cooling cycles at L3 wait for approval: each request runs the whole
    // path (auth, validation, driver state, history queries, Wasm decision, 3 audit records).
    const total = 2000;
    const concurrency = 16;
    const tokens = agents.map((a) => a.token);
    const samples: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          samples.push(await proposeCoolingCycle(gw.url, tokens, TARGETS, next++));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const proposeSummary = {
      ...summarize(samples),
      concurrency,
      requestsPerSecond: Math.round(total / seconds),
      targets: TARGETS,
    };

    // Emergency stop: 1,000 pending each run (in-process proposals to set up quickly).
    const runs = 20;
    const safe: number[] = [];
    const response: number[] = [];
    for (let run = 0; run < runs; run++) {
      const pending = await gw.services.deps.db
        .selectFrom('actions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'PENDING_APPROVAL')
        .executeTakeFirstOrThrow();
      for (let i = Number(pending.n); i < 1000; i++) {
        const agent = { id: `bench-${i % AGENTS}`, role: 'agent' as const };
        await propose(
          gw.services.deps,
          agent,
          { kind: 'roaster.set_drum', target: `roaster-${(i % TARGETS) + 1}`, params: { rpm: 60 } },
          undefined,
        );
        // The shipped limits allow 120 proposals per actor per minute: age the rows instead of
        // waiting.
        if (i % 100 === 99)
          await gw.services.deps.db
            .updateTable('actions')
            .set((eb) => ({ created_at: eb('created_at', '-', 120_000) }))
            .execute();
      }
      const t0 = performance.now();
      const res = await fetch(`${gw.url}/v1/estop`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: `bench run ${run}` }),
      });
      const body = (await res.json()) as { safeStateMs: number; cancelled: number };
      response.push((performance.now() - t0) * 1000);
      if (body.cancelled < 1000)
        throw new Error(`estop cancelled ${body.cancelled}, expected ≥ 1000`);
      safe.push(body.safeStateMs * 1000);
      await fetch(`${gw.url}/v1/estop/rearm`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'bench rearm' }),
      });
    }
    return {
      propose: proposeSummary,
      estop: {
        runs,
        pendingPerRun: 1000,
        targets: TARGETS,
        safeState: inMs(summarize(safe)),
        response: inMs(summarize(response)),
      },
    };
  } finally {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
