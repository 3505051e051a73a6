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
import { mkdtempSync, rmSync } from 'node:fs';
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
import { canonicalJson } from '../gateway/schema/canonical-json.ts';
import { freePort, waitFor } from '../test/helpers/net.ts';
import { wrk, wrkVersion, CONNECTIONS, SECONDS, type WrkRun } from './wrk.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../gateway/paths.ts';

const PROPOSAL = { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 5 } };

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

export async function benchHttpVsOpa(): Promise<HttpVsOpaResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-http-vs-opa-'));
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const gw = await startGateway(
      ConfigSchema.parse({
        server: { port: 0 },
        database: { url: `sqlite:${path.join(dir, 'interlock.db')}` },
        audit: { signing: { type: 'key', key: path.join(dir, 'keys', 'audit.key') } },
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
    let wasmResult: unknown;
    evaluator.evaluate = (i: unknown) => {
      input = i;
      wasmResult = evaluate(i);
      return wasmResult;
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
    // OPA must answer what the gateway's Wasm answered (the stages' findings, which the
    // gateway then orders into its decision).
    const check = (await (
      await fetch(`${opaUrl}/v1/data/interlock/decision/result`, { method: 'POST', body: opaBody })
    ).json()) as { result?: unknown };
    const ours = (wasmResult as { result?: unknown }[] | undefined)?.[0]?.result;
    if (canonicalJson(check.result) !== canonicalJson(ours))
      throw new Error(
        `OPA answered ${JSON.stringify(check.result).slice(0, 300)}, the gateway's Wasm ${JSON.stringify(ours).slice(0, 300)}`,
      );

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
    const ratio = (x: number) => Math.round((x / opa.requestsPerSecond) * 100) / 100;
    return {
      connections: CONNECTIONS,
      seconds: SECONDS,
      wrk: await wrkVersion(),
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
