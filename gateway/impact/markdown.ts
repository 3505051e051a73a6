/** The impact report as Markdown: what a pull request comment shows a reviewer. */
import type { Direction, DirectionCounts, ImpactChange, ImpactReport } from './replay.ts';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Text that may come from an agent (reasons quote params): a code span, so nothing renders. */
const literal = (text: string): string =>
  `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\s+/g, ' ')}\``;

function countsTable(title: string, rows: Record<string, DirectionCounts>): string[] {
  const names = Object.keys(rows).sort();
  if (names.length === 0) return [];
  const lines = [
    '',
    `| ${title} | looser | tighter | other change |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const name of names) {
    const c = rows[name]!;
    lines.push(`| ${cell(name)} | ${c.loosened} | ${c.tightened} | ${c.changed} |`);
  }
  return lines;
}

function example(c: ImpactChange): string[] {
  const show = (v: ImpactChange['before']) =>
    `${v.effect}${v.effect === 'require_approval' ? ` (${v.approvals})` : ''}, ${v.stage}: ${v.rules.join(', ') || '(no rule)'}`;
  return [
    `<details><summary>#${c.seq} ${cell(c.kind)} on ${cell(c.target)} (${c.purpose}, ${c.at})</summary>`,
    '',
    `- before: ${literal(show(c.before))}`,
    `- after: ${literal(show(c.after))}`,
    ...(c.after.reasons.length ? [`- reasons now: ${literal(c.after.reasons.join('; '))}`] : []),
    '',
    '```json',
    JSON.stringify(c.input, null, 2),
    '```',
    '</details>',
  ];
}

const HEADINGS: Record<Direction, string> = {
  loosened: 'Looser (a deny or hold that would pass, or fewer approvals)',
  tightened: 'Tighter',
  changed: 'Same effect, other stage or rules',
};

export function impactMarkdown(
  report: ImpactReport,
  gate?: { ok: boolean; problems: string[] },
): string {
  const t = report.totals;
  const changed = t.loosened + t.tightened + t.changed;
  const nr = report.notReplayable;
  const skipped = nr.noInput + nr.overCap + nr.invalid;
  const lines = [
    `## Policy impact${gate ? `: ${gate.ok ? 'passed' : 'FAILED'}` : ''}`,
    '',
    `Candidate bundle \`${report.candidate.digest?.slice(0, 12) ?? '(none)'}…\`, ${report.decisions} recorded decision(s)` +
      (report.window.firstSeq !== null
        ? ` (audit records ${report.window.firstSeq}–${report.window.lastSeq})`
        : '') +
      `: ${report.replayed} replayed, **${changed} would change** (${t.loosened} looser, ${t.tightened} tighter, ${t.changed} other), ${report.unchanged} unchanged; ${(report.durationMs / 1000).toFixed(1)} s.`,
  ];
  lines.push(
    '',
    report.baseline
      ? `Compared with the baseline bundle \`${report.baseline.digest?.slice(0, 12) ?? '(none)'}…\` replayed on the same inputs; ${report.drift} recorded decision(s) differ from the baseline (the policy changed since they were made).`
      : 'Compared with the decisions as recorded, whatever policy made them: give a baseline to leave out changes made before this candidate.',
  );
  for (const c of report.caveats) lines.push('', `**Caveat:** ${c}.`);
  if (report.truncated)
    lines.push(
      '',
      `**Cut short:** the window holds more decisions than the limit; narrow it with from/to.`,
    );
  if (skipped > 0)
    lines.push(
      '',
      `Not replayable: ${nr.noInput} without a recorded input, ${nr.overCap} over the input size cap, ${nr.invalid} unreadable.`,
    );
  if (report.mismatched.count > 0)
    lines.push(
      '',
      `**${report.mismatched.count} recorded input(s) do not match their signed audit record** (first: ${report.mismatched.first.map((m) => `#${m.seq}`).join(', ')}).`,
    );
  for (const p of gate?.problems ?? []) lines.push('', `- ${p}`);
  const transitions = Object.entries(report.byTransition).sort((a, b) => b[1] - a[1]);
  if (transitions.length > 0) {
    lines.push('', '| change | decisions |', '| --- | ---: |');
    for (const [label, n] of transitions) lines.push(`| ${cell(label)} | ${n} |`);
  }
  lines.push(...countsTable('kind', report.byKind), ...countsTable('target', report.byTarget));
  for (const d of ['loosened', 'tightened', 'changed'] as const) {
    const list = report.examples[d];
    if (list.length === 0) continue;
    lines.push('', `### ${HEADINGS[d]}: first ${list.length} of ${t[d]}`, '');
    for (const c of list) lines.push(...example(c));
  }
  return `${lines.join('\n')}\n`;
}
