/** The handoff report as Markdown, for people (the CLI's default, the scheduled email). */
import type { HandoffReport } from './handoff.ts';

export function handoffMarkdown(r: HandoffReport): string {
  const out: string[] = [
    `# Handoff report`,
    '',
    `Window: ${r.window.from} to ${r.window.to} (${r.records} audit records)`,
    '',
  ];
  const section = (title: string, lines: string[]): void => {
    out.push(`## ${title}`, '');
    out.push(...(lines.length ? lines : ['None.']), '');
  };
  const u = (unattended: boolean): string => (unattended ? ' (unattended)' : '');
  section(`Actions (${r.actions.length})`, [
    ...(Object.keys(r.by_status).length
      ? [
          Object.entries(r.by_status)
            .map(([s, n]) => `${s} ${n}`)
            .join(', '),
          '',
        ]
      : []),
    ...r.actions.map(
      (a) =>
        `- \`${a.id}\` ${a.kind ?? '?'} on ${a.target ?? '?'}: ${a.status ?? '?'}${a.proposed_in_window ? '' : ' (proposed earlier)'}${a.approved_by.length ? `, approved by ${a.approved_by.join(', ')}` : ''}${u(a.unattended)}`,
    ),
  ]);
  section(
    `Incidents (${r.incidents.length})`,
    r.incidents.map(
      (i) =>
        `- ${i.at ?? '(before the window)'} ${i.summary}${i.target ? ` on ${i.target}` : ''}${u(i.unattended)}: ${i.recovered_at ? `recovered ${i.recovered_at} by ${i.recovered_by}` : '**not recovered in the window**'}`,
    ),
  );
  section(
    `Rollbacks (${r.rollbacks.length})`,
    r.rollbacks.map(
      (b) =>
        `- \`${b.action_id}\` undoes \`${b.of_action ?? '?'}\` on ${b.target ?? '?'}: ${b.status ?? '?'}`,
    ),
  );
  section(
    `Level changes (${r.level_changes.length})`,
    r.level_changes.map(
      (l) =>
        `- ${l.at} ${l.target}: ${l.from} → ${l.to} by ${l.by}${l.reason ? ` (${l.reason})` : ''}`,
    ),
  );
  section(
    `Circuit breaker trips (${r.breaker_trips.length})`,
    r.breaker_trips.map(
      (b) =>
        `- ${b.at} ${b.rule} on ${b.target} (${b.severity}): ${b.resolved_at ? `resolved ${b.resolved_at}` : 'open'}`,
    ),
  );
  section(
    `Emergency stops (${r.emergency_stops.length})`,
    r.emergency_stops.map(
      (s) =>
        `- ${s.at ?? '(before the window)'} by ${s.by}: ${s.reason}; ${s.rearmed_at ? `rearmed ${s.rearmed_at} by ${s.rearmed_by}` : 'still engaged'}`,
    ),
  );
  section(
    `Approvals and refusals (${r.approvals.length})`,
    r.approvals.map((a) => `- ${a.at} ${a.by} ${a.verdict} \`${a.action_id}\``),
  );
  return out.join('\n');
}
