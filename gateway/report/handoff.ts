/**
 * The handoff report (the radio station's morning handoff): what happened in a window, from
 * the audit log alone — actions and how each stood at the window's end, incidents and their
 * recovery, rollbacks, level changes, breaker trips, emergency stops, who approved what.
 * Only records inside the window count, so a report never lists what happened outside it.
 */
import type {
  HandoffReport,
  Incident,
  ReportAction,
  ReportWindow,
} from '../schema/handoff-report.ts';
import type { AuditLine } from '../store/audit-reads.ts';

export type { HandoffReport, Incident, ReportAction, ReportWindow };

const STATUS_RECORD = /^action\.([a-z_]+)$/;
const NOT_STATUS = new Set(['proposed', 'acknowledged', 'approval', 'invalid']);

/** Folds the window's records, in order, into the report. */
export class HandoffBuilder {
  readonly #window: ReportWindow;
  readonly #actions = new Map<string, ReportAction>();
  readonly #report: Omit<HandoffReport, 'actions' | 'by_status' | 'rollbacks'>;
  readonly #openBreakers = new Map<string, Incident>();
  // By gateway instance: each replica drops and recovers on its own.
  readonly #notReady = new Map<string, Incident>();
  readonly #trips = new Map<string, HandoffReport['breaker_trips'][number]>();
  #openStop: { incident: Incident; stop: HandoffReport['emergency_stops'][number] } | undefined;

