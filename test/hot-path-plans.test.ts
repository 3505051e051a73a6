/**
 * Every query a proposal and a time-of-use re-check make is bounded by an index, by its window
 * or its LIMIT: with 200,000 actions on one target, SQLite's query plans show no scan of the
 * table, of an index, or of the whole target. The queries are the store's own, captured as
 * they run against the seeded database, then explained.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../gateway/store/db.ts';
import { countInWindow, lastCompleted } from '../gateway/store/history.ts';
import { runHotPathReads } from './helpers/hot-path.ts';
import { seedHistory } from './helpers/seed-history.ts';
import type { Database } from '../gateway/store/types.ts';

const ROWS = 200_000;
const NOW = 1_800_000_000_000;
const dir = mkdtempSync(path.join(tmpdir(), 'interlock-plans-'));
let opened: OpenedDb;
let db: Kysely<Database>;
const captured: CompiledQuery[] = [];

beforeAll(async () => {
  opened = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  const sqlite = opened.sqlite!;
  // Seeded directly: a year of one busy target, every status, two proposers, a few kinds.
  seedHistory(sqlite, {
    rows: ROWS,
    now: NOW,
    stepMs: 150_000,
    kinds: ['roaster.set_power', 'roaster.set_fan', 'roaster.preheat', 'shell.exec'],
    idPrefix: 'a',
    params: '{"value":50}',
  });
  db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
}, 120_000);

afterAll(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

async function hotPathQueries(): Promise<CompiledQuery[]> {
  captured.length = 0;
  await runHotPathReads(db, NOW);
  return [...captured];
}

function plan(q: CompiledQuery): string[] {
  const rows = opened
    .sqlite!.prepare(`explain query plan ${q.sql}`)
    .all(...(q.parameters as unknown[])) as { detail: string }[];
  return rows.map((r) => r.detail);
}

describe(`hot-path queries over ${ROWS.toLocaleString('en')} actions on one target`, () => {
  it('are all searches bounded by an index: no table scan, no index scan, never the whole target', async () => {
    const queries = await hotPathQueries();
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const unbounded: string[] = [];
    for (const q of queries) {
      for (const detail of plan(q)) {
        const scans =
          /^SCAN (actions|approvals|decisions|tokens|paused_kinds|breaker_events)\b/.test(detail);
        const wholeTarget = /^SEARCH actions\b.*\((target|proposer)=\?\)$/.test(detail);
        if (scans || wholeTarget) unbounded.push(`${detail}   ← ${q.sql}`);
      }
    }
    expect(unbounded).toEqual([]);
  });

  it('the last completed action is one index probe, not a sort of the target', async () => {
    captured.length = 0;
    await lastCompleted(db, 'roaster-1', 'roaster.set_power');
    const details = plan(captured[0]!);
    expect(details.join('\n')).toMatch(/USING (COVERING )?INDEX actions_last_completed/);
    expect(details.join('\n')).not.toMatch(/TEMP B-TREE/);
  });
});

describe('rate-limit windows', () => {
  it('count accepted proposals from the index alone: denied rows are not in it', async () => {
    const since = NOW - 60_000;
    const windows = [
      { target: 'roaster-1', kindPatterns: ['roaster.set_*'], index: 'actions_target_live_window' },
      { proposer: 'agent-1', kindPatterns: ['*'], index: 'actions_proposer_live_window' },
    ];
    for (const { index, ...w } of windows) {
      captured.length = 0;
      await countInWindow(db, { purpose: 'proposal', since, ...w });
      expect(plan(captured[0]!).join('\n')).toContain(`USING COVERING INDEX ${index}`);
    }
  });
});
