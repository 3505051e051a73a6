/** Builds a handoff report by reading a window of the audit log, page by page. */
import type { Conn } from '../store/conn.ts';
import { recordsInWindow } from '../store/audit-reads.ts';
import { HandoffBuilder, type HandoffReport, type UnattendedAt } from './handoff.ts';

const PAGE = 2_000;

export async function handoffReport(
  db: Conn,
  window: { from: number; to: number },
  unattended: UnattendedAt = () => false,
): Promise<HandoffReport> {
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const builder = new HandoffBuilder({ from, to }, unattended);
  let after = 0;
  for (;;) {
    const page = await recordsInWindow(db, { fromIso: from, toIso: to }, after, PAGE);
    for (const r of page) builder.add(r);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  return builder.build();
}
