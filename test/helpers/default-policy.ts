/** The shipped policy tree, compiled once per test file through the real opa toolchain. */
import { compilePolicy } from '../../gateway/policy/compile.ts';
import { loadEvaluator } from '../../gateway/policy/wasm-policy.ts';
import { defaultCacheDir, defaultPolicyDir } from '../../gateway/paths.ts';
import type { PolicyEvaluator } from '../../gateway/schema/evaluator.ts';

let shared: Promise<PolicyEvaluator> | undefined;

/** defaultEvaluator compiles policies/ (or reuses the digest cache) and loads it as Wasm. */
export function defaultEvaluator(): Promise<PolicyEvaluator> {
  shared ??= compilePolicy({ policyDir: defaultPolicyDir, cacheDir: defaultCacheDir }).then(loadEvaluator);
  return shared;
}
