/** What the HTTP layer needs from the running gateway. */
import type { Logger } from 'pino';
import type { Executor } from '../executor/executor.ts';
import type { Deps } from '../lifecycle/deps.ts';
import type { Checklist } from '../governance/readiness.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { PolicyTree } from '../impact/candidate.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import type { Signer } from '../signing/signer.ts';

export interface ReadyReport {
  ready: boolean;
  checks: {
    policy: boolean;
    engine: { healthy: boolean; rebuilds: number; lastFault?: { error: string; at: number } };
    database: boolean;
    drivers: Record<string, boolean>;
  };
  policyDigest: string | null;
  /** This process's executor id (actions.executor_id): tells replicas apart. */
  instance: string;
}

export interface GovernanceServices {
  metrics: Metrics;
  checklist: Checklist;
  /** Signs attestations (the audit key). */
  signer: Signer;
}

export interface Services {
  deps: Deps;
  executor: Executor;
  log: Logger;
  governance: GovernanceServices;
  /** The bundle in force and its reloads. */
  policy: Pick<PolicyEngine, 'current' | 'reload' | 'lastReload' | 'seal'>;
  /** Set when the gateway loads only sealed trees (`policy.requireSignature`). */
  policySignature?: { trusted: string[]; sealFile: string };
  /** Where the bundle in force is compiled from: impact analysis starts from a copy of it. */
  policyTree: PolicyTree;
  ready(): Promise<ReadyReport>;
}
