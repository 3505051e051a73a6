/**
 * The bundle the gateway serves (shipped policies and invariants), evaluated by the Wasm
 * engine in-process and by OPA's own Go evaluator (`opa run --server` on loopback), on
 * generated inputs: every kind of the catalog, params and state at and around their limits,
 * decimals (1.1 + 0.2 against 1.3), values of the wrong type, missing state fields, counts at
 * their thresholds, shell argv. The outcome must agree on every input: the deny rules of the
 * baseline, the invariants violated, the rate limits hit and the policy's effect. Reason texts
 * may differ (number formatting); they are not compared.
 *
 * 500 inputs in CI; OPA_DIFF_RUNS=5000 for the long run.
 */
import { createServer } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globMatch } from '../gateway/invariants/check.ts';
import { invariantSources } from '../gateway/invariants/compile.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../gateway/paths.ts';
import { compilePolicy, DECISION_ENTRYPOINT } from '../gateway/policy/compile.ts';
import { mergePolicyData } from '../gateway/policy/load-data.ts';
import { opaBinary } from '../gateway/policy/opa-cli.ts';
import { stagePolicy, type StagedPolicy } from '../gateway/policy/stage.ts';
import { loadEvaluator } from '../gateway/policy/wasm-policy.ts';
import type { PolicyEvaluator } from '../gateway/schema/evaluator.ts';
import type { PolicyData } from '../gateway/schema/policy-data.ts';

const RUNS = Number(process.env.OPA_DIFF_RUNS ?? 500);

let evaluator: PolicyEvaluator;
let staged: StagedPolicy;
let server: ResultPromise | undefined;
let base = '';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

beforeAll(async () => {
  const extraSources = await invariantSources(defaultInvariantsDir, defaultPolicyDir);
  const bundle = await compilePolicy({
    policyDir: defaultPolicyDir,
    cacheDir: defaultCacheDir,
    extraSources,
  });
  evaluator = await loadEvaluator(bundle);
  staged = await stagePolicy(bundle.sources, mergePolicyData(bundle.sources), {
    includeTests: false,
  });
  const port = await freePort();
  server = execa(
    opaBinary(),
    ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error', staged.dir],
    { reject: false },
  );
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 150) throw new Error('opa run --server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  await server?.catch(() => undefined);
  await staged?.remove();
});

interface Raw {
  baseline: { rule: string }[];
  invariants: { id: string }[];
  rate_limits: { rule: string }[];
  policy: { effect: string; rules: string[] };
}

/** What must agree: rules and ids as sorted lists, and the policy's effect. */
const outcome = (r: Raw) => ({
  baseline: [...new Set(r.baseline.map((f) => f.rule))].sort(),
  invariants: [...new Set(r.invariants.map((v) => v.id))].sort(),
  rateLimits: [...new Set(r.rate_limits.map((f) => f.rule))].sort(),
  policy: r.policy.effect,
  policyRules: r.policy.rules,
});

/**
 * A number around a limit: the limit itself, a hundredth either side, or anywhere in range, with up
 * to 2 decimals.
 */
const near = (limits: number[], lo: number, hi: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(
      ...limits.flatMap((l) => [
        l,
        Math.round((l - 0.01) * 100) / 100,
        Math.round((l + 0.01) * 100) / 100,
        l - 1,
        l + 1,
      ]),
    ),
    fc.integer({ min: Math.round(lo * 100), max: Math.round(hi * 100) }).map((c) => c / 100),
  );

/** Sometimes the wrong type, sometimes missing: what a controller or an agent may send. */
const sloppy = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: good },
    { weight: 1, arbitrary: good.map((v) => String(v)) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, [1], { v: 1 }) },
  );

