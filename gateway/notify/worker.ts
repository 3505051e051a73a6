/**
 * The notification worker: routes outbox events to sinks and delivers them, with retries and
 * exponential backoff, off the request path. A request only writes the outbox row (in its own
 * transaction); nothing here is awaited by a decision, so a sink that hangs or refuses costs
 * its own deliveries and nothing else. Several replicas may run it: routing is once per event
 * and each attempt is claimed, so a receiver sees an event again only when a reply was lost.
 */
import type { Deps } from '../lifecycle/deps.ts';
import { levelInForce } from '../lifecycle/context.ts';
import {
  NotificationSchema,
  NotifyEventSchema,
  REPORT_EVENT,
  type Notification,
} from '../schema/notification.ts';
import { handoffReport } from '../report/read.ts';
import { actionById } from '../store/actions.ts';
import { recordRange } from '../store/audit-log.ts';
import {
  approvalsExpiringBy,
  claimDelivery,
  dueDeliveries,
  finishAttempt,
  insertOutbox,
  pruneNotifications,
  routeEvent,
  unroutedEvents,
  type DeliveryRow,
  type DueDelivery,
  type OutboxRow,
} from '../store/notifications.ts';
import { composeNotification } from './compose.ts';
import { sinksFor } from './routing.ts';
import type { Sink } from './sinks/sink.ts';
import { isUnattended } from '../config/unattended.ts';
import { parseJsonObject } from './json-object.ts';
import { reportNotification } from './report-notice.ts';
import { ReportSchedule } from './report-schedule.ts';

export interface DeliveryObserver {
  attempt(sink: string, outcome: 'delivered' | 'failed' | 'dead', seconds: number): void;
}

// Finished deliveries and routed events are kept this long (Status page, troubleshooting).
const RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 60_000;
// At most this many attempts in flight per sink: a dead sink cannot take every slot.
const IN_FLIGHT_PER_SINK = 4;
// A claim outlives its attempt's timeout by this much before another replica may retry it.
const CLAIM_SLACK_MS = 10_000;
// An event that fails to compose this many times is sent as a failure notice (or dropped).
const COMPOSE_TRIES = 3;
// An event or schedule this process does not know is left this long for a replica that does.
const UNKNOWN_GRACE_MS = 3_600_000;

export class NotificationWorker {
  readonly #deps: Deps;
  readonly #sinks: Map<string, Sink>;
  readonly #observer: DeliveryObserver | undefined;
  readonly #inFlight = new Map<string, Promise<void>>();
  // Aborts the attempts in flight at stop: a hanging receiver must not hold the shutdown.
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #stopped = true;
  #prunedAt = 0;
  #unsubscribe: (() => void) | undefined;
  readonly #schedules: Map<string, ReportSchedule>;
  // The console's base URL for deep links, without a trailing slash.
  readonly #consoleUrl: string | undefined;
  // The due time each schedule's report was last raised for, so a tick inserts it once.
  readonly #raised = new Map<string, number>();
  // Events whose composition failed, and how often, in this process.
  readonly #failures = new Map<string, number>();