  constructor(window: ReportWindow) {
    this.#window = window;
    this.#report = {
      window,
      records: 0,
      first_seq: null,
      last_seq: null,
      incidents: [],
      level_changes: [],
      breaker_trips: [],
      emergency_stops: [],
      approvals: [],
    };
  }

  add(r: AuditLine): void {
    const rep = this.#report;
    rep.records++;
    rep.first_seq ??= r.seq;
    rep.last_seq = r.seq;
    const p = r.payload;
    // The record's own marker (audit/append.ts), as it was when the record was made.
    const marked = p.unattended === true;
    if (r.actionId) this.#actionRecord(r, r.actionId);
    switch (r.type) {
      case 'autonomy.changed':
        rep.level_changes.push({
          at: r.ts,
          target: text(p.target) ?? '?',
          from: text(p.from) ?? '?',
          to: text(p.to) ?? '?',
          by: r.actor,
          reason: text(p.reason) ?? null,
        });
        return;
      case 'breaker.tripped': {
        const id = text(p.event_id) ?? `seq-${r.seq}`;
        const target = text(p.target) ?? null;
        const trip = {
          at: r.ts,
          rule: text(p.rule) ?? '?',
          target: target ?? '?',
          severity: text(p.severity) ?? '?',
          resolved_at: null,
        };
        rep.breaker_trips.push(trip);
        this.#trips.set(id, trip);
        const incident = this.#incident(
          'breaker',
          r.ts,
          target,
          `circuit breaker ${trip.rule} tripped (${trip.severity})`,
          marked,
        );
        this.#openBreakers.set(id, incident);
        return;
      }
      case 'breaker.resolved': {
        const id = text(p.event_id) ?? '';
        const trip = this.#trips.get(id);
        if (trip) trip.resolved_at = r.ts;
        const incident =
          this.#openBreakers.get(id) ??
          this.#incident(
            'breaker',
            null,
            text(p.target) ?? null,
            `circuit breaker ${text(p.rule) ?? '?'} (tripped before the window)`,
            false,
          );
        incident.recovered_at = r.ts;
        incident.recovered_by = r.actor;
        return;
      }
      case 'readiness.dropped': {
        const instance = text(p.instance) ?? '?';
        this.#notReady.set(
          instance,
          this.#incident(
            'readiness',
            // A drop recorded late (the database was what failed) began at `since`.
            text(p.since) ?? r.ts,
            null,
            `gateway ${instance} not ready (${text(p.failing) ?? '?'}) since ${text(p.since) ?? r.ts}`,
            marked,
          ),
        );
        return;
      }
      case 'readiness.restored': {
        const instance = text(p.instance) ?? '?';
        const incident =
          this.#notReady.get(instance) ??
          this.#incident(
            'readiness',
            null,
            null,
            `gateway ${instance} not ready (${text(p.failing) ?? '?'}) since ${text(p.since) ?? '?'}`,
            false,
          );
        this.#notReady.delete(instance);
        incident.recovered_at = r.ts;
        incident.recovered_by = r.actor;
        return;
      }
      case 'estop.engaged': {
        const stop = {
          at: r.ts,
          by: r.actor,
          reason: text(p.reason) ?? '',
          rearmed_at: null,
          rearmed_by: null,
        };
        rep.emergency_stops.push(stop);
        this.#openStop = {
          stop,
          incident: this.#incident(
            'emergency_stop',
            r.ts,
            null,
            `emergency stop: ${stop.reason}`,
            marked,
          ),
        };
        return;
      }
      case 'estop.rearmed': {
        // A stop engaged before the window shows with its rearm, from an unknown time.
        const open = this.#openStop ?? {
          stop: this.#pushStop({ at: null, by: '?', reason: '(engaged before the window)' }),
          incident: this.#incident(
            'emergency_stop',
            null,
            null,
            'emergency stop (engaged before the window)',
            false,
          ),
        };
        open.stop.rearmed_at = r.ts;
        open.stop.rearmed_by = r.actor;
        open.incident.recovered_at = r.ts;
        open.incident.recovered_by = r.actor;
        this.#openStop = undefined;
        return;
      }
    }
  }

  #pushStop(s: {
    at: string | null;
    by: string;
    reason: string;
  }): HandoffReport['emergency_stops'][number] {
    const stop = { ...s, rearmed_at: null, rearmed_by: null };
    this.#report.emergency_stops.push(stop);
    return stop;
  }

  /**
   * What the actions table says of an action whose proposal is before the window: its kind
   * and target label it; nothing else is taken from it.
   */
  describe(id: string, kind: string, target: string): void {
    if (this.#actions.has(id)) return;
    this.#actions.set(id, { ...unseenAction(id), kind, target });
  }

  /** Whether the window's records so far mention the action. */
  knows(id: string): boolean {
    return this.#actions.has(id);
  }

  #incident(
    kind: Incident['kind'],
    at: string | null,
    target: string | null,
    summary: string,
    unattended: boolean,
  ): Incident {
    const incident: Incident = {
      kind,
      at,
      target,
      summary,
      recovered_at: null,
      recovered_by: null,
      unattended,
    };
    this.#report.incidents.push(incident);
    return incident;
  }

  #actionRecord(r: AuditLine, id: string): void {
    const p = r.payload;
    let a = this.#actions.get(id);
    if (!a) {
      a = unseenAction(id);
      this.#actions.set(id, a);
    }
    // Unattended when any of its records in the window was made in an unattended window.
    if (p.unattended === true) a.unattended = true;
    if (r.type === 'action.proposed') {
      a.kind = text(p.kind) ?? null;
      a.target = text(p.target) ?? null;
      a.proposer = r.actor;
      a.proposed_in_window = true;
      a.status = 'PROPOSED';
      // Only the rollback path sets it: an idempotency key a proposer chose proves nothing.
      a.rollback_of = text(p.rollback_of) ?? null;
      return;
    }
    if (r.type === 'approval.granted') {
      a.approved_by.push(r.actor);
      this.#report.approvals.push({ at: r.ts, action_id: id, by: r.actor, verdict: 'approved' });
      return;
    }
    const m = STATUS_RECORD.exec(r.type);
    if (!m || NOT_STATUS.has(m[1]!)) return;
    a.status = m[1]!.toUpperCase();
    a.target ??= text(p.target) ?? null;
    if (a.status === 'REJECTED' || a.status === 'VETOED')
      this.#report.approvals.push({
        at: r.ts,
        action_id: id,
        by: r.actor,
        verdict: a.status === 'REJECTED' ? 'rejected' : 'vetoed',
      });
    if (a.status === 'FAILED')
      this.#incident(
        'execution_failed',
        r.ts,
        a.target,
        `${a.kind ?? 'action'} ${id} failed${text(p.reason) ? `: ${text(p.reason)}` : ''}`,
        p.unattended === true,
      );
  }

  build(): HandoffReport {
    const actions = [...this.#actions.values()];
    const by_status: Record<string, number> = {};
    for (const a of actions) if (a.status) by_status[a.status] = (by_status[a.status] ?? 0) + 1;
    return {
      ...this.#report,
      window: this.#window,
      actions,
      by_status,
      rollbacks: actions
        .filter((a) => a.rollback_of !== null)
        .map((a) => ({
          action_id: a.id,
          of_action: a.rollback_of,
          target: a.target,
          status: a.status,
        })),
    };
  }
}

/** An action the window has not yet said anything about. */
function unseenAction(id: string): ReportAction {
  return {
    id,
    kind: null,
    target: null,
    proposer: null,
    proposed_in_window: false,
    status: null,
    rollback_of: null,
    approved_by: [],
    unattended: false,
  };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
