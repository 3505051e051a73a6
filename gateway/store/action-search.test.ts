/**
 * The operator's history reads on a real SQLite file (the console's end-to-end suite runs them
 * on PostgreSQL too): filters, text search with LIKE's wildcards taken literally, keyset pages
 * that list every action once, and incidents without acknowledged ones or recommendations.
 */
import { actionRow } from '../../test/helpers/action-row.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommendedAmong, searchActions, unacknowledgedIn } from './action-search.ts';
import { insertAcknowledgement } from './acknowledgements.ts';
import { insertAction } from './actions.ts';
import { openDatabase, type OpenedDb } from './db.ts';
import { insertDecision } from './decisions.ts';

let dir: string;
let opened: OpenedDb;
const N = 300;
const STATUSES = ['DENIED', 'COMPLETED', 'FAILED', 'PENDING_APPROVAL'] as const;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'interlock-search-'));
  opened = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  await opened.db.transaction().execute(async (trx) => {
    for (let i = 0; i < N; i++) {
      const id = `act-${String(i).padStart(4, '0')}`;
      await insertAction(
        trx,
        actionRow({
          id,
          kind: i % 2 ? 'shell.exec' : 'roaster.set_power',
          target: `t${i % 3}`,
          params: JSON.stringify(i === 7 ? { command: 'echo 100%_done' } : { value: i }),
          proposer: i % 5 ? 'agent-1' : 'Agent-2',
          request_digest: 'r',
          action_digest: 'd',
          status: STATUSES[i % 4]!,
          status_reason: i === 11 ? 'Hard-Denied pattern rm -rf' : null,
          level: i % 7 ? 'L3' : 'L2',
          approvals_required: 0,
          // Pairs share a creation time: the cursor must tell them apart by id.
          created_at: 1_000_000 + Math.floor(i / 2) * 1000,
          updated_at: 0,
        }),
      );
      await insertDecision(trx, {
        id: `dec-${i}`,
        action_id: id,
        purpose: 'proposal',
        effect: 'deny',
        stage: 'policy',
        level: 'L3',
        reasons: '[]',
        rules: '[]',
        approval: null,
        invariants: '[]',
        retry_after_seconds: null,
        recommendation: i % 7 ? 0 : 1,
        policy_digest: null,
        timings: '{}',
        created_at: 0,
      });
      if (i % 8 === 0)
        await insertAcknowledgement(trx, {
          action_id: id,
          actor: 'op1',
          note: null,
          created_at: 0,
        });
    }
  });
});

afterAll(async () => {
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe('searching the history', () => {
  it('pages through every action exactly once, newest first, equal times included', async () => {
    const seen: string[] = [];
    let before: { at: number; id: string } | undefined;
    for (;;) {
      const page = await searchActions(opened.db, { limit: 17, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      seen.push(...ids(page));
      const last = page.at(-1)!;
      before = { at: last.created_at, id: last.id };
    }
    expect(seen).toHaveLength(N);
    expect(new Set(seen).size).toBe(N);
    expect(seen).toEqual([...seen].sort().reverse());
  });

  it('filters by target, kind, proposer, statuses and time, all at once', async () => {
    const rows = await searchActions(opened.db, {
      target: 't1',
      kind: 'shell.exec',
      proposer: 'agent-1',
      statuses: ['COMPLETED', 'FAILED'],
      from: 1_010_000,
      to: 1_120_000,
      limit: 1000,
    });
    const expected = Array.from({ length: N }, (_, i) => i)
      .filter((i) => i % 3 === 1 && i % 2 === 1 && i % 5 !== 0 && STATUSES[i % 4] === 'COMPLETED')
      .filter((i) => {
        const at = 1_000_000 + Math.floor(i / 2) * 1000;
        return at >= 1_010_000 && at < 1_120_000;
      })
      .map((i) => `act-${String(i).padStart(4, '0')}`)
      .reverse();
    expect(expected.length).toBeGreaterThan(3);
    expect(ids(rows)).toEqual(expected);
    expect(await searchActions(opened.db, { statuses: [], limit: 10 })).toEqual([]);
  });

  it('searches text case-blind, and takes % and _ literally', async () => {
    expect(ids(await searchActions(opened.db, { text: 'HARD-denied', limit: 10 }))).toEqual([
      'act-0011',
    ]);
    expect(ids(await searchActions(opened.db, { text: '100%_', limit: 10 }))).toEqual(['act-0007']);
    expect(await searchActions(opened.db, { text: '%', limit: 10 })).toHaveLength(1);
    // set_power holds one; "shell.exec" does not, but act-0007's params do.
    expect(await searchActions(opened.db, { text: '_', limit: 1000 })).toHaveLength(N / 2 + 1);
    expect(ids(await searchActions(opened.db, { text: 'act-0123', limit: 10 }))).toEqual([
      'act-0123',
    ]);
  });

  it('lists as incidents the unacknowledged ones that are not recommendations', async () => {
    const rows = await unacknowledgedIn(opened.db, ['DENIED', 'FAILED'], 1000);
    const expected = Array.from({ length: N }, (_, i) => i).filter(
      (i) => ['DENIED', 'FAILED'].includes(STATUSES[i % 4]!) && i % 8 !== 0 && i % 7 !== 0,
    );
    expect(ids(rows).sort()).toEqual(expected.map((i) => `act-${String(i).padStart(4, '0')}`));
    const recs = await recommendedAmong(opened.db, ['act-0000', 'act-0007', 'act-0008']);
    expect([...recs].sort()).toEqual(['act-0000', 'act-0007']);
  });
});
