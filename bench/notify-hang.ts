/**
 * Decision latency while a notification sink hangs. The same 1,000 sequential proposals (each a
 * pending approval, so each raises a notification) on a real gateway (SQLite, durable commits)
 * three ways: no sinks; a webhook to a healthy receiver; a webhook to a receiver that accepts
 * every request and never answers (30 s attempt timeout). Delivery runs in the worker, off the
 * request path, so the three should match within noise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createToken } from '../gateway/auth/tokens.ts';
import { ConfigSchema } from '../gateway/config/config.ts';
import { startGateway } from '../gateway/server.ts';
import { deliveryCounts } from '../gateway/store/notifications.ts';
import { HttpReceiver } from '../test/helpers/receivers.ts';
import { summarize, type LatencySummary } from './stats.ts';

const PROPOSALS = 1_000;
const WARMUP = 100;
// Under the shipped rate limits: 120 actions a minute per agent, 30 per target.
const PER_AGENT = 100;
const TARGETS = 50;
const KINDS = [
  { kind: 'roaster.cooling_cycle', params: { duration_s: 120 } },
  { kind: 'roaster.set_drum', params: { rpm: 70 } },
  { kind: 'roaster.set_airflow', params: { value: 45 } },
];

export interface HangRun {
  sink: 'none' | 'healthy webhook' | 'hanging webhook';
  latency: LatencySummary;
  pendingApprovals: number;
  deliveries: { delivered: number; pending: number };
}

async function run(sink: HangRun['sink'], url: string | undefined): Promise<HangRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-bench-notify-'));
  process.env.BENCH_HOOK_SECRET = 'bench-secret';
  const config = ConfigSchema.parse({
    server: { port: 0 },
    database: { url: `sqlite:${path.join(dir, 'interlock.db')}` },
    audit: { signing: { type: 'key', key: path.join(dir, 'keys', 'audit.key') } },
    targets: Array.from({ length: TARGETS }, (_, i) => ({
      id: `roaster-${i + 1}`,
      driver: 'sim-roaster',
      level: 'L3',
      options: { mode: 'RUNNING', journalFile: path.join(dir, `roaster-${i + 1}.jsonl`) },
    })),
    notifications: url
      ? {
          sinks: [
            {
              name: 'hook',
              type: 'webhook',
              url,
              secretEnv: 'BENCH_HOOK_SECRET',
              timeoutMs: 30_000,
            },
          ],
          routes: [{ events: ['approval.pending'], sinks: ['hook'] }],
        }
      : {},
  });
  const gw = await startGateway(config, { log: pino({ level: 'silent' }) });
  try {
    const agents = Math.ceil((WARMUP + PROPOSALS) / PER_AGENT);
    const tokens: string[] = [];
    for (let i = 0; i < agents; i++)
      tokens.push(
        (await createToken(gw.services.deps.db, `bench-agent-${i}`, 'agent', 'bench')).token,
      );
    const samples: number[] = [];
    let pending = 0;
    for (let i = 0; i < WARMUP + PROPOSALS; i++) {
      const t0 = performance.now();
      const res = await fetch(`${gw.url}/v1/actions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens[Math.floor(i / PER_AGENT)]}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          ...KINDS[i % KINDS.length],
          target: `roaster-${(i % TARGETS) + 1}`,
        }),
      });
      const body = (await res.json()) as { action?: { status?: string } };
      const us = (performance.now() - t0) * 1000;
      if (i >= WARMUP) {
        samples.push(us);
        if (body.action?.status === 'PENDING_APPROVAL') pending++;
      }
    }
    // Let the worker catch up with what it can deliver.
    await new Promise((r) => setTimeout(r, 2_000));
    const counts = (await deliveryCounts(gw.services.deps.db)).find((c) => c.sink === 'hook');
    return {
      sink,
      latency: summarize(samples),
      pendingApprovals: pending,
      deliveries: { delivered: counts?.delivered ?? 0, pending: counts?.pending ?? 0 },
    };
  } finally {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchNotifyHang(): Promise<{ proposals: number; runs: HangRun[] }> {
  const healthy = new HttpReceiver();
  const hanging = new HttpReceiver();
  await healthy.start();
  await hanging.start();
  hanging.hang = true;
  try {
    const runs = [
      await run('none', undefined),
      await run('healthy webhook', healthy.url),
      await run('hanging webhook', hanging.url),
    ];
    return { proposals: PROPOSALS, runs };
  } finally {
    await healthy.stop();
    await hanging.stop();
  }
}
