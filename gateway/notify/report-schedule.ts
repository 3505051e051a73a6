/**
 * When scheduled handoff reports are due. Every replica computes the same due times, and the
 * outbox row's id is the schedule's name and due time, so a report is sent once however many
 * replicas raise it. A gateway that was down when a report was due sends it on its return if
 * that is within the catch-up; older ones are not sent late (`interlock report` makes any
 * window on demand).
 */
import { Cron } from 'croner';
import type { ReportScheduleConfig } from '../config/notifications.ts';
import { REPORT_EVENT } from '../schema/notification.ts';
import type { OutboxRow } from '../store/notifications.ts';

export const REPORT_CATCH_UP_MS = 15 * 60_000;

export class ReportSchedule {
  readonly config: ReportScheduleConfig;
  readonly #cron: Cron;

  constructor(config: ReportScheduleConfig, timeZone: string) {
    this.config = config;
    this.#cron = new Cron(config.cron, { timezone: timeZone, paused: true });
  }

  /** The latest time it was due at or before now, within the catch-up; undefined if none. */
  latestDue(now: number, catchUpMs = REPORT_CATCH_UP_MS): number | undefined {
    let last: number | undefined;
    let after = new Date(now - catchUpMs);
    for (;;) {
      const next = this.#cron.nextRun(after);
      if (!next || next.getTime() > now) return last;
      last = next.getTime();
      after = next;
    }
  }

  /** The outbox row that sends the report due at `due`; the body names the schedule. */
  outboxRow(due: number): OutboxRow {
    return {
      id: `report-${this.config.name}-${new Date(due).toISOString()}`,
      event: REPORT_EVENT,
      audit_seq: null,
      action_id: null,
      at: due,
      fanned_out: 0,
      // Until the worker composes the notification, the body says which schedule raised it.
      body: JSON.stringify({ schedule: this.config.name }),
    };
  }
}
