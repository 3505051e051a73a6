/** What the HTTP layer needs from the running gateway. */
import type { Logger } from 'pino';
import type { Executor } from '../executor/executor.ts';
import type { Deps } from '../lifecycle/deps.ts';

export interface ReadyReport {
  ready: boolean;
  checks: { policy: boolean; database: boolean; drivers: Record<string, boolean> };
  policyDigest: string | null;
}

export interface Services {
  deps: Deps;
  executor: Executor;
  log: Logger;
  ready(): Promise<ReadyReport>;
}