  constructor(deps: Deps, sinks: Map<string, Sink>, observer?: DeliveryObserver) {
    this.#deps = deps;
    this.#sinks = sinks;
    this.#observer = observer;
    this.#consoleUrl = deps.config.notifications.consoleUrl?.replace(/\/+$/, '');
    this.#schedules = new Map(
      deps.config.notifications.reports.map((r) => [
        r.name,
        new ReportSchedule(r, deps.config.timezone),
      ]),
    );
  }

  start(): void {
    this.#stopped = false;
    // A local event (published after its commit) wakes the worker at once; the timer covers
    // other replicas' events and retries.
    this.#unsubscribe = this.#deps.events.subscribe(() => this.wake());
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    if (this.#timer) clearTimeout(this.#timer);
    this.#stopping.abort();
    await Promise.allSettled([...this.#inFlight.values()]);
    for (const s of this.#sinks.values()) s.close?.();
  }

  wake(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      await this.runOnce();
    } catch {
      // The database may be away; the next tick tries again. Nothing is lost: it is all in the outbox.
    } finally {
      this.#running = false;
      if (!this.#stopped) this.#schedule(this.#again ? 0 : this.#deps.config.notifications.pollMs);
      this.#again = false;
    }
  }

  /** One pass: raise clock events, route what is new, start the deliveries that are due. */
  async runOnce(): Promise<void> {
    const now = this.#deps.now();
    if (this.#sinks.size > 0) {
      await this.#raiseExpiring(now);
      await this.#raiseReports(now);
    }
    while (await this.#routeSome()) {
      /* until the outbox is routed */
    }
    await this.#startDue();
    if (now - this.#prunedAt >= PRUNE_EVERY_MS) {
      this.#prunedAt = now;
      await pruneNotifications(this.#deps.db, now - RETENTION_MS, [...this.#sinks.keys()]);
    }
  }

  /** Waits for the attempts in flight (tests and shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  async #raiseExpiring(now: number): Promise<void> {
    const horizon = this.#deps.config.notifications.expiryWarningSeconds * 1000;
    const due = await approvalsExpiringBy(this.#deps.db, now, horizon, 100);
    if (due.length === 0) return;
    await insertOutbox(
      this.#deps.db,
      due.map((a) => ({
        id: `expiring-${a.id}`,
        event: 'approval.expiring',
        audit_seq: null,
        action_id: a.id,
        at: now,
        fanned_out: 0,
        body: null,
      })),
    );
  }

  async #raiseReports(now: number): Promise<void> {
    for (const schedule of this.#schedules.values()) {
      const due = schedule.latestDue(now);
      if (due === undefined || this.#raised.get(schedule.config.name) === due) continue;
      await insertOutbox(this.#deps.db, [schedule.outboxRow(due)]);
      this.#raised.set(schedule.config.name, due);
    }
  }

  /**
   * Routes a page of new events. A process without sinks routes nothing: a replica that has
   * them does (unrouted events are pruned after the retention when none ever does).
   */
  async #routeSome(): Promise<boolean> {
    if (this.#sinks.size === 0) return false;
    const events = await unroutedEvents(this.#deps.db, 100);
    let routedHere = 0;
    for (const e of events) {
      let routed: { n: Notification | undefined; sinks: string[] } | 'later';
      try {
        routed = await this.#composeAndRoute(e);
      } catch (err) {
        // One event that cannot be composed (a report too big to build, say) must never hold
        // back the others: it is skipped, and after a few tries sent as a notice of the failure.
        routed = this.#composeFailed(e, err);
      }
      if (routed === 'later') continue;
      routedHere++;
      const { n, sinks } = routed;
      const now = this.#deps.now();
      const deliveries: DeliveryRow[] = sinks
        .filter((s) => this.#sinks.has(s))
        .map((sink) => ({
          event_id: e.id,
          sink,
          status: 'pending',
          attempts: 0,
          next_at: now,
          claimed_until: null,
          last_error: null,
          created_at: now,
          delivered_at: null,
        }));
      await this.#deps.db
        .transaction()
        .execute((trx) => routeEvent(trx, e.id, n ? JSON.stringify(n) : '{}', deliveries));
    }
    // Another page only when this one moved something: events left for later must not spin.
    return events.length === 100 && routedHere > 0;
  }

  #composeFailed(
    e: OutboxRow,
    err: unknown,
  ): { n: Notification | undefined; sinks: string[] } | 'later' {
    const tries = (this.#failures.get(e.id) ?? 0) + 1;
    this.#failures.set(e.id, tries);
    if (tries < COMPOSE_TRIES) return 'later';
    this.#failures.delete(e.id);
    const schedule = this.#scheduleOf(e);
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 300);
    if (!schedule) return { n: undefined, sinks: [] };
    const n: Notification = {
      id: e.id,
      event: REPORT_EVENT,
      severity: 'warning',
      at: new Date(e.at).toISOString(),
      title: `Handoff report ${schedule.config.name} could not be built`,
      detail: { error },
      unattended: false,
    };
    return { n, sinks: [...schedule.config.sinks] };
  }

  async #composeAndRoute(
    e: OutboxRow,
  ): Promise<{ n: Notification | undefined; sinks: string[] } | 'later'> {
    if (e.event === REPORT_EVENT) {
      const schedule = this.#scheduleOf(e);
      if (!schedule) {
        // Another replica's schedule (a rolling deploy, a rename): left for a replica that has
        // it; dropped only when none has routed it within the grace.
        return this.#deps.now() - e.at < UNKNOWN_GRACE_MS ? 'later' : { n: undefined, sinks: [] };
      }
      const n = await this.#composeReport(e, schedule);
      return { n, sinks: [...schedule.config.sinks] };
    }
    if (!NotifyEventSchema.safeParse(e.event).success && this.#deps.now() - e.at < UNKNOWN_GRACE_MS)
      return 'later'; // an event a newer replica knows
    const n = await this.#compose(e);
    return {
      n,
      sinks: n && !settledAlready(n) ? sinksFor(n, this.#deps.config.notifications.routes) : [],
    };
  }

  /** The schedule a report row was raised for (its body names it until it is composed). */
  #scheduleOf(e: OutboxRow): ReportSchedule | undefined {
    if (e.event !== REPORT_EVENT) return undefined;
    return this.#schedules.get(String(parseJsonObject(e.body ?? '{}').schedule));
  }

  async #composeReport(e: OutboxRow, schedule: ReportSchedule): Promise<Notification> {
    const { config, db } = this.#deps;
    const report = await handoffReport(db, { from: e.at - schedule.config.window, to: e.at });
    return reportNotification({
      id: e.id,
      name: schedule.config.name,
      at: e.at,
      report,
      unattended: isUnattended(config.notifications.unattended, undefined, e.at, config.timezone),
      ...(this.#consoleUrl ? { consoleUrl: this.#consoleUrl } : {}),
    });
  }

  /** The event's notification; undefined for an event name this version does not know. */
  async #compose(e: OutboxRow): Promise<Notification | undefined> {
    const parsedEvent = NotifyEventSchema.safeParse(e.event);
    if (!parsedEvent.success) return undefined;
    const event = parsedEvent.data;
    const { db, config } = this.#deps;
    const [record] = e.audit_seq !== null ? await recordRange(db, e.audit_seq, e.audit_seq) : [];
    const action = e.action_id ? await actionById(db, e.action_id) : undefined;
    const payload = record ? parseJsonObject(record.payload) : {};
    const target =
      action?.target ?? (typeof payload.target === 'string' ? payload.target : undefined);
    const policy = this.#deps.policy();
    const entry = action ? policy?.data.catalog[action.kind] : undefined;
    return composeNotification({
      id: e.id,
      event,
      at: e.at,
      auditSeq: e.audit_seq,
      ...(record ? { record: { actor: record.actor, payload } } : {}),
      ...(action ? { action } : {}),
      ...(entry ? { entry } : {}),
      ...(!action && target ? { level: await levelInForce(this.#deps, policy, target) } : {}),
      // An event from a record says what its record says; a clock event asks the windows now.
      unattended: record
        ? payload.unattended === true
        : isUnattended(config.notifications.unattended, target, e.at, config.timezone),
      ...(this.#consoleUrl ? { consoleUrl: this.#consoleUrl } : {}),
      paramsMaxBytes: config.notifications.paramsMaxBytes,
    });
  }

  /** Each sink's due deliveries, as many as its free in-flight slots: no sink waits on another. */
  async #startDue(): Promise<void> {
    for (const sink of this.#sinks.values()) {
      const free = IN_FLIGHT_PER_SINK - this.#busy(sink.name);
      if (free <= 0) continue;
      const due = await dueDeliveries(this.#deps.db, sink.name, this.#deps.now(), free + 4);
      let started = 0;
      for (const d of due) {
        if (started >= free) break;
        const key = `${d.event_id}\u0000${d.sink}`;
        if (this.#inFlight.has(key)) continue;
        // The claim's clock is read now, not at the start of the pass, so it cannot be born expired.
        const at = this.#deps.now();
        const claim = at + sink.timeoutMs + CLAIM_SLACK_MS;
        if (!(await claimDelivery(this.#deps.db, d, at, claim))) continue;
        started++;
        const attempt = this.#attempt(sink, d, claim).finally(() => {
          this.#inFlight.delete(key);
          this.wake();
        });
        this.#inFlight.set(key, attempt);
      }
    }
  }

  #busy(sink: string): number {
    let n = 0;
    for (const key of this.#inFlight.keys()) if (key.endsWith(`\u0000${sink}`)) n++;
    return n;
  }

  async #attempt(sink: Sink, d: DueDelivery, claim: number): Promise<void> {
    const t0 = performance.now();
    const attempts = d.attempts + 1;
    const retry = this.#deps.config.notifications.retry;
    let sent = false;
    try {
      const n = NotificationSchema.parse(JSON.parse(d.body));
      await sink.send(
        n,
        AbortSignal.any([AbortSignal.timeout(sink.timeoutMs), this.#stopping.signal]),
      );
      sent = true;
      // The receiver has it: a failure to record that is retried, never counted as a failed send.
      await withRetries(() =>
        finishAttempt(this.#deps.db, d, claim, { ok: true, at: this.#deps.now(), attempts }),
      );
      this.#observer?.attempt(sink.name, 'delivered', (performance.now() - t0) / 1000);
    } catch (err) {
      if (sent) return; // delivered; the claim lapses and, unrecorded, it may be sent again

      const now = this.#deps.now();
      const dead = now - d.created_at >= retry.giveUpAfterMs;
      const backoff = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempts - 1, 30));
      // Jitter keeps replicas and sinks that failed together from retrying in lockstep.
      const nextAt = now + Math.round(backoff * (0.8 + 0.2 * Math.random()));
      const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      await finishAttempt(this.#deps.db, d, claim, {
        ok: false,
        attempts,
        nextAt,
        error,
        dead,
      }).catch(() => {
        // The claim lapses and the attempt is made again: at least once, never lost.
      });
      this.#observer?.attempt(sink.name, dead ? 'dead' : 'failed', (performance.now() - t0) / 1000);
    }
  }
}

/** Whether a notification asks for a decision that has already been made (a backlog, a stop). */
function settledAlready(n: Notification): boolean {
  const waiting = ['approval.pending', 'approval.expiring', 'veto.opened'];
  if (!n.action || !waiting.includes(n.event)) return false;
  return n.action.status !== 'PENDING_APPROVAL' && n.action.status !== 'PENDING_VETO';
}

async function withRetries(write: () => Promise<void>, tries = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}
