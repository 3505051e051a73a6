/**
 * Watches this process's readiness and puts its drops and recoveries on the audit log
 * (`readiness.dropped`, `readiness.restored`), from where they are notified like any other
 * event. A drop counts once it has lasted `confirmChecks` checks in a row, so a slow driver
 * reconnect or one missed database ping is not a page at three in the morning.
 *
 * When the database itself is what failed, nothing can be recorded until it answers again:
 * the drop is then recorded late, together with its recovery, with the time it began.
 */
import type { AuditEntry } from '../audit/append.ts';
import type { Deps } from './deps.ts';
import { recordAudit } from './audit.ts';

export interface ReadinessProbe {
  ready: boolean;
  /** What is failing, as people read it: `database`, `policy`, `driver roaster-1`, … */
  failing: string[];
}

export class ReadinessWatch {
  readonly #deps: Pick<Deps, 'db' | 'commits' | 'now'>;
  readonly #probe: () => Promise<ReadinessProbe>;
  readonly #instance: string;
  readonly #confirmChecks: number;
  #streak = 0;
  #good = 0;
  #since: number | undefined;
  #failing: string[] = [];
  // The drop was confirmed; and whether its record is on the log yet.
  #dropped = false;
  #recorded = false;

  constructor(
    deps: Pick<Deps, 'db' | 'commits' | 'now'>,
    probe: () => Promise<ReadinessProbe>,
    instance: string,
    confirmChecks = 2,
  ) {
    this.#deps = deps;
    this.#probe = probe;
    this.#instance = instance;
    this.#confirmChecks = confirmChecks;
  }

  /** One check; a failure to record is thrown, and the next check records it then. */
  async check(): Promise<void> {
    const probe = await this.#probe().catch((): ReadinessProbe => ({
      ready: false,
      failing: ['readiness check'],
    }));
    const now = this.#deps.now();
    if (!probe.ready) {
      this.#streak++;
      this.#good = 0;
      this.#since ??= now;
      // Everything that failed during the drop, in the order it first failed.
      for (const f of probe.failing) if (!this.#failing.includes(f)) this.#failing.push(f);
      if (this.#streak >= this.#confirmChecks) this.#dropped = true;
      if (this.#dropped && !this.#recorded) {
        await recordAudit(this.#deps, [this.#dropEntry(now)]);
        this.#recorded = true;
      }
      return;
    }
    if (this.#dropped) {
      // A recovery counts, like a drop, once it has lasted confirmChecks checks: no flapping.
      if (++this.#good < this.#confirmChecks) return;
      const entries: AuditEntry[] = this.#recorded ? [] : [this.#dropEntry(now)];
      entries.push({
        type: 'readiness.restored',
        actor: 'gateway',
        at: now,
        payload: {
          instance: this.#instance,
          since: new Date(this.#since ?? now).toISOString(),
          down_ms: now - (this.#since ?? now),
          failing: this.#failing.join(', '),
        },
      });
      await recordAudit(this.#deps, entries);
    }
    this.#streak = 0;
    this.#good = 0;
    this.#since = undefined;
    this.#failing = [];
    this.#dropped = false;
    this.#recorded = false;
  }

  #dropEntry(now: number): AuditEntry {
    return {
      type: 'readiness.dropped',
      actor: 'gateway',
      at: now,
      payload: {
        instance: this.#instance,
        since: new Date(this.#since ?? now).toISOString(),
        failing: this.#failing.join(', '),
      },
    };
  }
}
