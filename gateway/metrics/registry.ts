/**
 * Prometheus metrics (prom-client), all under `interlock_`. Counters and histograms follow the
 * lifecycle's events; gauges read the database when scraped, so they are right after a restart.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Deps } from '../lifecycle/deps.ts';
import { levelInForce } from '../lifecycle/context.ts';
import { rank } from '../lifecycle/levels.ts';
import { waitingCount } from '../lifecycle/waiting.ts';
import type { LifecycleEvent } from '../lifecycle/events.ts';
import { windowMetrics } from '../governance/window.ts';
import { headSeq, signedThrough } from '../store/audit-log.ts';
import { countOpenBreakers } from '../store/breakers.ts';
import { deliveryCounts } from '../store/notifications.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly readiness: Gauge<'target'>;
  #unsubscribe: (() => void) | undefined;
  readonly #decisions: Counter<'effect' | 'stage' | 'rule' | 'purpose'>;
  readonly #decisionSeconds: Histogram<'purpose'>;
  readonly #approvalSeconds: Histogram;
  readonly #executions: Counter<'status'>;
  readonly #estops: Counter;
  readonly #engineRebuilds: Counter;
  readonly #breakerEvents: Counter<'rule' | 'action' | 'severity' | 'target'>;
  readonly #notificationAttempts: Counter<'sink' | 'outcome'>;

  constructor(private readonly deps: Deps) {
    const registers = [this.registry];
    this.#decisions = new Counter({
      name: 'interlock_decisions_total',
      help: 'Decisions by effect, deciding stage, first rule and purpose (proposal or time-of-use re-check)',
      labelNames: ['effect', 'stage', 'rule', 'purpose'],
      registers,
    });
    this.#decisionSeconds = new Histogram({
      name: 'interlock_decision_duration_seconds',
      help: 'Time to decide, validation to verdict',
      labelNames: ['purpose'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
    this.#approvalSeconds = new Histogram({
      name: 'interlock_approval_latency_seconds',
      help: 'From proposal to the approval that released it (the roaster plan: p95 < 30 s)',
      buckets: [1, 5, 10, 20, 30, 60, 120, 300, 900],
      registers,
    });
    this.#executions = new Counter({
      name: 'interlock_executions_total',
      help: 'Execution outcomes (BLOCKED: refused at time of use)',
      labelNames: ['status'],
      registers,
    });
    this.#estops = new Counter({
      name: 'interlock_emergency_stops_total',
      help: 'Emergency stops engaged',
      registers,
    });
    this.#engineRebuilds = new Counter({
      name: 'interlock_engine_rebuilds_total',
      help: 'Policy engine instances discarded after a trap or error and replaced by a fresh one',
      registers,
    });
    this.#breakerEvents = new Counter({
      name: 'interlock_breaker_events_total',
      help: 'Circuit breaker trips',
      labelNames: ['rule', 'action', 'severity', 'target'],
      registers,
    });
    this.#notificationAttempts = new Counter({
      name: 'interlock_notification_attempts_total',
      help: 'Notification delivery attempts by sink and outcome (delivered, failed and retried, dead: given up)',
      labelNames: ['sink', 'outcome'],
      registers,
    });
    this.readiness = new Gauge({
      name: 'interlock_readiness_score',
      help: 'Readiness score of the last assessment (0–1)',
      labelNames: ['target'],
      registers,
    });

    const { db } = deps;
    new Gauge({
      name: 'interlock_pending_approvals',
      help: 'Actions waiting for approval or a veto window',
      registers,
      async collect() {
        this.set(await waitingCount({ db }));
      },
    });
    new Gauge({
      name: 'interlock_breaker_events_unresolved',
      help: 'Circuit breaker events not yet resolved',
      registers,
      async collect() {
        this.set(await countOpenBreakers(db));
      },
    });
    new Gauge({
      name: 'interlock_notification_deliveries',
      help: 'Notification deliveries on record by sink and status (pending: not yet accepted by the receiver)',
      labelNames: ['sink', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const c of await deliveryCounts(db))
          for (const status of ['pending', 'delivered', 'dead'] as const)
            this.set({ sink: c.sink, status }, c[status]);
      },
    });
    new Gauge({
      name: 'interlock_audit_head_seq',
      help: 'Sequence number of the newest audit record',
      registers,
      async collect() {
        this.set(await headSeq(db));
      },
    });
    new Gauge({
      name: 'interlock_audit_signed_seq',
      help: 'Last audit record covered by a signed checkpoint',
      registers,
      async collect() {
        this.set(await signedThrough(db));
      },
    });
    new Gauge({
      name: 'interlock_autonomy_level',
      help: 'Level in force per target, as its rank in the level order (1 = L1)',
      labelNames: ['target', 'level'],
      registers,
      async collect() {
        this.reset();
        const evaluator = deps.policy();
        for (const id of deps.targets.keys()) {
          const level = await levelInForce(deps, evaluator, id);
          this.set({ target: id, level }, evaluator ? rank(evaluator.data, level) + 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'interlock_error_rate',
      help: 'Failed executions over finished executions in the last 5 minutes, per target',
      labelNames: ['target'],
      registers,
      async collect() {
        for (const id of deps.targets.keys())
          this.set({ target: id }, (await windowMetrics(db, id, deps.now() - 300_000)).error_rate);
      },
    });
  }

  /** The policy engine replaced a failed Wasm instance. */
  engineRebuilt(): void {
    this.#engineRebuilds.inc();
  }

  /**
   * Every rule's series on every target, at 0, before anything trips. Prometheus's increase()
   * needs two samples: a series that first appears at 1 reads as no increase, and an alert on
   * the first critical trip would never fire.
   */
  seedBreakerSeries(rules: readonly { name: string; action: string; severity: string }[]): void {
    for (const rule of rules) {
      for (const target of this.deps.targets.keys())
        this.#breakerEvents.inc(
          { rule: rule.name, action: rule.action, severity: rule.severity, target },
          0,
        );
    }
  }

  /** The notification worker's observer: one call per delivery attempt. */
  notificationAttempt(sink: string, outcome: 'delivered' | 'failed' | 'dead'): void {
    this.#notificationAttempts.inc({ sink, outcome });
  }

  /** Every sink's series at 0 from the start, for increase() (as for the breakers). */
  seedNotificationSeries(sinks: readonly string[]): void {
    for (const sink of sinks)
      for (const outcome of ['delivered', 'failed', 'dead'] as const)
        this.#notificationAttempts.inc({ sink, outcome }, 0);
  }

  start(): void {
    this.#unsubscribe = this.deps.events.subscribe((e) => this.#observe(e));
  }

  stop(): void {
    this.#unsubscribe?.();
  }

  #observe(e: LifecycleEvent): void {
    const d = e.detail ?? {};
    switch (e.type) {
      case 'decision':
        this.#decisions.inc({
          effect: String(d.effect),
          stage: String(d.stage),
          rule: String(d.rule),
          purpose: String(d.purpose),
        });
        this.#decisionSeconds.observe({ purpose: String(d.purpose) }, Number(d.totalUs) / 1e6);
        return;
      case 'action.approval':
        if (typeof d.waitedMs === 'number') this.#approvalSeconds.observe(d.waitedMs / 1000);
        return;
      case 'action.finished':
        this.#executions.inc({ status: String(e.status) });
        return;
      case 'estop.engaged':
        this.#estops.inc();
        return;
      case 'breaker.tripped':
        this.#breakerEvents.inc({
          rule: String(d.rule),
          action: String(d.action),
          severity: String(d.severity),
          target: String(e.target),
        });
        return;
      case 'breaker.rule_changed':
        // A rule with a new action or severity is a new series: it starts at 0 too.
        this.seedBreakerSeries([
          { name: String(d.rule), action: String(d.action), severity: String(d.severity) },
        ]);
        return;
      default:
        return;
    }
  }
}
