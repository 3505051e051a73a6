import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { authenticate } from '../gateway/auth/tokens.ts';
import { projectRoot } from '../gateway/paths.ts';
import { openDatabase } from '../gateway/store/db.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('interlock token create prints a token that authenticates with its role; it is stored hashed', async () => {
  const url = `sqlite:${path.join(dir, 't.db')}`;
  const cli = (...args: string[]) =>
    execa('node', [path.join(projectRoot, 'bin/interlock.js'), ...args], {
      reject: false,
      cwd: dir,
    });
  const created = await cli(
    'token',
    'create',
    '--role',
    'operator',
    '--name',
    'alice',
    '--db',
    url,
  );
  expect(created.exitCode).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(/^il_[A-Za-z0-9_-]{43}$/);
  expect(
    (await cli('token', 'create', '--role', 'operator', '--name', 'alice', '--db', url)).exitCode,
  ).toBe(1);
  const bad = await cli('token', 'create', '--role', 'root', '--name', 'bob', '--db', url);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toMatch(/--role/);
  const { db, close } = await openDatabase(url);
  try {
    expect(await authenticate(db, token)).toMatchObject({ id: 'alice', role: 'operator' });
    expect(await authenticate(db, `${token}x`)).toBeUndefined();
    const rows = await db.selectFrom('tokens').select('hash').execute();
    expect(rows.every((r) => r.hash !== token && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
  } finally {
    await close();
  }
});
