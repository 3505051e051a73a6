/**
 * The loaded policy as the decision pipeline sees it: data for validation, and one evaluate call.
 */
import type { PolicyData } from './policy-data.ts';
import type { ShellAnalysis } from './shell.ts';

export interface PolicyEvaluator {
  /** sha256 over the sorted policy sources: the policy version. */
  readonly digest: string;
  /** Who sealed the bundle (`policy.requireSignature`); absent when signatures are not required. */
  readonly signer?: string;
  readonly data: PolicyData;
  /** Evaluates the decision entrypoint; throws when the policy aborts. */
  evaluate(input: unknown): unknown;
  /** Whether the engine can evaluate, and how often its instance was replaced after a failure. */
  health?(): { healthy: boolean; rebuilds: number; lastFault?: { error: string; at: number } };
  /** Replaces the engine's instance with a fresh one (a reload of an unchanged bundle). */
  renew?(): void;
  /**
   * The host's copy of the bundle's shell analysis, when the bundle's analysis sources are the
   * ones it mirrors; undefined for an argv it does not handle (the policy then analyses it).
   */
  readonly analyseShell?: (argv: readonly string[]) => ShellAnalysis | undefined;
}
