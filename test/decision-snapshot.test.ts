/**
 * The decision is made in one place from one snapshot: batches feed their earlier members into
 * the rate counts the policy decides on (no patched decisions), and the executor's re-check
 * decides without the proposal path's side effects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideNow } from '../gateway/lifecycle/propose.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ batches: { maxActions: 40 } });
});
afterAll(async () => {
  await t.close();
});

const auditCount = async (): Promise<number> =>
  Number(
    (
      await t.gw.services.deps.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('one snapshot, one decision', () => {
  it('a batch past a rate limit is denied by the policy, counting the earlier members', async () => {
    // roaster_commands_per_minute allows 30 roaster.set_* per target per minute.
    const actions = Array.from({ length: 32 }, (_, i) => ({
      kind: 'roaster.set_fan',
      target: 'roaster-1',
      params: { value: (i % 9) + 1 },
    }));
    const b = await t.api<{ status: string; actions: { status: string; decision?: unknown }[] }>(
      t.tokens.agent,
      'POST',
      '/v1/batches',
      { actions },
    );
    expect(b.status).toBe(201);
    expect(b.body.status).toBe('BLOCKED');
    const statuses = b.body.actions.map((a) => a.status);
    expect(statuses.slice(0, 30).every((s) => s === 'CANCELLED')).toBe(true);
    expect(statuses.slice(30)).toEqual(['DENIED', 'DENIED']);
    const rows = await t.gw.services.deps.db
      .selectFrom('decisions')
      .select(['stage', 'rules'])
      .where('effect', '=', 'deny')
      .where('purpose', '=', 'proposal')
      .execute();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.stage).toBe('rate_limit');
      expect(JSON.parse(r.rules)).toEqual(['ratelimit.roaster_commands_per_minute']);
    }
  });

  it('the re-check path writes nothing, even for an envelope the proposal path would refuse with a 422', async () => {
    const before = await auditCount();
    const principal = { id: 'agent', role: 'agent' as const };
    const unknown = await decideNow(
      t.gw.services.deps,
      principal,
      { kind: 'reactor.scram', target: 'roaster-1', params: {} },
      'execution',
    );
    expect(unknown.decision).toMatchObject({ effect: 'deny', stage: 'validation' });
    const bad = await decideNow(
      t.gw.services.deps,
      principal,
      { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 'x' } },
      'execution',
    );
    expect(bad.decision).toMatchObject({ effect: 'deny', stage: 'validation' });
    expect(await auditCount()).toBe(before);
    // The proposal path, given the same, refuses with 422 and audits it.
    const refused = await t.api(t.tokens.agent, 'POST', '/v1/actions', {
      kind: 'reactor.scram',
      target: 'roaster-1',
      params: {},
    });
    expect(refused.status).toBe(422);
    expect(await auditCount()).toBe(before + 1);
  });
});
