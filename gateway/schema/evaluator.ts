/** The loaded policy as the decision pipeline sees it: data for validation, and one evaluate call. */
import type { PolicyData } from './policy-data.ts';

export interface PolicyEvaluator {
  /** sha256 over the sorted policy sources: the policy version. */
  readonly digest: string;
  readonly data: PolicyData;
  /** Evaluates the decision entrypoint; throws when the policy aborts. */
  evaluate(input: unknown): unknown;
}
