import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Conn } from './conn.ts';
import { MAX_SHAPES, reusableQuery } from './reusable-query.ts';
import type { Database } from './types.ts';

interface Logged {
  sql: string;
  parameters: readonly unknown[];
}

/** A real SQLite database with a table shaped like a slice of `actions`, and a query log. */
function database(): { db: Conn; log: Logged[] } {
  const log: Logged[] = [];
  const raw = new SQLite(':memory:');
  raw.exec(
    'create table actions (id text primary key, target text, kind text, status text, created_at integer, params text)',
  );
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: raw }),
    log: (event) => {
      log.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  return { db, log };
}

const build = (
  db: Conn,
  target: string,
  kinds: string[] | undefined,
  since: number | undefined,
  row: { status: string; params?: string },
) => {
  let q = db
    .updateTable('actions')
    .set(row)
    .where('target', '=', target)
    .where(sql<boolean>`status <> 'DENIED'`);
  if (kinds !== undefined) q = q.where('kind', 'in', kinds);
  if (since !== undefined) q = q.where('created_at', '>=', since);
  return q;
};

// Every Unicode class a value may carry: controls, separators, surrogate halves, long text.
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u000b', '\u00a0', '\u2028', '\ud800', "'", '?', '$1'),
  }),
  fc.string({ minLength: 5000, maxLength: 6000 }),
);
const call = fc.tuple(
  text,
  fc.option(fc.array(text, { maxLength: 5 }), { nil: undefined }),
  fc.option(fc.oneof(fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER), fc.double()), {
    nil: undefined,
  }),
  fc.record({ status: text, params: text }, { requiredKeys: ['status'] }),
);

describe('reusableQuery', () => {
  it('runs exactly the SQL and parameters the builder compiles, for any values and shape', async () => {
    const { db, log } = database();
    const reusable = reusableQuery('update', build);
    await db
      .insertInto('actions')
      .values({
        id: 'a',
        target: 't',
        kind: 'k',
        status: 'NEW',
        created_at: 5,
        params: '{}',
      } as never)
      .execute();
    await fc.assert(
      fc.asyncProperty(call, async ([target, kinds, since, row]) => {
        const expected: CompiledQuery = build(db, target, kinds, since, row).compile();
        log.length = 0;
        await reusable(db, target, kinds, since, row);
        expect(log).toHaveLength(1);
        expect(log[0]!.sql).toBe(expected.sql);
        expect(log[0]!.parameters).toEqual(expected.parameters);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the rows and counts the builder gives on a real database', async () => {
    const { db } = database();
    const insert = reusableQuery('insert', (d: Conn, row: Record<string, unknown>) =>
      d.insertInto('actions').values(row as never),
    );
    const byKinds = reusableQuery('byKinds', (d: Conn, kinds: string[]) =>
      d.selectFrom('actions').select(['id', 'kind']).where('kind', 'in', kinds).orderBy('id'),
    );
    for (const [id, kind] of [
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
    ])
      await insert(db, { id, target: 't', kind, status: 'NEW', created_at: 1 });
    expect((await byKinds(db, ['a', 'c'])).rows).toEqual([
      { id: '1', kind: 'a' },
      { id: '3', kind: 'c' },
    ]);
    expect((await byKinds(db, ['b'])).rows).toEqual([{ id: '2', kind: 'b' }]);
    const moved = reusableQuery('move', (d: Conn, id: string, from: string) =>
      d
        .updateTable('actions')
        .set({ status: 'DONE' })
        .where('id', '=', id)
        .where('status', '=', from),
    );
    expect(Number((await moved(db, '1', 'NEW')).numAffectedRows)).toBe(1);
    expect(Number((await moved(db, '1', 'NEW')).numAffectedRows)).toBe(0);
  });

  it('refuses a builder that looks inside a value instead of passing it on', async () => {
    const { db } = database();
    const peeking = reusableQuery('peeking', (d: Conn, kind: string) =>
      d
        .selectFrom('actions')
        .selectAll()
        .where(sql.raw<boolean>(`kind = '${kind}'`)),
    );
    await expect(peeking(db, 'x')).rejects.toThrow(/used as text or a number/);
    const concatenating = reusableQuery('concatenating', (d: Conn, prefix: string) =>
      d
        .selectFrom('actions')
        .selectAll()
        .where('kind', '=', prefix)
        .where('kind', 'like', `${prefix}%`),
    );
    await expect(concatenating(db, 'x')).rejects.toThrow(/used as text or a number/);
    const dropping = reusableQuery('dropping', (d: Conn, _kind: string) =>
      d.selectFrom('actions').selectAll(),
    );
    await expect(dropping(db, 'x')).rejects.toThrow(/not a parameter/);
  });

  it('compiles per dialect: the same query on PostgreSQL numbers its parameters', async () => {
    const pg = new Kysely<Database>({
      // Never connects: compiling needs the dialect only.
      dialect: new PostgresDialect({ pool: async () => Promise.reject(new Error('no pool')) }),
    });
    const lite = database();
    const q = reusableQuery('dialects', (d: Conn, id: string) =>
      d.selectFrom('actions').select('id').where('id', '=', id),
    );
    await q(lite.db, 'x');
    expect(lite.log[0]!.sql).toContain('?');
    await expect(q(pg, 'x')).rejects.toThrow(/no pool/);
  });

  it('past the shape cap, further shapes are built as usual and still run', async () => {
    const { db, log } = database();
    const q = reusableQuery('many', (d: Conn, ids: string[]) =>
      d.selectFrom('actions').select('id').where('id', 'in', ids),
    );
    for (let n = 1; n <= MAX_SHAPES + 5; n++) {
      log.length = 0;
      const ids = Array.from({ length: n }, (_, i) => `id${i}`);
      await q(db, ids);
      expect(log[0]!.parameters).toEqual(ids);
    }
  });
});
