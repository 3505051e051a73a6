/**
 * The notification of a scheduled handoff report: its counts as detail (every sink shows
 * them), its Markdown for the mail body and webhook receivers, cut at a size mail systems and
 * receivers take, and a link to the same window on the console's report page.
 */
import type { HandoffReport } from '../report/handoff.ts';
import { handoffMarkdown } from '../report/markdown.ts';
import { capUtf8 } from './params-summary.ts';
import { REPORT_EVENT, type Notification } from '../schema/notification.ts';

/** The Markdown is cut here (UTF-8 bytes); the whole report stays one click away. */
export const REPORT_MARKDOWN_MAX_BYTES = 256 * 1024;

export function reportNotification(input: {
  id: string;
  name: string;
  /** When it was due (epoch ms). */
  at: number;
  report: HandoffReport;
  unattended: boolean;
  consoleUrl?: string;
}): Notification {
  const r = input.report;
  const open = r.incidents.filter((i) => i.recovered_at === null).length;
  const { text, truncated } = cutMarkdown(handoffMarkdown(r), REPORT_MARKDOWN_MAX_BYTES);
  const query = new URLSearchParams({ from: r.window.from, to: r.window.to });
  return {
    id: input.id,
    event: REPORT_EVENT,
    // An incident still open at the window's end is what the next shift must pick up.
    severity: open > 0 ? 'warning' : 'info',
    at: new Date(input.at).toISOString(),
    title: `Handoff report ${input.name}: ${r.actions.length} actions, ${r.incidents.length} incidents (${open} open)`,
    detail: {
      from: r.window.from,
      to: r.window.to,
      actions: r.actions.length,
      incidents: r.incidents.length,
      open_incidents: open,
      rollbacks: r.rollbacks.length,
      level_changes: r.level_changes.length,
      breaker_trips: r.breaker_trips.length,
      emergency_stops: r.emergency_stops.length,
    },
    report: {
      name: input.name,
      from: r.window.from,
      to: r.window.to,
      markdown: text,
      markdown_truncated: truncated,
    },
    unattended: input.unattended,
    ...(input.consoleUrl ? { link: `${input.consoleUrl}/console/report?${query.toString()}` } : {}),
  };
}

const CUT_NOTE = '\n\n[cut: the whole report is on the console]';

/** The Markdown within max UTF-8 bytes, the note that says it was cut included. */
function cutMarkdown(text: string, max: number): { text: string; truncated: boolean } {
  const cut = capUtf8(text, max - Buffer.byteLength(CUT_NOTE));
  return cut.truncated ? { text: `${cut.text}${CUT_NOTE}`, truncated: true } : cut;
}
