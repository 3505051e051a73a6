import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from './tokens.ts';
import { ConfigSchema } from '../config/config.ts';
import { openDatabase } from '../store/db.ts';
import { login, logout, resume } from './sessions.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-session-'));
let store: Awaited<ReturnType<typeof openDatabase>>;
const config = ConfigSchema.parse({}).console;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  store = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  for (const [name, role] of [
    ['op', 'operator'],
    ['bot', 'agent'],
    ['aud', 'auditor'],
    ['gone', 'operator'],
  ] as const)
    tokens[name] = (await createToken(store.db, name, role, 'test')).token;
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('console sessions', () => {
  it('an operator token opens a session the cookie resumes; the database holds only its hash', async () => {
    const r = await login(store.db, config, tokens.op!, 1_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect((await resume(store.db, config, r.cookie, 2_000))?.principal).toEqual({
      id: 'op',
      role: 'operator',
    });
    const rows = await store.db.selectFrom('console_sessions').select('id').execute();
    expect(rows.map((x) => x.id)).not.toContain(r.cookie);
  });

  it('agent tokens and unknown tokens are refused, naming who; the caller audits refusals in aggregate', async () => {
    expect(await login(store.db, config, tokens.bot!, 1_000)).toEqual({
      ok: false,
      reason: 'role_not_allowed',
      role: 'agent',
      name: 'bot',
    });
    expect(await login(store.db, config, 'il_nope', 1_000)).toEqual({
      ok: false,
      reason: 'unknown_token',
    });
    const refused = await store.db
      .selectFrom('audit_log')
      .select(['actor'])
      .where('type', '=', 'console.login_refused')
      .execute();
    expect(refused).toEqual([]);
  });

  it('ends on idle, on the absolute limit, at logout, and when its token is revoked', async () => {
    const start = 10_000_000;
    const open = async (who = 'op') => {
      const r = await login(store.db, config, tokens[who]!, start);
      if (!r.ok) throw new Error('login failed');
      return r.cookie;
    };
    const idle = await open();
    expect(await resume(store.db, config, idle, start + config.idleTimeoutMs - 1)).toBeDefined();
    const idle2 = await open();
    expect(await resume(store.db, config, idle2, start + config.idleTimeoutMs)).toBeUndefined();

    // Staying active does not extend past the absolute limit.
    const active = await open();
    let now = start;
    while (now + 10 * 60_000 < start + config.sessionTtlMs) {
      now += 10 * 60_000;
      expect(await resume(store.db, config, active, now)).toBeDefined();
    }
    expect(await resume(store.db, config, active, start + config.sessionTtlMs)).toBeUndefined();

    const out = await open();
    await logout(store.db, out, 'op', start + 1);
    expect(await resume(store.db, config, out, start + 2)).toBeUndefined();

    const revoked = await open('gone');
    await store.db
      .updateTable('tokens')
      .set({ revoked_at: start + 5 })
      .where('name', '=', 'gone')
      .execute();
    expect(await resume(store.db, config, revoked, start + 10)).toBeUndefined();
    expect(await resume(store.db, config, 'x'.repeat(500), start)).toBeUndefined();
  });
});
