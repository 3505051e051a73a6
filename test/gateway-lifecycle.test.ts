/**
 * The gateway end to end: levels, approvals, concurrency, idempotency, batches, dry runs,
 * expiry and veto windows — against the real server on a loopback port and a SQLite file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../gateway/audit/verify-chain.ts';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
});

const setLevel = (level: string) =>
  t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', { level, reason: `test at ${level}` });
const propose = (
  body: Record<string, unknown>,
  token = t.tokens.agent,
  headers: Record<string, string> = {},
) => t.api<ActionBody>(token, 'POST', '/v1/actions', { target: 'roaster-1', ...body }, headers);
const get = (id: string) => t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`);
const settled = (id: string, statuses = ['COMPLETED', 'FAILED', 'ABORTED', 'BLOCKED']) =>
  waitFor(
    async () => {
      const r = await get(id);
      return statuses.includes(r.body.action.status) ? r.body : undefined;
    },
    10_000,
    `action ${id} to settle`,
  );
const journal = () =>
  (existsSync(path.join(t.dir, 'roaster-1.jsonl'))
    ? readFileSync(path.join(t.dir, 'roaster-1.jsonl'), 'utf8')
    : ''
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; event: string });

describe('autonomy levels', () => {
  it('L3: every kind waits for approval, then executes once approved', async () => {
    expect((await setLevel('L3')).status).toBe(200);
    const r = await propose({ kind: 'roaster.set_fan', params: { value: 4 } });
    expect(r.status).toBe(201);
    expect(r.body.action.status).toBe('PENDING_APPROVAL');
    expect(r.body.decision.effect).toBe('require_approval');
    await new Promise((res) => setTimeout(res, 200));
    expect((await get(r.body.action.id)).body.action.status).toBe('PENDING_APPROVAL');
    expect(journal().some((e) => e.id === r.body.action.id)).toBe(false);
    const ok = await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {
      reason: 'looks right',
    });
    expect(ok.status).toBe(200);
    const done = await settled(r.body.action.id);
    expect(done.action.status).toBe('COMPLETED');
    expect(done.action.outcome?.state_after).toMatchObject({ fan: 4 });
  });

  it('L3+: whitelisted kinds execute without approval; others wait', async () => {
    await setLevel('L3+');
    const fast = await propose({ kind: 'roaster.set_power', params: { value: 42 } });
    expect(fast.body.decision.effect).toBe('allow');
    expect((await settled(fast.body.action.id)).action.status).toBe('COMPLETED');
    const slow = await propose({ kind: 'roaster.set_drum', params: { rpm: 70 } });
    expect(slow.body.action.status).toBe('PENDING_APPROVAL');
  });

  it('L1 and L2: nothing executes; proposals are recorded as recommendations', async () => {
    for (const level of ['L1', 'L2']) {
      await setLevel(level);
      const r = await propose({ kind: 'roaster.set_drum', params: { rpm: 70 } });
      expect(r.status).toBe(201);
      expect(r.body.action.status).toBe('DENIED');
      expect(r.body.decision, JSON.stringify(r.body.decision)).toMatchObject({
        recommendation: true,
      });
      expect(journal().some((e) => e.id === r.body.action.id)).toBe(false);
    }
  });

  it('operators may lower a level but only admins raise it', async () => {
    await setLevel('L3');
    expect(
      (
        await t.api(t.tokens.op1, 'PUT', '/v1/autonomy/roaster-1', {
          level: 'L2',
          reason: 'night shift',
        })
      ).status,
    ).toBe(200);
    const raise = await t.api<{ error: { code: string; message: string } }>(
      t.tokens.op1,
      'PUT',
      '/v1/autonomy/roaster-1',
      { level: 'L4', reason: 'more' },
    );
    expect(raise.status).toBe(403);
    expect(raise.body.error.message).toMatch(/admin/);
    const alias = await t.api<{ level: string }>(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
      level: 'semi_auto',
      reason: 'radio mode',
    });
    expect(alias.body.level).toBe('L3');
    expect(
      (await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', { level: 'L9', reason: 'x' }))
        .status,
    ).toBe(422);
  });
});

describe('veto windows', () => {
  it('L4: a non-whitelisted kind executes after its veto window unless vetoed', async () => {
    // Its own gateway: the cooling cycle changes the roaster's mode for good.
    const t4 = await startTestGateway();
    const tokens = t4.tokens;
    const propose4 = (body: Record<string, unknown>) =>
      t4.api<ActionBody>(tokens.agent, 'POST', '/v1/actions', { target: 'roaster-1', ...body });
    const get4 = (id: string) => t4.api<ActionBody>(tokens.agent, 'GET', `/v1/actions/${id}`);
    try {
      await t4.api(tokens.admin, 'PUT', '/v1/autonomy/roaster-1', { level: 'L4', reason: 'test' });
      const vetoed = await propose4({ kind: 'roaster.cooling_cycle', params: { duration_s: 60 } });
      expect(vetoed.body.action.status).toBe('PENDING_VETO');
      const noReason = await t4.api(
        tokens.op1,
        'POST',
        `/v1/actions/${vetoed.body.action.id}/veto`,
        {},
      );
      expect(noReason.status).toBe(422);
      expect(
        (
          await t4.api(tokens.op1, 'POST', `/v1/actions/${vetoed.body.action.id}/veto`, {
            reason: 'beans not ready',
          })
        ).status,
      ).toBe(200);

      const passes = await propose4({ kind: 'roaster.cooling_cycle', params: { duration_s: 60 } });
      expect(passes.body.action.status).toBe('PENDING_VETO');
      await new Promise((res) => setTimeout(res, 200));
      expect((await get4(passes.body.action.id)).body.action.status).toBe('PENDING_VETO');
      t4.advance(31_000);
      const done = await waitFor(async () => {
        const r = await get4(passes.body.action.id);
        return r.body.action.status === 'COMPLETED' ? r.body : undefined;
      });
      expect(done.action.outcome?.state_after).toMatchObject({ mode: 'COOLING' });
      expect((await get4(vetoed.body.action.id)).body.action.status).toBe('VETOED');
      const audit = await t4.api<{ records: { type: string; actor: string }[] }>(
        tokens.auditor,
        'GET',
        `/v1/audit?action_id=${vetoed.body.action.id}`,
      );
      expect(audit.body.records.map((r) => r.type)).not.toContain('action.executing');
    } finally {
      await t4.close();
    }
  });
});

describe('approvals', () => {
  it('refuses self-approval, agent approval, and counts a person once; critical needs two', async () => {
    await setLevel('L3');
    // Preheat is critical (2 approvers) and needs the roaster OFF: it is decided, then blocked at
    // execution.
    const own = await propose({ kind: 'roaster.set_airflow', params: { value: 50 } }, t.tokens.op1);
    const self = await t.api<{ error: { code: string } }>(
      t.tokens.op1,
      'POST',
      `/v1/actions/${own.body.action.id}/approve`,
      {},
    );
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('forbidden');

    const r = await propose({ kind: 'roaster.set_airflow', params: { value: 55 } });
    const byAgent = await t.api<{ error: { message: string } }>(
      t.tokens.agent2,
      'POST',
      `/v1/actions/${r.body.action.id}/approve`,
      {},
    );
    expect(byAgent.status).toBe(403);
    expect(byAgent.body.error.message).toMatch(/operator or admin/);

    const critical = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/decisions', {
      kind: 'roaster.preheat',
      target: 'roaster-1',
      params: { target_temp: 200 },
    });
    expect(critical.status).toBe(200);
    expect(critical.body).toMatchObject({ effect: 'deny', stage: 'baseline' });
  });

  it('a critical kind needs two distinct approvers', async () => {
    const t2 = await startTestGateway({
      targets: [{ id: 'roaster-1', driver: 'sim-roaster', level: 'L3', options: { mode: 'OFF' } }],
    });
    try {
      const r = await t2.api<ActionBody>(t2.tokens.agent, 'POST', '/v1/actions', {
        kind: 'roaster.preheat',
        target: 'roaster-1',
        params: { target_temp: 200 },
      });
      expect(r.body.action.status).toBe('PENDING_APPROVAL');
      expect(r.body.action.approvals.required).toBe(2);
      const first = await t2.api<{
        approvals: number;
        required: number;
        action: { status: string };
      }>(t2.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {});
      expect(first.body).toMatchObject({
        approvals: 1,
        required: 2,
        action: { status: 'PENDING_APPROVAL' },
      });
      const again = await t2.api(
        t2.tokens.op1,
        'POST',
        `/v1/actions/${r.body.action.id}/approve`,
        {},
      );
      expect(again.status).toBe(409);
      const wrongDigest = await t2.api(
        t2.tokens.op2,
        'POST',
        `/v1/actions/${r.body.action.id}/approve`,
        { digest: 'f'.repeat(64) },
      );
      expect(wrongDigest.status).toBe(409);
      const second = await t2.api<{ approvals: number; action: { status: string } }>(
        t2.tokens.op2,
        'POST',
        `/v1/actions/${r.body.action.id}/approve`,
        { digest: r.body.action.digest },
      );
      expect(second.body.approvals).toBe(2);
      const done = await waitFor(async () => {
        const a = await t2.api<ActionBody>(
          t2.tokens.agent,
          'GET',
          `/v1/actions/${r.body.action.id}`,
        );
        return a.body.action.status === 'COMPLETED' ? a.body : undefined;
      });
      expect(done.action.outcome?.state_after).toMatchObject({ mode: 'PREHEATING' });
    } finally {
      await t2.close();
    }
  });

  it('parallel approvals of one action execute it exactly once', async () => {
    await setLevel('L3');
    const r = await propose({ kind: 'roaster.set_drum', params: { rpm: 72 } });
    const id = r.body.action.id;
    expect(r.body.action.status).toBe('PENDING_APPROVAL');
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () =>
        t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/approve`, {}),
      ),
      ...Array.from({ length: 5 }, () =>
        t.api(t.tokens.op2, 'POST', `/v1/actions/${id}/approve`, {}),
      ),
      ...Array.from({ length: 5 }, () =>
        t.api(t.tokens.admin2, 'POST', `/v1/actions/${id}/approve`, {}),
      ),
    ]);
    expect(
      results.filter((x) => x.status === 200),
      JSON.stringify(results.map((x) => [x.status, x.body])),
    ).toHaveLength(1);
    expect(results.every((x) => x.status === 200 || x.status === 409)).toBe(true);
    await settled(id);
    expect(journal().filter((e) => e.id === id && e.event === 'received')).toHaveLength(1);
    const audit = await t.api<{ records: { type: string }[] }>(
      t.tokens.auditor,
      'GET',
      `/v1/audit?action_id=${id}&limit=100`,
    );
    expect(audit.body.records.filter((x) => x.type === 'action.executing')).toHaveLength(1);
  });

  it('pending approvals expire after their timeout', async () => {
    await setLevel('L3');
    const r = await propose({ kind: 'roaster.set_drum', params: { rpm: 65 } });
    t.advance(301_000);
    const expired = await settled(r.body.action.id, ['EXPIRED']);
    expect(expired.action.status).toBe('EXPIRED');
    expect(
      (await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {})).status,
    ).toBe(409);
  });

  it('reject needs a reason; cancel by the proposer works', async () => {
    const a = await propose({ kind: 'roaster.set_drum', params: { rpm: 60 } });
    expect(
      (await t.api(t.tokens.op1, 'POST', `/v1/actions/${a.body.action.id}/reject`, {})).status,
    ).toBe(422);
    expect(
      (
        await t.api(t.tokens.op1, 'POST', `/v1/actions/${a.body.action.id}/reject`, {
          reason: 'no',
        })
      ).status,
    ).toBe(200);
    const b = await propose({ kind: 'roaster.set_drum', params: { rpm: 61 } });
    expect(
      (await t.api(t.tokens.agent2, 'POST', `/v1/actions/${b.body.action.id}/cancel`)).status,
    ).toBe(403);
    const c = await t.api<{ action: { status: string } }>(
      t.tokens.agent,
      'POST',
      `/v1/actions/${b.body.action.id}/cancel`,
    );
    expect(c.body.action.status).toBe('CANCELLED');
  });
});

describe('proposals', () => {
  it('an Idempotency-Key retry returns the same action; reuse for another body is a conflict', async () => {
    const first = await propose({ kind: 'roaster.set_drum', params: { rpm: 62 } }, t.tokens.agent, {
      'Idempotency-Key': 'k-1',
    });
    const retry = await propose({ kind: 'roaster.set_drum', params: { rpm: 62 } }, t.tokens.agent, {
      'Idempotency-Key': 'k-1',
    });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body.action.id).toBe(first.body.action.id);
    const other = await propose({ kind: 'roaster.set_drum', params: { rpm: 63 } }, t.tokens.agent, {
      'Idempotency-Key': 'k-1',
    });
    expect(other.status).toBe(409);
    // Keys are per proposer: another agent may use the same key.
    const agent2 = await propose(
      { kind: 'roaster.set_drum', params: { rpm: 62 } },
      t.tokens.agent2,
      { 'Idempotency-Key': 'k-1' },
    );
    expect(agent2.status).toBe(201);
  });

  it('params nested deeper than 32 levels are a 422 naming params, with or without a key; the next proposal is unharmed', async () => {
    // Written as text: the test's own JSON.stringify would run out of stack first.
    const deep = `${'{"a":'.repeat(5_000)}62${'}'.repeat(5_000)}`;
    for (const headers of [{}, { 'Idempotency-Key': 'deep-1' }] as Record<string, string>[]) {
      const r = await t.api<{ error: { code: string; field?: string; message: string } }>(
        t.tokens.agent,
        'POST',
        '/v1/actions',
        `{"target":"roaster-1","kind":"roaster.set_drum","params":{"rpm":${deep}}}`,
        headers,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(JSON.stringify(r.body)).toMatch(/params.*must not nest deeper than 32 levels/);
    }
    const next = await propose({ kind: 'roaster.set_drum', params: { rpm: 61 } }, t.tokens.agent, {
      'Idempotency-Key': 'deep-1',
    });
    expect(next.status).toBe(201);
  });

  it('a dry run stores no action but is audited', async () => {
    const before = await t.api<{ actions: unknown[] }>(
      t.tokens.agent,
      'GET',
      '/v1/actions?limit=500',
    );
    const d = await t.api<{ id: string; effect: string }>(t.tokens.agent, 'POST', '/v1/decisions', {
      kind: 'roaster.set_fan',
      target: 'roaster-1',
      params: { value: 3 },
    });
    expect(d.status).toBe(200);
    const after = await t.api<{ actions: unknown[] }>(
      t.tokens.agent,
      'GET',
      '/v1/actions?limit=500',
    );
    expect(after.body.actions.length).toBe(before.body.actions.length);
    const audit = await t.api<{ records: { payload: { decision_id?: string } }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=decision.dry_run&limit=500',
    );
    expect(audit.body.records.some((r) => r.payload.decision_id === d.body.id)).toBe(true);
  });

  it('lists and pages actions by status and target', async () => {
    const page1 = await t.api<{ actions: { id: string }[]; nextCursor: string | null }>(
      t.tokens.agent,
      'GET',
      '/v1/actions?limit=2',
    );
    expect(page1.body.actions).toHaveLength(2);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await t.api<{ actions: { id: string }[] }>(
      t.tokens.agent,
      'GET',
      `/v1/actions?limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.actions[0]?.id).not.toBe(page1.body.actions[0]?.id);
    const denied = await t.api<{ actions: { status: string }[] }>(
      t.tokens.agent,
      'GET',
      '/v1/actions?status=DENIED',
    );
    expect(denied.body.actions.every((a) => a.status === 'DENIED')).toBe(true);
    expect((await t.api(t.tokens.agent, 'GET', '/v1/actions?status=NOPE')).status).toBe(422);
  });

  it('a batch is approved in one step and executes in order; a denied member blocks it', async () => {
    await setLevel('L3');
    const b = await t.api<{
      id: string;
      status: string;
      actions: { id: string; status: string }[];
    }>(t.tokens.agent, 'POST', '/v1/batches', {
      actions: [
        { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 6 } },
        { kind: 'roaster.set_drum', target: 'roaster-1', params: { rpm: 75 } },
        { kind: 'roaster.set_airflow', target: 'roaster-1', params: { value: 40 } },
      ],
    });
    expect(b.status).toBe(201);
    expect(
      b.body.actions.map((a) => a.status),
      JSON.stringify(b.body),
    ).toEqual(['PENDING_APPROVAL', 'PENDING_APPROVAL', 'PENDING_APPROVAL']);
    const approved = await t.api(t.tokens.op1, 'POST', `/v1/batches/${b.body.id}/approve`, {
      reason: 'batch ok',
    });
    expect(approved.status).toBe(200);
    for (const a of b.body.actions) expect((await settled(a.id)).action.status).toBe('COMPLETED');
    const order = journal()
      .filter((e) => e.event === 'applied' && b.body.actions.some((a) => a.id === e.id))
      .map((e) => e.id);
    expect(order).toEqual(b.body.actions.map((a) => a.id));

    const blocked = await t.api<{ status: string; actions: { status: string }[] }>(
      t.tokens.agent,
      'POST',
      '/v1/batches',
      {
        actions: [
          { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 6 } },
          { kind: 'roaster.preheat', target: 'roaster-1', params: { target_temp: 200 } },
        ],
      },
    );
    expect(blocked.body.status).toBe('BLOCKED');
    expect(blocked.body.actions.map((a) => a.status)).toEqual(['CANCELLED', 'DENIED']);

    const tooMany = await t.api<{ error: { field: string } }>(
      t.tokens.agent,
      'POST',
      '/v1/batches',
      {
        actions: Array.from({ length: 11 }, () => ({
          kind: 'roaster.set_fan',
          target: 'roaster-1',
          params: { value: 6 },
        })),
      },
    );
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.field).toBe('actions');
  });

  it('keeps an intact hash chain through all of the above', async () => {
    const report = await verifyChain(t.gw.services.deps.db);
    expect(report.ok).toBe(true);
  });
});
