import { afterEach, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../store/db.ts';
import { recordRange } from '../store/audit-log.ts';
import type { Tx } from '../store/conn.ts';
import { ReadinessWatch, type ReadinessProbe } from './readiness-watch.ts';

let opened: OpenedDb | undefined;
afterEach(async () => opened?.close());

/** A watch over a scripted probe, on a real SQLite database whose writes can be made to fail. */
async function harness() {
  opened = await openDatabase(':memory:');
  const db = opened.db;
  let now = 1_000_000;
  let probe: ReadinessProbe = { ready: true, failing: [] };
  let writable = true;
  const deps = {
    db,
    now: () => now,
    // The database refusing writes, as when it is the thing that failed.
    commits: {
      run: <T>(work: (trx: Tx) => Promise<T>): Promise<T> =>
        writable ? db.transaction().execute(work) : Promise.reject(new Error('database is down')),
    },
  };
  const watch = new ReadinessWatch(deps as never, () => Promise.resolve(probe), 'gw-1');
  const types = async () =>
    (await recordRange(db, 1, 1000)).map((r) => [r.type, JSON.parse(r.payload) as object]);
  return {
    watch,
    types,
    set: (p: ReadinessProbe) => (probe = p),
    tick: (ms: number) => (now += ms),
    writable: (w: boolean) => (writable = w),
  };
}

it('records a drop once it lasts two checks, once, and its recovery', async () => {
  const h = await harness();
  h.set({ ready: false, failing: ['driver r'] });
  await h.watch.check();
  h.set({ ready: true, failing: [] });
  await h.watch.check();
  expect(await h.types()).toEqual([]); // a blip of one check is not a drop
  h.set({ ready: false, failing: ['driver r'] });
  for (let i = 0; i < 4; i++) {
    await h.watch.check();
    h.tick(5_000);
  }
  h.set({ ready: true, failing: [] });
  await h.watch.check();
  await h.watch.check();
  expect(await h.types()).toEqual([
    [
      'readiness.dropped',
      { instance: 'gw-1', since: new Date(1_000_000).toISOString(), failing: 'driver r' },
    ],
    [
      'readiness.restored',
      expect.objectContaining({ instance: 'gw-1', down_ms: 20_000, failing: 'driver r' }),
    ],
  ]);
});

it('a drop that could not be recorded is recorded with its recovery, with its start', async () => {
  const h = await harness();
  h.set({ ready: false, failing: ['database'] });
  h.writable(false);
  await expect(h.watch.check()).resolves.toBeUndefined();
  h.tick(1_000);
  await expect(h.watch.check()).rejects.toThrow('database is down');
  h.tick(1_000);
  await expect(h.watch.check()).rejects.toThrow('database is down');
  h.writable(true);
  h.set({ ready: true, failing: [] });
  h.tick(1_000);
  await h.watch.check();
  expect(await h.types()).toEqual([]); // one good check is not yet a recovery
  await h.watch.check();
  expect((await h.types()).map(([type, p]) => [type, (p as { since: string }).since])).toEqual([
    ['readiness.dropped', new Date(1_000_000).toISOString()],
    ['readiness.restored', new Date(1_000_000).toISOString()],
  ]);
  // And the watch is back to normal: the next drop is its own.
  h.set({ ready: false, failing: ['policy'] });
  await h.watch.check();
  await h.watch.check();
  expect((await h.types()).length).toBe(3);
});

it('a probe that throws counts as not ready', async () => {
  const h = await harness();
  const watch = new ReadinessWatch(
    { db: opened!.db, now: () => 5 } as never,
    () => Promise.reject(new Error('boom')),
    'gw-2',
  );
  await watch.check();
  await watch.check();
  expect(await h.types()).toEqual([
    [
      'readiness.dropped',
      { instance: 'gw-2', since: new Date(5).toISOString(), failing: 'readiness check' },
    ],
  ]);
});

it('a target that flaps is one drop, not a page per flap', async () => {
  const h = await harness();
  for (let i = 0; i < 30; i++) {
    // Down two checks of every three.
    h.set({ ready: i % 3 === 2, failing: i % 3 === 2 ? [] : ['driver r'] });
    await h.watch.check();
    h.tick(5_000);
  }
  expect((await h.types()).map(([type]) => type)).toEqual(['readiness.dropped']);
});
