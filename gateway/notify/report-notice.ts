/**
 * The notification of a scheduled handoff report: its counts as detail (every sink shows
 * them), its Markdown for the mail body and webhook receivers, cut at a size mail systems and
 * receivers take, and a link to the same window on the console's report page.
 */
import type { HandoffReport } from '../report/handoff.ts';
import { handoffMarkdown } from '../report/markdown.ts';
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
  const { text, truncated } = cutUtf8(handoffMarkdown(r), REPORT_MARKDOWN_MAX_BYTES);
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

/** The longest prefix of whole characters that fits in max UTF-8 bytes. */
function cutUtf8(text: string, max: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text) <= max) return { text, truncated: false };
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max - 64) break;
    end += ch.length;
  }
  return {
    text: `${text.slice(0, end)}\n\n[cut: the whole report is on the console]`,
    truncated: true,
  };
}
