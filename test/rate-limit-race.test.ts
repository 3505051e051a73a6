/**
 * Rate limits hold under concurrent proposals: a limit of 30 set commands per minute on a
 * target accepts exactly 30 of 80 proposals sent at once, whether they commit in one group,
 * many groups or (PostgreSQL, INTERLOCK_TEST_DB=postgres) on pooled connections. The counts a
 * decision read before its commit are counted again where the proposal is recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface Proposed {
  action?: { status: string };
  decision?: { rules: string[] };
}

async function flood(gateway: TestGateway, n: number): Promise<Proposed[]> {
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      gateway.api<Proposed>(gateway.tokens[i % 2 ? 'agent' : 'agent2'], 'POST', '/v1/actions', {
        kind: 'roaster.set_fan',
        target: 'roaster-1',
        params: { value: (i % 9) + 1 },
      }),
    ),
  );
  expect(answers.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
  return answers.map((a) => a.body);
}

describe('roaster_commands_per_minute (30) under 80 concurrent proposals', () => {
  it.each([
    ['groups as they form', { maxWaitMs: 0, maxBatch: 64 }],
    ['groups that wait 5 ms', { maxWaitMs: 5, maxBatch: 64 }],
    ['no groups', { maxWaitMs: 0, maxBatch: 1 }],
  ])('accepts exactly 30 with %s', async (_name, groupCommit) => {
    t = await startTestGateway({ database: { groupCommit } });
    expect(t.gw.services.deps.commits !== undefined).toBe(groupCommit.maxBatch > 1);

    const proposed = await flood(t, 80);
    const accepted = proposed.filter((p) => p.action?.status !== 'DENIED');
    const limited = proposed.filter((p) =>
      p.decision?.rules.includes('ratelimit.roaster_commands_per_minute'),
    );
    expect(accepted).toHaveLength(30);
    expect(limited).toHaveLength(50);
  });
});
