/** The shipped policy tree, compiled once per test file through the real opa toolchain. */
import { compilePolicy } from '../../gateway/policy/compile.ts';
import { loadEvaluator } from '../../gateway/policy/wasm-policy.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../../gateway/paths.ts';
import { invariantSources } from '../../gateway/invariants/compile.ts';
import type { PolicyEvaluator } from '../../gateway/schema/evaluator.ts';

let shared: Promise<PolicyEvaluator> | undefined;

/** defaultEvaluator compiles policies/ (or reuses the digest cache) and loads it as Wasm. */
export function defaultEvaluator(): Promise<PolicyEvaluator> {
  shared ??= compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir }).then(
    loadEvaluator,
  );
  return shared;
}

let withInvariants: Promise<PolicyEvaluator> | undefined;

/** The shipped policies and invariants, compiled into one bundle as the gateway runs them. */
export function shippedEvaluator(): Promise<PolicyEvaluator> {
  withInvariants ??= invariantSources(defaultInvariantsDir, defaultPolicyDir)
    .then((extraSources) =>
      compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir, extraSources }),
    )
    .then(loadEvaluator);
  return withInvariants;
}