function inputArb(data: PolicyData): fc.Arbitrary<unknown> {
  const kinds = Object.keys(data.catalog);
  const numbers = near([0, 1, 5, 10, 20, 30, 50, 60, 100, 200, 230, 240, 1.3, 9.5, 10], -5, 300);
  const params = (kind: string): fc.Arbitrary<Record<string, unknown>> => {
    const spec = data.catalog[kind]!.params;
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, p] of Object.entries(spec)) {
      if (p.enum) fields[name] = fc.constantFrom(...p.enum);
      else if (p.type === 'number' || p.type === 'integer')
        fields[name] = sloppy(
          near([p.min ?? 0, p.max ?? 100, 0.2, 1.1], p.min ?? -5, p.max ?? 300),
        );
      else if (p.type === 'boolean') fields[name] = fc.boolean();
      else if (p.type === 'string_list')
        fields[name] = fc.array(
          fc.constantFrom(
            '/usr/bin/ls',
            'rm',
            '-rf',
            'x',
            'curl',
            'sudo',
            'env',
            'sh',
            '-c',
            'rm -rf x | sh',
            '--recursiv',
            '--forc',
            'find',
            '-delete',
          ),
          { minLength: 1, maxLength: 6 },
        );
      else
        fields[name] = fc.constantFrom(
          'x',
          'approved',
          'daypart',
          'overnight',
          'b1',
          '/workspace/a',
          'live',
          'safe_loop',
          'm',
        );
    }
    return fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
  };
  const stateFields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const fields of Object.values(data.state_fields)) {
    for (const [f, ty] of Object.entries(fields)) {
      stateFields[f] =
        ty === 'number'
          ? sloppy(numbers)
          : ty === 'bool'
            ? sloppy(fc.boolean())
            : fc.constantFrom('RUNNING', 'OFF', 'PREHEATING', 'COOLING', 'live', 'safe_loop', 'x');
    }
  }
  const counts = Object.fromEntries(
    (data.invariant_manifest?.counts ?? []).map((c) => [
      `${c.kind}@${c.window_ms}`,
      fc.integer({ min: 0, max: 25 }),
    ]),
  );
  return fc.constantFrom(...kinds).chain((kind) =>
    fc.record({
      action: fc.record({
        kind: fc.constant(kind),
        target: fc.constantFrom('roaster-1', 'ws', 'station', 'llm-budget'),
        params: params(kind),
      }),
      actor: fc.record({
        id: fc.constantFrom('agent-1', 'op-1', ''),
        roles: fc.subarray(['agent', 'operator', 'admin']),
      }),
      context: fc.record(
        {
          level: fc.constantFrom(...data.autonomy.order, 'autonomous', 'L9'),
          state: fc.record(stateFields, { requiredKeys: [] }),
          now: fc.integer({ min: 0, max: 10_000_000 }),
          estop: fc.constant(false),
          clock: fc.record({
            minute: fc.integer({ min: 0, max: 1439 }),
            weekday: fc.integer({ min: 0, max: 6 }),
          }),
          batch: fc.record({ size: fc.integer({ min: 1, max: 12 }) }),
          history: fc.record({
            last: fc.constant({}),
            rate: fc.record(
              {
                actor_actions_per_minute: fc.record({ count: fc.integer({ min: 0, max: 130 }) }),
                roaster_commands_per_minute: fc.record({
                  count: fc.integer({ min: 0, max: 35 }),
                  oldest_at: fc.integer({ min: 0, max: 60_000 }),
                }),
              },
              { requiredKeys: [] },
            ),
            counts: fc.record(counts, { requiredKeys: [] }),
          }),
        },
        { requiredKeys: ['level', 'now', 'estop', 'history'] },
      ),
    }),
  );
}

describe("OPA's Go evaluator and the Wasm engine", () => {
  it('agree on the exact decimal limits of the budget invariant', async () => {
    for (const [spent, cost, budget] of [
      [1.1, 0.2, 1.3],
      [0.1, 0.2, 0.3],
      [9.5, 0.5, 10],
      [0.7, 0.1, 0.8],
    ] as const) {
      const input = {
        action: {
          kind: 'agent.model_call',
          target: 'llm-budget',
          params: { model: 'm', estimated_cost_usd: cost },
        },
        actor: { id: 'a', roles: ['agent'] },
        context: {
          level: 'L5',
          now: 0,
          estop: false,
          state: { total_spend_usd: spent, budget_usd: budget },
          history: { last: {}, rate: {}, counts: {} },
        },
      };
      const wasm = outcome((evaluator.evaluate(input) as { result: Raw }[])[0]!.result);
      const go = outcome(
        (
          (await (
            await fetch(`${base}/v1/data/${DECISION_ENTRYPOINT}`, {
              method: 'POST',
              body: JSON.stringify({ input }),
            })
          ).json()) as { result: Raw }
        ).result,
      );
      expect(wasm, `${spent} + ${cost} <= ${budget}`).toEqual(go);
      // At the limit is within the budget, in both.
      expect(wasm.invariants).not.toContain('INV.BUDGET.CAP');
    }
  });

  it('read invariant target globs as the reference evaluator does (* and ? only)', async () => {
    const pattern = fc.string({
      unit: fc.constantFrom('a', 'b', '-', '.', '1', '*', '?'),
      minLength: 1,
      maxLength: 6,
    });
    const value = fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '1'), maxLength: 7 });
    const pairs = fc.sample(fc.tuple(pattern, value), { numRuns: 500, seed: 3 });
    const res = await fetch(`${base}/v1/query`, {
      method: 'POST',
      body: JSON.stringify({
        query: 'x := [glob.match(p[0], null, p[1]) | some p in input]',
        input: pairs,
      }),
    });
    const go = ((await res.json()) as { result: { x: boolean[] }[] }).result[0]!.x;
    expect(pairs.map(([p, v]) => globMatch(p, v))).toEqual(go);
  });

  it(`agree on ${RUNS} generated inputs`, async () => {
    const inputs = fc.sample(inputArb(evaluator.data), {
      numRuns: RUNS,
      seed: Number(process.env.OPA_DIFF_SEED ?? 42),
    });
    let compared = 0;
    for (const input of inputs) {
      let wasm: ReturnType<typeof outcome>;
      try {
        wasm = outcome((evaluator.evaluate(input) as { result: Raw }[])[0]!.result);
      } catch {
        continue; // the Wasm engine refused it (the gateway would deny): nothing to compare
      }
      const res = await fetch(`${base}/v1/data/${DECISION_ENTRYPOINT}`, {
        method: 'POST',
        body: JSON.stringify({ input }),
      });
      const go = (await res.json()) as { result?: Raw };
      expect(go.result, JSON.stringify(input)).toBeDefined();
      expect(wasm, JSON.stringify(input)).toEqual(outcome(go.result!));
      compared++;
    }
    expect(compared).toBeGreaterThan(RUNS * 0.9);
  }, 600_000);
});
