/**
 * Tokens end when an admin says so, against a real gateway: revoke and rotate over the API
 * and the CLI, console sessions and event streams that end with them, names unique as people
 * read them, and approvers told apart by person rather than spelling.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../gateway/schema/canonical-json.ts';
import { authenticate } from '../gateway/auth/tokens.ts';
import { rotateToken } from '../gateway/lifecycle/tokens.ts';
import { projectRoot } from '../gateway/paths.ts';
import { login, resume } from '../gateway/auth/sessions.ts';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    targets: [{ id: 'roaster-1', driver: 'sim-roaster', level: 'L3', options: { mode: 'OFF' } }],
  });
});
afterAll(async () => {
  await t?.close();
});

/** A token row as a database from before unique names, or an older replica, may hold. */
async function legacy(
  name: string,
  nameKeyValue: string | null,
  role = 'operator',
): Promise<string> {
  const secret = `il_${randomUUID()}`;
  await t.gw.services.deps.db
    .insertInto('tokens')
    .values({
      id: randomUUID(),
      name,
      name_key: nameKeyValue,
      role,
      hash: sha256Hex(secret),
      created_at: Date.now(),
      revoked_at: null,
    })
    .execute();
  return secret;
}

const create = (name: string, role = 'operator') =>
  t.api<{ token: string; error?: { code: string } }>(t.tokens.admin, 'POST', '/v1/tokens', {
    name,
    role,
  });

