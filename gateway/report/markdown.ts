/** The handoff report as Markdown, for people (the CLI's default, the scheduled email). */
import type { HandoffReport } from './handoff.ts';

/**
 * At most this many entries of one list are written; the count in the heading stays exact and
 * the JSON has them all. A busy night's actions must not push its incidents out of a mail.
 */
export const MARKDOWN_LIST_MAX = 1_000;
const TEXT_MAX = 500;

/**
 * Text from the log (reasons, names, a driver's error) on one line: control characters and line
 * breaks become spaces, so no value can start a heading or a list item of its own; cut at 500.
 */
export function inline(text: string | null | undefined): string {
  const one = (text ?? '?').replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  return one.length > TEXT_MAX ? `${[...one].slice(0, TEXT_MAX).join('')}…` : one;
}

export function handoffMarkdown(r: HandoffReport): string {
  const out: string[] = [
    `# Handoff report`,
    '',
    `Window: ${r.window.from} to ${r.window.to} (${r.records} audit records)`,
    '',
  ];
  // A loop, not push(...lines): a spread of a huge list overflows the call stack.
  const section = <T>(title: string, items: readonly T[], line: (item: T) => string): void => {
    out.push(`## ${title} (${items.length})`, '');
    if (items.length === 0) out.push('None.');
    const shown = Math.min(items.length, MARKDOWN_LIST_MAX);
    for (let i = 0; i < shown; i++) out.push(line(items[i]!));
    if (items.length > shown)
      out.push(`- … and ${items.length - shown} more (the JSON report lists them all)`);
    out.push('');
  };
  const u = (unattended: boolean): string => (unattended ? ' (unattended)' : '');
  // What the next shift must pick up comes first.
  section(
    'Incidents',
    r.incidents,
    (i) =>
      `- ${i.at ?? '(before the window)'} ${inline(i.summary)}${i.target ? ` on ${inline(i.target)}` : ''}${u(i.unattended)}: ${i.recovered_at ? `recovered ${i.recovered_at} by ${inline(i.recovered_by)}` : '**not recovered in the window**'}`,
  );
  section(
    'Emergency stops',
    r.emergency_stops,
    (s) =>
      `- ${s.at ?? '(before the window)'} by ${inline(s.by)}: ${inline(s.reason)}; ${s.rearmed_at ? `rearmed ${s.rearmed_at} by ${inline(s.rearmed_by)}` : 'still engaged'}`,
  );
  section(
    'Circuit breaker trips',
    r.breaker_trips,
    (b) =>
      `- ${b.at} ${inline(b.rule)} on ${inline(b.target)} (${inline(b.severity)}): ${b.resolved_at ? `resolved ${b.resolved_at}` : 'open'}`,
  );
  section(
    'Level changes',
    r.level_changes,
    (l) =>
      `- ${l.at} ${inline(l.target)}: ${inline(l.from)} → ${inline(l.to)} by ${inline(l.by)}${l.reason ? ` (${inline(l.reason)})` : ''}`,
  );
  section(
    'Rollbacks',
    r.rollbacks,
    (b) =>
      `- \`${inline(b.action_id)}\` undoes \`${inline(b.of_action)}\` on ${inline(b.target)}: ${inline(b.status)}`,
  );
  out.push(
    `By status: ${
      Object.entries(r.by_status)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ') || 'none'
    }`,
    '',
  );
  section(
    'Actions',
    r.actions,
    (a) =>
      `- \`${inline(a.id)}\` ${inline(a.kind)} on ${inline(a.target)}: ${inline(a.status)}${a.proposed_in_window ? '' : ' (proposed earlier)'}${a.approved_by.length ? `, approved by ${inline(a.approved_by.join(', '))}` : ''}${u(a.unattended)}`,
  );
  section(
    'Approvals and refusals',
    r.approvals,
    (a) => `- ${a.at} ${inline(a.by)} ${a.verdict} \`${inline(a.action_id)}\``,
  );
  return out.join('\n');
}
