/**
 * Revoking a token while it floods proposals leaves nothing of it queued: every proposal either
 * committed before the revocation (and was withdrawn by it) or saw the token ended. On
 * PostgreSQL (INTERLOCK_TEST_DB=postgres) the two run on different connections; the order of
 * their locks is what makes this hold (the audit head first, for both).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../gateway/auth/tokens.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

const QUEUED = ['PROPOSED', 'PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'];

/** 150 proposals spread over 30 ms, a revocation part-way; how many stay queued after. */
async function round(gateway: TestGateway, name: string, revokeAfterMs: number): Promise<number> {
  const { token } = await createToken(gateway.gw.services.deps.db, name, 'agent', 'test');
  const proposals = Array.from({ length: 150 }, (_, i) =>
    new Promise((r) => setTimeout(r, i % 30)).then(() =>
      gateway.api(token, 'POST', '/v1/actions', {
        kind: 'roaster.cooling_cycle',
        target: 'roaster-1',
        params: { duration_s: 60 + i },
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, revokeAfterMs));
  const revoked = await gateway.api(gateway.tokens.admin, 'DELETE', `/v1/tokens/${name}`);
  expect(revoked.status).toBe(200);
  const answers = await Promise.all(proposals);
  expect(answers.filter((a) => ![201, 401].includes(a.status))).toEqual([]);
  const left = await gateway.gw.services.deps.db
    .selectFrom('actions')
    .select('id')
    .where('proposer', '=', name)
    .where('status', 'in', QUEUED)
    .execute();
  return left.length;
}

describe('revocation during a flood of proposals', () => {
  it.each([
    ['in groups', true],
    ['without groups', false],
  ])('leaves none of the token’s proposals queued, %s', async (_name, grouped) => {
    t = await startTestGateway({
      database: { groupCommit: grouped ? { maxWaitMs: 0, maxBatch: 64 } : { maxBatch: 1 } },
    });
    expect(t.gw.services.deps.commits !== undefined).toBe(grouped);
    let queued = 0;
    for (let i = 0; i < 6; i++) queued += await round(t, `flooder-${i}`, 5 + i * 3);
    expect(queued).toBe(0);
  });
});