/** Opens /v1/events with a token and resolves with the event names seen until the stream closes. */
async function openStream(token: string): Promise<{ events: string[]; closed: Promise<void> }> {
  const res = await fetch(`${t.gw.url}/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const events: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const closed = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value);
      for (const m of buffer.matchAll(/^event: (.+)$/gm)) events.push(m[1]!);
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    }
  })();
  return { events, closed };
}

describe('names', () => {
  it('are unique ignoring case: "Alice" cannot be created when "alice" exists', async () => {
    expect((await create('alice')).status).toBe(201);
    const again = await create('Alice');
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('conflict');
    expect((await create('ALICE', 'admin')).status).toBe(409);
    // Fullwidth or other non-ASCII spellings are not token names at all.
    expect((await create('ａｌｉｃｅ')).status).toBe(422);
  });

  it('approvers are told apart by person: a legacy "Alice" beside "alice" counts once', async () => {
    // Two spellings that a database from before unique names may hold (the migration keeps both
    // working).
    const alice = await create('alice2');
    const secret = `il_${randomUUID()}`;
    await t.gw.services.deps.db
      .insertInto('tokens')
      .values({
        id: randomUUID(),
        name: 'Alice2',
        name_key: `alice2#legacy`,
        role: 'operator',
        hash: sha256Hex(secret),
        created_at: Date.now(),
        revoked_at: null,
      })
      .execute();
    const r = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
      kind: 'roaster.preheat',
      target: 'roaster-1',
      params: { target_temp: 200 },
    });
    expect(r.body.action.approvals.required).toBe(2);
    const first = await t.api<{ approvals: number }>(
      alice.body.token,
      'POST',
      `/v1/actions/${r.body.action.id}/approve`,
      {},
    );
    expect(first.body.approvals).toBe(1);
    const second = await t.api<{ error: { code: string } }>(
      secret,
      'POST',
      `/v1/actions/${r.body.action.id}/approve`,
      {},
    );
    expect(second.status).toBe(409);
    const state = await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${r.body.action.id}`);
    expect(state.body.action.status).toBe('PENDING_APPROVAL');
  });
});

describe('legacy spellings', () => {
  it('revoking one of two legacy spellings revokes exactly that one; an ambiguous spelling is refused', async () => {
    const lower = await legacy('mal', 'mal');
    const upper = await legacy('Mal', 'mal#legacy', 'admin');
    const none = await legacy('nokey', null);
    expect(
      (await t.api<{ name: string }>(t.tokens.admin, 'DELETE', '/v1/tokens/Mal')).body.name,
    ).toBe('Mal');
    expect((await t.api(upper, 'GET', '/v1/actions')).status).toBe(401);
    expect((await t.api(lower, 'GET', '/v1/actions')).status).toBe(200);
    // A row without a key (an older replica wrote it) is found, and blocks its other spellings.
    expect((await create('NoKey')).status).toBe(409);
    expect((await t.api(t.tokens.admin, 'DELETE', '/v1/tokens/nokey')).status).toBe(200);
    expect((await t.api(none, 'GET', '/v1/actions')).status).toBe(401);
    // Two active rows that read the same and neither spelled as asked: refused, nothing revoked.
    const a = await legacy('Twin', 'twin#1');
    const b = await legacy('TWIN', 'twin#2');
    const ambiguous = await t.api<{ error: { code: string } }>(
      t.tokens.admin,
      'DELETE',
      '/v1/tokens/twin',
    );
    expect(ambiguous.status).toBe(409);
    expect((await t.api(a, 'GET', '/v1/actions')).status).toBe(200);
    expect((await t.api(b, 'GET', '/v1/actions')).status).toBe(200);
  });

  it('an expansion proposal needs different people for its roles, whatever the spelling', async () => {
    const db = t.gw.services.deps.db;
    const asAdmin = await legacy('gov', 'gov', 'admin');
    const asOperator = await legacy('Gov', 'gov#legacy', 'operator');
    const id = randomUUID();
    await db
      .insertInto('expansion_proposals')
      .values({
        id,
        target: 'roaster-1',
        from_level: 'L3',
        to_level: 'L4',
        body: JSON.stringify({}),
        required_roles: JSON.stringify(['admin', 'operator']),
        approvals: '[]',
        status: 'pending',
        created_at: Date.now(),
        decided_at: null,
      })
      .execute();
    expect(
      (await t.api(asAdmin, 'POST', `/v1/governance/proposals/${id}/approve`, {})).status,
    ).toBe(200);
    const second = await t.api<{ error: { field: string } }>(
      asOperator,
      'POST',
      `/v1/governance/proposals/${id}/approve`,
      {},
    );
    expect(second.status).toBe(409);
    expect(
      (await t.api<{ level: string }>(t.tokens.admin, 'GET', '/v1/autonomy/roaster-1')).body.level,
    ).toBe('L3');
  });
});

describe('revoke and rotate over the API', () => {
  it('revoking ends the token, its console sessions and its event streams at once, and is audited', async () => {
    const bob = await create('bob');
    const session = await login(
      t.gw.services.deps.db,
      t.config.console,
      bob.body.token,
      Date.now(),
    );
    expect(session.ok).toBe(true);
    const stream = await openStream(bob.body.token);
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.api(t.tokens.op1, 'DELETE', '/v1/tokens/bob')).status).toBe(403);
    const started = Date.now();
    const revoked = await t.api<{ name: string; revokedAt: number }>(
      t.tokens.admin,
      'DELETE',
      '/v1/tokens/BOB',
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.name).toBe('bob');
    await stream.closed;
    // Well inside the 15 s idle check: the event ended it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stream.events).toContain('ended');
    expect((await t.api(bob.body.token, 'GET', '/v1/actions')).status).toBe(401);
    expect(
      await resume(
        t.gw.services.deps.db,
        t.config.console,
        session.ok ? session.cookie : '',
        Date.now(),
      ),
    ).toBeUndefined();
    const audit = await t.api<{
      records: { type: string; payload: { name: string; sessions_ended: number } }[];
    }>(t.tokens.auditor, 'GET', '/v1/audit?type=token.revoked');
    expect(audit.body.records.at(-1)?.payload).toMatchObject({ name: 'bob', sessions_ended: 1 });
    expect((await t.api(t.tokens.admin, 'DELETE', '/v1/tokens/bob')).status).toBe(404);
    // A revoked name stays taken.
    expect((await create('bob')).status).toBe(409);
  });

  it('rotating replaces the secret: the old one fails at once, the new one works, sessions end', async () => {
    const carol = await create('carol');
    const session = await login(
      t.gw.services.deps.db,
      t.config.console,
      carol.body.token,
      Date.now(),
    );
    const rotated = await t.api<{ token: string; name: string }>(
      t.tokens.admin,
      'POST',
      '/v1/tokens/carol/rotate',
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(carol.body.token);
    expect((await t.api(carol.body.token, 'GET', '/v1/actions')).status).toBe(401);
    expect((await t.api(rotated.body.token, 'GET', '/v1/actions')).status).toBe(200);
    expect(
      await resume(
        t.gw.services.deps.db,
        t.config.console,
        session.ok ? session.cookie : '',
        Date.now(),
      ),
    ).toBeUndefined();
    const audit = await t.api<{ records: { type: string }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=token.rotated',
    );
    expect(audit.body.records).toHaveLength(1);
  });
});

describe('races and queued work', () => {
  it('a session created with a secret that was rotated meanwhile does not resume', async () => {
    const db = t.gw.services.deps.db;
    const erin = await create('erin');
    // The interleaving of a login racing a rotation: authenticated with the old secret, the
    // session row lands after the rotation committed.
    await rotateToken(db, { publish: () => undefined }, 'erin', 'admin');
    await db
      .insertInto('console_sessions')
      .values({
        id: sha256Hex('late-cookie'),
        actor: 'erin',
        role: 'operator',
        csrf: 'x',
        created_at: Date.now(),
        last_seen_at: Date.now(),
        expires_at: Date.now() + 3_600_000,
        ended_at: null,
        token_hash: sha256Hex(erin.body.token),
      })
      .execute();
    expect(await resume(db, t.config.console, 'late-cookie', Date.now())).toBeUndefined();
  });

  it.each([
    ['revoked', 'DELETE', ''],
    ['rotated', 'POST', '/rotate'],
  ] as const)(
    "a %s agent's queued actions are withdrawn at once and never run",
    async (how, method, suffix) => {
      // A running roaster, where a cooling cycle at L4 waits out a veto window.
      const g = await startTestGateway();
      try {
        const agent = (
          await g.api<{ token: string }>(g.tokens.admin, 'POST', '/v1/tokens', {
            name: 'agent-x',
            role: 'agent',
          })
        ).body.token;
        expect(
          (
            await g.api(g.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
              level: 'L4',
              reason: 'veto windows',
            })
          ).status,
        ).toBe(200);
        const r = await g.api<ActionBody>(agent, 'POST', '/v1/actions', {
          target: 'roaster-1',
          kind: 'roaster.cooling_cycle',
          params: { duration_s: 60 },
        });
        expect(r.body.action.status).toBe('PENDING_VETO');
        expect((await g.api(g.tokens.admin, method, `/v1/tokens/agent-x${suffix}`)).status).toBe(
          200,
        );
        const now = await g.api<ActionBody>(g.tokens.op1, 'GET', `/v1/actions/${r.body.action.id}`);
        expect(now.body.action.status).toBe('CANCELLED');
        g.advance(31_000);
        await new Promise((res) => setTimeout(res, 300));
        expect(
          (await g.api<ActionBody>(g.tokens.op1, 'GET', `/v1/actions/${r.body.action.id}`)).body
            .action.status,
        ).toBe('CANCELLED');
        const audit = await g.api<{
          records: { type: string; payload: { actions_withdrawn?: number } }[];
        }>(g.tokens.auditor, 'GET', `/v1/audit?type=token.${how}`);
        expect(audit.body.records.at(-1)?.payload.actions_withdrawn).toBe(1);
      } finally {
        await g.close();
      }
    },
  );

  it('a proposal in flight when its token is rotated is refused, not queued behind the withdrawal', async () => {
    const deps = t.gw.services.deps;
    const frank = await create('frank', 'agent');
    // Authenticated with the old secret, then the rotation commits, then the proposal records.
    const principal = (await authenticate(deps.db, frank.body.token))!;
    await rotateToken(deps.db, { publish: () => undefined }, 'frank', 'admin');
    const { propose } = await import('../gateway/lifecycle/propose.ts');
    await expect(
      propose(
        deps,
        principal,
        { target: 'roaster-1', kind: 'roaster.set_drum', params: { rpm: 60 } },
        undefined,
      ),
    ).rejects.toThrow(/revoked or rotated while this request was in flight/);
    expect(
      await deps.db.selectFrom('actions').select('id').where('proposer', '=', 'frank').execute(),
    ).toEqual([]);
  });

  it("the executor blocks an approved action whose proposer's token is revoked (defence in depth)", async () => {
    const g = await startTestGateway();
    try {
      const agent = (
        await g.api<{ token: string }>(g.tokens.admin, 'POST', '/v1/tokens', {
          name: 'agent-y',
          role: 'agent',
        })
      ).body.token;
      const r = await g.api<ActionBody>(agent, 'POST', '/v1/actions', {
        target: 'roaster-1',
        kind: 'roaster.set_drum',
        params: { rpm: 60 },
      });
      // The revocation lands in the database by another way than the API (a replica, a restore).
      await g.gw.services.deps.db
        .updateTable('tokens')
        .set({ revoked_at: Date.now() })
        .where('name', '=', 'agent-y')
        .execute();
      await g.api(g.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {});
      const final = await waitFor(
        async () => {
          const a = await g.api<ActionBody>(g.tokens.op1, 'GET', `/v1/actions/${r.body.action.id}`);
          return ['COMPLETED', 'FAILED', 'BLOCKED', 'CANCELLED'].includes(a.body.action.status)
            ? a.body.action.status
            : undefined;
        },
        10_000,
        'the action to settle',
      );
      expect(final).toBe('BLOCKED');
    } finally {
      await g.close();
    }
  });
});

describe('the CLI', () => {
  it('token revoke and token rotate work on the database, and refuse unknown names', async () => {
    const url = t.config.database.url;
    const cli = (...args: string[]) =>
      execa('node', [path.join(projectRoot, 'bin/interlock.js'), 'token', ...args, '--db', url], {
        reject: false,
      });
    const dave = await create('dave');
    const rotated = await cli('rotate', '--name', 'Dave');
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    const secret = rotated.stdout.trim();
    expect(await authenticate(t.gw.services.deps.db, dave.body.token)).toBeUndefined();
    expect(await authenticate(t.gw.services.deps.db, secret)).toMatchObject({
      id: 'dave',
      role: 'operator',
    });
    expect((await cli('revoke', '--name', 'dave')).exitCode).toBe(0);
    expect(await authenticate(t.gw.services.deps.db, secret)).toBeUndefined();
    const unknown = await cli('revoke', '--name', 'nobody');
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toMatch(/no active token named nobody/);
  });
});
