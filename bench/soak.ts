/**
 * Soak: measure the gateway's capacity (closed loop, 15 s), then hold half of it open-loop for
 * SOAK_MS (default 10 minutes). Every 10 s: heap and RSS; every minute: p99 latency. Passes
 * when memory stays flat (the last minute's lowest heap within 1.5× + 16 MiB of the first
 * minute's) and every minute's p99 stays within 2× of the first minute's. Writes
 * bench/results/reliability/soak.json and exits non-zero on a violation.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createToken } from '../gateway/auth/tokens.ts';
import { ConfigSchema } from '../gateway/config/config.ts';
import { projectRoot } from '../gateway/paths.ts';
import { startGateway } from '../gateway/server.ts';
import { proposeCoolingCycle } from './propose.ts';
import { summarize } from './stats.ts';

const SOAK_MS = Number(process.env.SOAK_MS ?? 600_000);
const TARGETS = 100;
const AGENTS = 200;

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-soak-'));
const config = ConfigSchema.parse({
  server: { port: 0 },
  database: { url: `sqlite:${path.join(dir, 'soak.db')}` },
  targets: Array.from({ length: TARGETS }, (_, i) => ({
    id: `roaster-${i + 1}`,
    driver: 'sim-roaster',
    level: 'L3',
    options: { mode: 'RUNNING' },
  })),
  audit: { signing: { type: 'key', key: path.join(dir, 'keys/audit.key') } },
});
const gw = await startGateway(config, { log: pino({ level: 'silent' }) });
const agents = await Promise.all(
  Array.from({ length: AGENTS }, (_, i) =>
    createToken(gw.services.deps.db, `soak-${i}`, 'agent', 'soak'),
  ),
);
const tokens = agents.map((a) => a.token);
let n = 0;
const one = (): Promise<number> => proposeCoolingCycle(gw.url, tokens, TARGETS, n++);

// Capacity: closed loop, 16 in flight, 15 s.
let done = 0;
const capStart = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (performance.now() - capStart < 15_000) {
      await one();
      done++;
    }
  }),
);
const capacity = done / ((performance.now() - capStart) / 1000);
const rate = capacity / 2;

// Soak: open loop at half capacity; latencies per minute, memory every 10 s.
const minutes: number[][] = [];
const memory: { atS: number; heapMiB: number; rssMiB: number }[] = [];
const started = performance.now();
let errors = 0;
const inflight = new Set<Promise<void>>();
const mem = setInterval(() => {
  const m = process.memoryUsage();
  memory.push({
    atS: Math.round((performance.now() - started) / 1000),
    heapMiB: Math.round(m.heapUsed / 2 ** 20),
    rssMiB: Math.round(m.rss / 2 ** 20),
  });
}, 10_000);
let sent = 0;
while (performance.now() - started < SOAK_MS) {
  const due = Math.floor(((performance.now() - started) / 1000) * rate);
  while (sent < due) {
    sent++;
    const minute = Math.floor((performance.now() - started) / 60_000);
    const p = one()
      .then((us) => {
        (minutes[minute] ??= []).push(us);
      })
      .catch(() => {
        errors++;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.all(inflight);
clearInterval(mem);
await gw.stop();
rmSync(dir, { recursive: true, force: true });

const perMinute = minutes.filter(Boolean).map((m, i) => ({
  minute: i + 1,
  requests: m.length,
  p50Ms: summarize(m).p50Us / 1000,
  p99Ms: summarize(m).p99Us / 1000,
}));
const first = perMinute[0];
const firstHeap = Math.min(...memory.filter((m) => m.atS <= 60).map((m) => m.heapMiB));
const lastHeap = Math.min(
  ...memory.filter((m) => m.atS >= memory.at(-1)!.atS - 60).map((m) => m.heapMiB),
);
const p99Ok = perMinute.every((m) => !first || m.p99Ms <= 2 * first.p99Ms);
const memOk = lastHeap <= firstHeap * 1.5 + 16;
const result = {
  part: 'soak',
  at: new Date().toISOString(),
  node: process.version,
  durationS: Math.round(SOAK_MS / 1000),
  capacityPerSecond: Math.round(capacity),
  ratePerSecond: Math.round(rate),
  requests: sent,
  errors,
  perMinute,
  memory,
  heapFirstMinuteMiB: firstHeap,
  heapLastMinuteMiB: lastHeap,
  memoryFlat: memOk,
  p99Within2x: p99Ok,
  violations: (memOk ? 0 : 1) + (p99Ok ? 0 : 1) + errors,
};
const out = path.join(projectRoot, 'bench/results/reliability');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  JSON.stringify({
    capacity: result.capacityPerSecond,
    rate: result.ratePerSecond,
    requests: sent,
    errors,
    first: first?.p99Ms,
    worst: Math.max(...perMinute.map((m) => m.p99Ms)),
    firstHeap,
    lastHeap,
    memOk,
    p99Ok,
  }),
);
process.exit(result.violations === 0 ? 0 : 1);
