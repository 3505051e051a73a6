/**
 * What the invariants cost per decision: the decision-latency workload against the shipped
 * policies compiled alone and compiled with all the shipped invariants, in alternating rounds
 * in one process so that both see the same machine state.
 */
import { withContextDefaults } from '../gateway/decide/defaults.ts';
import type { DecisionRequest } from '../gateway/decide/pipeline.ts';
import { invariantSources } from '../gateway/invariants/compile.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../gateway/paths.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { loadEvaluator } from '../gateway/policy/wasm-policy.ts';
import type { PolicyEvaluator } from '../gateway/schema/evaluator.ts';
import { decisionSamples, workload } from './decision-latency.ts';
import { summarize, type LatencySummary } from './stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 4_000);

export interface InvariantOverheadResult {
  invariants: number;
  without: LatencySummary;
  with: LatencySummary;
  p50Ratio: number;
  p99Ratio: number;
}

function measure(
  reqs: DecisionRequest[],
  evaluator: PolicyEvaluator,
  n: number,
  into: number[],
): void {
  into.push(...decisionSamples(reqs, evaluator, n).us);
}

export async function benchInvariantOverhead(): Promise<InvariantOverheadResult> {
  const plain = await loadEvaluator(
    await compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir }),
  );
  const extraSources = await invariantSources(defaultInvariantsDir, defaultPolicyDir);
  const guarded = await loadEvaluator(
    await compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir, extraSources }),
  );
  // The gateway supplies the counts and the clock the invariants read; so does this workload.
  const reqs = workload().map((r) => ({
    ...r,
    context: withContextDefaults(r.context, r.context.now, guarded.data.invariant_manifest),
  }));
  const a: number[] = [];
  const b: number[] = [];
  measure(reqs, plain, 3_000, []);
  measure(reqs, guarded, 3_000, []);
  for (let round = 0; round < ROUNDS; round++) {
    measure(reqs, plain, PER_ROUND, a);
    measure(reqs, guarded, PER_ROUND, b);
  }
  const without = summarize(a);
  const withInv = summarize(b);
  return {
    invariants: guarded.data.invariant_manifest?.ids.length ?? 0,
    without,
    with: withInv,
    p50Ratio: Math.round((withInv.p50Us / without.p50Us) * 100) / 100,
    p99Ratio: Math.round((withInv.p99Us / without.p99Us) * 100) / 100,
  };
}
