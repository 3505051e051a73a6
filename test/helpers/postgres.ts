/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: Debian's server binaries, a data
 * directory in a temp dir, a loopback TCP port, trust authentication for the one local user.
 * PostgreSQL refuses to run as root, so under root the cluster runs as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './net.ts';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';

// What the global setup (test/setup/postgres.ts) provides to tests: the run's cluster, if any.
declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | undefined;
  }
}

export interface Cluster {
  /** postgres://… for the maintenance database; use `database(name)` for a fresh one. */
  url: string;
  port: number;
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Stops the server without removing it (a database outage); `start()` brings it back. */
  pause(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'interlock';

export function postgresBinDir(): string | undefined {
  if (process.env.INTERLOCK_PG_BIN && existsSync(path.join(process.env.INTERLOCK_PG_BIN, 'initdb')))
    return process.env.INTERLOCK_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions)
    if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  return undefined;
}

function uid(name: string): { uid: number; gid: number } {
  const out = execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim();
  return { uid: Number(out), gid: Number(gid) };
}

/**
 * A fresh database on a running cluster, from its maintenance URL; returns its URL and a dropper.
 */
export async function freshDatabase(
  adminUrl: string,
  prefix = 't',
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async (q: string): Promise<void> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface ClusterOptions {
  /** fsync off: faster, and fine where the test kills the gateway, not the machine. */
  durable?: boolean;
  maxConnections?: number;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const bin = postgresBinDir();
  if (!bin)
    throw new Error(
      'PostgreSQL server binaries not found (apt-get install postgresql, or set INTERLOCK_PG_BIN)',
    );
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? uid('postgres') : undefined;
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execa('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args])
      : execa(path.join(bin, cmd), args);
  await run('initdb', [
    '-D',
    data,
    '-U',
    USER,
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-c max_connections=${options.maxConnections ?? 200}`,
    ...(options.durable
      ? []
      : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-o',
      settings,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  await start();
  const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  let stopped = false;
  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      return `postgres://${USER}@127.0.0.1:${port}/${name}`;
    },
    async dropDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
    async pause() {
      await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    async start() {
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
