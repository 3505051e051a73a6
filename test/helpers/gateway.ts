/**
 * Starts a real gateway for end-to-end tests: Hono on a loopback port, a SQLite file in a
 * temporary directory, the shipped policy set compiled to Wasm, simulated roasters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { inject } from 'vitest';
import { freshDatabase } from './postgres.ts';
import { api } from './processes.ts';
import { createToken, type Role } from '../../gateway/auth/tokens.ts';
import { ConfigSchema, type Config } from '../../gateway/config/config.ts';
import { startGateway, type GatewayHandle } from '../../gateway/server.ts';

export interface TestGateway {
  gw: GatewayHandle;
  dir: string;
  config: Config;
  tokens: Record<string, string>;
  /** Moves the gateway's clock forward (approval timeouts, veto windows). */
  advance(ms: number): void;
  api<T = Record<string, unknown>>(
    token: string | undefined,
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export const DEFAULT_USERS: Record<string, Role> = {
  agent: 'agent',
  agent2: 'agent',
  op1: 'operator',
  op2: 'operator',
  admin2: 'admin',
  auditor: 'auditor',
};

export async function startTestGateway(
  config: Record<string, unknown> = {},
  users: Record<string, Role> = DEFAULT_USERS,
  options: { log?: Logger } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-e2e-'));
  // Under INTERLOCK_TEST_DB=postgres every test gateway gets a fresh database in the run's cluster.
  const pgUrl = inject('pgUrl');
  const pgDb = pgUrl ? await freshDatabase(pgUrl) : undefined;
  const parsed = ConfigSchema.parse({
    server: { port: 0 },
    targets: [
      {
        id: 'roaster-1',
        driver: 'sim-roaster',
        level: 'L3',
        options: { mode: 'RUNNING', journalFile: path.join(dir, 'roaster-1.jsonl') },
      },
    ],
    executor: { pollMs: 50, backoffMs: 10 },
    sweepMs: 50,
    ...config,
    // A test's database options (group commit, its own URL) add to the chosen database.
    database: {
      url: pgDb?.url ?? `sqlite:${path.join(dir, 'interlock.db')}`,
      ...(config.database as object | undefined),
    },
    audit: {
      signing: { type: 'key', key: path.join(dir, 'keys', 'audit.key') },
      ...(config.audit as object | undefined),
    },
  });
  let offset = 0;
  const gw = await startGateway(parsed, {
    log: options.log ?? pino({ level: 'silent' }),
    now: () => Date.now() + offset,
  });
  const tokens: Record<string, string> = { admin: gw.bootstrapToken?.token ?? '' };
  for (const [name, role] of Object.entries(users))
    tokens[name] = (await createToken(gw.services.deps.db, name, role, 'test')).token;
  return {
    gw,
    dir,
    config: parsed,
    tokens,
    advance: (ms) => {
      offset += ms;
    },
    api: <T>(
      token: string | undefined,
      method: string,
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => api<T>(gw.url, token, method, url, body, headers),
    close: async () => {
      await gw.stop();
      await pgDb?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ActionBody {
  action: {
    id: string;
    status: string;
    digest: string;
    proposer: string;
    approvals: { required: number; granted: unknown[] };
    outcome: Record<string, unknown> | null;
  };
  decision: {
    effect: string;
    stage: string;
    reasons: string[];
    rules: string[];
    recommendation?: boolean;
  };
}

/** Logs in to the console with a token and returns the session's Cookie header. */
export async function consoleCookie(t: TestGateway, token: string): Promise<string> {
  const login = await fetch(new URL('/console/login', t.gw.url), {
    method: 'POST',
    headers: { origin: new URL(t.gw.url).origin },
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
  if (login.status !== 303)
    throw new Error(`console login answered ${login.status}: ${await login.text()}`);
  return login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}
