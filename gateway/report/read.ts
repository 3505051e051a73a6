/** Builds a handoff report by reading a window of the audit log, page by page. */
import type { Conn } from '../store/conn.ts';
import { kindsAndTargets } from '../store/actions.ts';
import { recordsInWindow } from '../store/audit-reads.ts';
import { HandoffBuilder, type HandoffReport } from './handoff.ts';

const PAGE = 2_000;

export async function handoffReport(
  db: Conn,
  window: { from: number; to: number },
): Promise<HandoffReport> {
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const builder = new HandoffBuilder({ from, to });
  let after = 0;
  for (;;) {
    const page = await recordsInWindow(db, { fromIso: from, toIso: to }, after, PAGE);
    // Actions proposed before the window: their kind and target, to label them.
    const earlier = new Set<string>();
    const seen = new Set<string>();
    for (const r of page) {
      if (!r.actionId || seen.has(r.actionId)) continue;
      seen.add(r.actionId);
      if (r.type !== 'action.proposed' && !builder.knows(r.actionId)) earlier.add(r.actionId);
    }
    for (let i = 0; i < earlier.size; i += 500)
      for (const a of await kindsAndTargets(db, [...earlier].slice(i, i + 500)))
        builder.describe(a.id, a.kind, a.target);
    for (const r of page) builder.add(r);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  return builder.build();
}
