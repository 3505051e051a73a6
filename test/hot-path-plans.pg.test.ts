/**
 * The hot-path queries on PostgreSQL: with 200,000 actions (and their decisions) on one target,
 * after ANALYZE, EXPLAIN shows no sequential scan of the big tables and no index scan bounded
 * by the target or proposer alone. The queries are the store's own, captured as they run, and
 * explained with their parameters, as the gateway sends them.
 */
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../gateway/store/db.ts';
import type { Database } from '../gateway/store/types.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { runHotPathReads } from './helpers/hot-path.ts';

const pgUrl = inject('pgUrl');
const ROWS = 200_000;
const NOW = 1_800_000_000_000;
const BIG_TABLES = ['actions', 'decisions', 'approvals', 'audit_log'];

let fresh: { url: string; drop(): Promise<void> } | undefined;
let opened: OpenedDb | undefined;
let client: pg.Client;
let db: Kysely<Database>;
const captured: CompiledQuery[] = [];

describe.runIf(pgUrl)(
  `hot-path queries on PostgreSQL over ${ROWS.toLocaleString('en')} actions`,
  () => {
    beforeAll(async () => {
      fresh = await freshDatabase(pgUrl!, 'plans');
      opened = await openDatabase(fresh.url); // migrations
      client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      // A year of one busy target, every status, two proposers, four kinds; one decision and one
      // approval each.
      await client.query(
        `insert into actions (id, kind, target, params, proposer, request_digest, action_digest, status, level, approvals_required, approval_roles, created_at, updated_at, started_at, finished_at, attempts)
       select 'a' || i,
              (array['roaster.set_power','roaster.set_fan','roaster.preheat','shell.exec'])[i % 4 + 1],
              'roaster-1', '{"value":50}', case when i % 3 = 0 then 'agent-2' else 'agent-1' end, 'r', 'a',
              (array['COMPLETED','DENIED','FAILED','EXPIRED','REJECTED','CANCELLED'])[i % 6 + 1],
              'L3', 0, '[]', $1::bigint - ($2::bigint - i) * 150000, $1::bigint - ($2::bigint - i) * 150000,
              case when i % 6 in (0, 2) then $1::bigint - ($2::bigint - i) * 150000 end,
              case when i % 6 = 1 then null else $1::bigint - ($2::bigint - i) * 150000 end, 0
       from generate_series(0, $2::int - 1) as i`,
        [NOW, ROWS],
      );
      await client.query(
        `insert into decisions (id, action_id, purpose, effect, stage, level, reasons, rules, invariants, policy_digest, timings, created_at)
       select 'd' || i, 'a' || i, 'proposal', 'allow', 'policy', 'L3', '[]', '[]', '[]', 'p', '{}', i
       from generate_series(0, $1::int - 1) as i`,
        [ROWS],
      );
      await client.query(
        `insert into approvals (id, action_id, actor, role, verdict, action_digest, created_at)
       select 'p' || i, 'a' || i, 'operator-1', 'operator', 'approve', 'a', i
       from generate_series(0, $1::int - 1) as i`,
        [ROWS],
      );
      await client.query('analyze');
      db = new Kysely<Database>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: fresh.url, max: 2 }),
        }),
        log: (event) => {
          if (event.level === 'query') captured.push(event.query);
        },
      });
    }, 300_000);

    afterAll(async () => {
      await db?.destroy();
      await client?.end();
      await opened?.close();
      await fresh?.drop();
    });

    async function plan(q: CompiledQuery): Promise<string[]> {
      const res = await client.query<{ 'QUERY PLAN': string }>(
        `explain ${q.sql}`,
        q.parameters as unknown[],
      );
      return res.rows.map((r) => r['QUERY PLAN']);
    }

    it('none scans a big table sequentially or walks the whole target', async () => {
      captured.length = 0;
      await runHotPathReads(db, NOW);
      expect(captured.length).toBeGreaterThanOrEqual(15);
      const unbounded: string[] = [];
      for (const q of captured) {
        const lines = await plan(q);
        const text = lines.join('\n');
        const seqScan = BIG_TABLES.some((t) => new RegExp(`Seq Scan on ${t}\\b`).test(text));
        // An index condition on the target or proposer alone reads every row of it.
        const wholeTarget = lines.some((l) =>
          /Index Cond: \(\((target|proposer) = \$?[^)]*\)\)$/.test(l.trim()),
        );
        if (seqScan || wholeTarget) unbounded.push(`${text}\n   ← ${q.sql}`);
      }
      expect(unbounded).toEqual([]);
    });

    it('counts a rate-limit window from the partial index of accepted proposals', async () => {
      captured.length = 0;
      await runHotPathReads(db, NOW);
      const windows = captured.filter((q) => q.sql.includes(`status <> 'DENIED'`));
      expect(windows.length).toBeGreaterThanOrEqual(3);
      for (const q of windows)
        expect((await plan(q)).join('\n')).toMatch(/actions_(target|proposer)_live_window/);
    });
  },
);
