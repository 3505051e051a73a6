/**
 * Side by side over HTTP, one run, one load generator (wrk, 16 connections):
 * - `opa run --server` on the Rego and data the gateway serves (the shipped policies and
 *   invariants), answering `POST /v1/data/interlock/decision/result` with the exact input the
 *   gateway's policy got for the same proposal;
 * - Interlock's `POST /v1/decisions` (a dry run: decided and audited, nothing stored);
 * - Interlock's `POST /v1/actions` (decided, stored, audited; durable commits).
 * The gateway runs on the embedded default (a SQLite file, one simulated roaster at L3) in this
 * process, which is otherwise idle while wrk runs; OPA runs as its own process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { createToken } from '../gateway/auth/tokens.ts';
import { ConfigSchema } from '../gateway/config/config.ts';
import { startGateway } from '../gateway/server.ts';
import { invariantSources } from '../gateway/invariants/compile.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { opaBinary, runOpa } from '../gateway/policy/opa-cli.ts';
import { stagePolicy } from '../gateway/policy/stage.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../gateway/paths.ts';

const CONNECTIONS = 16;
const SECONDS = Number(process.env.HTTP_VS_OPA_SECONDS ?? 10);
const PROPOSAL = { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 5 } };

export interface WrkRun {
  endpoint: string;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: number;
}

export interface HttpVsOpaResult {
  connections: number;
  seconds: number;
  wrk: string;
  opaVersion: string;
  proposal: typeof PROPOSAL;
  /** The effect the policy gave the benchmark's proposal (the same in all three). */
  effect: string;
  opa: WrkRun;
  decisions: WrkRun;
  actions: WrkRun;
  ratios: { decisionsVsOpa: number; actionsVsOpa: number };
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** ms from wrk's "12.34ms" / "850.00us" / "1.02s". */
function wrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) throw new Error(`unreadable wrk duration ${text}`);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

async function wrk(
  dir: string,
  name: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<WrkRun> {
  const script = path.join(dir, `${name}.lua`);
  const lua = [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(body)}`,
    ...Object.entries(headers).map(
      ([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`,
    ),
  ];
  writeFileSync(script, `${lua.join('\n')}\n`);
  const out = (
    await execa('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, url])
  ).stdout;
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out);
    if (!m) throw new Error(`wrk printed no ${p}th percentile:\n${out}`);
    return Math.round(wrkDuration(m[1]!) * 100) / 100;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  return {
    endpoint: name,
    requests,
    requestsPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)),
    p50Ms: pct('50'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

export async function benchHttpVsOpa(): Promise<HttpVsOpaResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-http-vs-opa-'));
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const gw = await startGateway(
      ConfigSchema.parse({
        server: { port: 0 },
        database: { url: `sqlite:${path.join(dir, 'interlock.db')}` },
      }),
      { log: pino({ level: 'warn' }) },
    );
    stops.push(() => gw.stop());
    const { token } = await createToken(gw.services.deps.db, 'bench', 'agent', 'bench');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    // The input the gateway's policy evaluates for this proposal, captured from one dry run.
    const evaluator = gw.services.deps.policy();
    if (!evaluator) throw new Error('the gateway has no policy');
    const evaluate = evaluator.evaluate;
    let input: unknown;
    evaluator.evaluate = (i: unknown) => {
      input = i;
      return evaluate(i);
    };
    const probe = await fetch(`${gw.url}/v1/decisions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(PROPOSAL),
    });
    evaluator.evaluate = evaluate;
    const decided = (await probe.json()) as { effect?: string };
    if (!probe.ok || !decided.effect || input === undefined)
      throw new Error(`dry run answered ${probe.status}`);

    const extraSources = await invariantSources(defaultInvariantsDir, defaultPolicyDir);
    const bundle = await compilePolicy({
      policyDir: defaultPolicyDir,
      cacheDir: defaultCacheDir,
      extraSources,
    });
    if (bundle.digest !== evaluator.digest)
      throw new Error('the staged bundle is not the one the gateway serves');
    const staged = await stagePolicy(bundle.sources, bundle.data, { includeTests: false });
    const opaPort = await freePort();
    const opaServer = execa(
      opaBinary(),
      ['run', '--server', '--addr', `127.0.0.1:${opaPort}`, '--log-level', 'error', staged.dir],
      { reject: false },
    );
    stops.push(async () => {
      opaServer.kill('SIGTERM');
      await opaServer;
    });
    const opaUrl = `http://127.0.0.1:${opaPort}`;
    await waitFor(`${opaUrl}/health`);
    const opaBody = JSON.stringify({ input });
    const check = (await (
      await fetch(`${opaUrl}/v1/data/interlock/decision/result`, { method: 'POST', body: opaBody })
    ).json()) as { result?: { effect?: string } };
    if (check.result?.effect !== decided.effect)
      throw new Error(`OPA decided ${check.result?.effect}, the gateway ${decided.effect}`);

    const json = { 'content-type': 'application/json' };
    const opa = await wrk(dir, 'opa', `${opaUrl}/v1/data/interlock/decision/result`, json, opaBody);
    const decisions = await wrk(
      dir,
      'decisions',
      `${gw.url}/v1/decisions`,
      auth,
      JSON.stringify(PROPOSAL),
    );
    const actions = await wrk(
      dir,
      'actions',
      `${gw.url}/v1/actions`,
      auth,
      JSON.stringify(PROPOSAL),
    );
    for (const run of [opa, decisions, actions])
      if (run.errors > 0) throw new Error(`${run.endpoint}: ${run.errors} responses were not 2xx`);
    await staged.remove();
    const version = (await runOpa(['version'])).stdout.split('\n')[0]?.replace('Version: ', '');
    const wrkVersion = (await execa('wrk', ['-v'], { reject: false })).stdout.split('\n')[0] ?? '';
    const ratio = (x: number) => Math.round((x / opa.requestsPerSecond) * 100) / 100;
    return {
      connections: CONNECTIONS,
      seconds: SECONDS,
      wrk: wrkVersion.split(' [')[0] ?? wrkVersion,
      opaVersion: version ?? 'unknown',
      proposal: PROPOSAL,
      effect: decided.effect,
      opa,
      decisions,
      actions,
      ratios: {
        decisionsVsOpa: ratio(decisions.requestsPerSecond),
        actionsVsOpa: ratio(actions.requestsPerSecond),
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
