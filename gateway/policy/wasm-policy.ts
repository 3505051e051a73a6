/** Loads a compiled bundle into the opa-wasm runtime as a PolicyEvaluator. */
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { MIRRORED_SOURCES, ShellAnalyser } from '../decide/shell-analysis.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { ShellAnalysis } from '../schema/shell.ts';
import type { CompiledBundle } from './compile.ts';
import { HealingInstance, type EngineFault } from './healing-instance.ts';
import { DECISION_ENTRYPOINT, SHELL_REFERENCE_ENTRYPOINT } from './compile.ts';
import { shellAnalysisSources } from './shell-mirror.ts';

/**
 * loadEvaluator instantiates the bundle's Wasm module with its data, in an instance that is
 * replaced after any failure (healing-instance.ts); onFault hears of each replacement.
 */
export async function loadEvaluator(
  bundle: CompiledBundle,
  onFault?: (fault: EngineFault) => void,
  signer?: string,
): Promise<PolicyEvaluator> {
  const instance = await HealingInstance.create(bundle.wasm, bundle.data, bundle.digest, onFault);
  const analyser = hostShellAnalyser(bundle);
  return {
    digest: bundle.digest,
    ...(signer ? { signer } : {}),
    data: bundle.data,
    evaluate: (input: unknown): unknown => instance.evaluate(input, DECISION_ENTRYPOINT),
    health: () => instance.health,
    renew: () => instance.renew(),
    ...(analyser ? { analyseShell: (argv: readonly string[]) => analyser.analyse(argv) } : {}),
  };
}

/**
 * Who analyses shell lines for an evaluator: the host's mirrored copy, or the policy's own Rego.
 */
export function shellAnalysisOf(evaluator: PolicyEvaluator): 'host' | 'policy' {
  return evaluator.analyseShell ? 'host' : 'policy';
}

/**
 * hostShellAnalyser is the host's copy of the shell analysis for this bundle, or undefined
 * when the bundle's analysis sources are not exactly the ones the copy mirrors.
 */
export function hostShellAnalyser(
  bundle: Pick<CompiledBundle, 'sources' | 'data'>,
): ShellAnalyser | undefined {
  const found = shellAnalysisSources(bundle.sources);
  const pinned = Object.entries(MIRRORED_SOURCES);
  if (found.size !== pinned.length || pinned.some(([p, digest]) => found.get(p) !== digest))
    return undefined;
  // data.shell.syntax was checked when the data merged.
  const syntax = bundle.data.shell?.syntax;
  return syntax ? new ShellAnalyser(syntax) : undefined;
}

/** loadShellReference evaluates the bundle's own (Rego) analysis of an argv, for tests. */
export async function loadShellReference(
  bundle: CompiledBundle,
): Promise<(argv: readonly string[]) => ShellAnalysis> {
  const policy = await loadPolicy(bundle.wasm);
  policy.setData(bundle.data);
  return (argv) => {
    const out = policy.evaluate(
      { action: { kind: 'shell.exec', params: { argv } } },
      SHELL_REFERENCE_ENTRYPOINT,
    ) as Array<{ result?: ShellAnalysis }>;
    const result = out[0]?.result;
    if (!result) throw new Error(`the shell reference is undefined for ${JSON.stringify(argv)}`);
    return result;
  };
}
