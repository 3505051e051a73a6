/**
 * Proposals on an empty database against proposals on one with 1,000,000 actions on the same
 * target (a year of history, every status, seeded directly into the SQLite file), over HTTP with
 * wrk: the same gateway configuration, the same proposal, one run each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { pino } from 'pino';
import { createToken } from '../gateway/auth/tokens.ts';
import { ConfigSchema } from '../gateway/config/config.ts';
import { startGateway } from '../gateway/server.ts';
import { openDatabase } from '../gateway/store/db.ts';
import { seedHistory } from '../test/helpers/seed-history.ts';
import { wrk, wrkVersion, CONNECTIONS, SECONDS, type WrkRun } from './wrk.ts';

const SEEDED = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const PROPOSAL = { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 5 } };

export interface HistoryScaleResult {
  wrk: string;
  connections: number;
  seconds: number;
  seededActions: number;
  seedSeconds: number;
  empty: WrkRun;
  seeded: WrkRun;
  /** seeded ÷ empty, in proposals per second. */
  ratio: number;
}

/** A year of one target: every status, four kinds, two proposers, all older than a minute. */
function seed(file: string, rows: number): void {
  const opened = new SQLite(file);
  seedHistory(opened, {
    rows,
    now: Date.now() - 120_000,
    stepMs: Math.floor((365 * 24 * 3_600_000) / rows),
    kinds: ['roaster.set_power', 'roaster.set_fan', 'roaster.preheat', 'roaster.set_drum'],
    idPrefix: 'seed-',
    params: '{"value":5}',
  });
  opened.close();
}

async function proposals(dir: string, dbFile: string): Promise<WrkRun> {
  const gw = await startGateway(
    ConfigSchema.parse({
      server: { port: 0 },
      database: { url: `sqlite:${dbFile}` },
      audit: { signing: { type: 'key', key: path.join(dir, 'keys', 'audit.key') } },
    }),
    { log: pino({ level: 'warn' }) },
  );
  try {
    const { token } = await createToken(gw.services.deps.db, `bench-${Date.now()}`, 'agent', 'b');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    return await wrk(dir, 'actions', `${gw.url}/v1/actions`, auth, JSON.stringify(PROPOSAL));
  } finally {
    await gw.stop();
  }
}

export async function benchHistoryScale(): Promise<HistoryScaleResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-history-'));
  try {
    const emptyFile = path.join(dir, 'empty.db');
    const seededFile = path.join(dir, 'seeded.db');
    for (const file of [emptyFile, seededFile])
      await (await openDatabase(`sqlite:${file}`)).close();
    const t0 = performance.now();
    seed(seededFile, SEEDED);
    const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const empty = await proposals(dir, emptyFile);
    const seeded = await proposals(dir, seededFile);
    for (const run of [empty, seeded])
      if (run.errors > 0) throw new Error(`${run.errors} proposals were not answered 2xx`);
    return {
      wrk: await wrkVersion(),
      connections: CONNECTIONS,
      seconds: SECONDS,
      seededActions: SEEDED,
      seedSeconds,
      empty,
      seeded,
      ratio: Math.round((seeded.requestsPerSecond / empty.requestsPerSecond) * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
