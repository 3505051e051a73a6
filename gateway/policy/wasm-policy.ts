/** Loads a compiled bundle into the opa-wasm runtime as a PolicyEvaluator. */
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { CompiledBundle } from './compile.ts';
import { DECISION_ENTRYPOINT } from './compile.ts';

/** loadEvaluator instantiates the bundle's Wasm module with its data. */
export async function loadEvaluator(bundle: CompiledBundle): Promise<PolicyEvaluator> {
  const policy = await loadPolicy(bundle.wasm);
  policy.setData(bundle.data);
  const data = bundle.data;
  return {
    digest: bundle.digest,
    data,
    evaluate: (input: unknown): unknown => policy.evaluate(input, DECISION_ENTRYPOINT),
  };
}
