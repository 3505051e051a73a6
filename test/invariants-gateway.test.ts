/**
 * Invariants in the running gateway: the bundle it loads includes them, and the context it
 * builds carries the windowed counts they ask for, counted from the actions table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type ActionBody, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
  await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
    level: 'L3+',
    reason: 'invariant test',
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('invariants in the gateway', () => {
  it('the 11th power change within 10 s is denied by INV.ROASTER.SETPOINT_BURST, with the count it saw', async () => {
    const propose = () =>
      t.api<
        ActionBody & { decision: { invariants: { id: string; values: Record<string, unknown> }[] } }
      >(t.tokens.agent, 'POST', '/v1/actions', {
        target: 'roaster-1',
        kind: 'roaster.set_power',
        params: { value: 40 },
      });
    for (let i = 0; i < 10; i++) {
      const r = await propose();
      expect(r.body.decision.effect, JSON.stringify(r.body.decision)).toBe('allow');
    }
    const eleventh = await propose();
    expect(eleventh.body.decision).toMatchObject({
      effect: 'deny',
      stage: 'invariants',
      rules: ['invariant.INV.ROASTER.SETPOINT_BURST'],
    });
    expect(eleventh.body.decision.invariants[0]!.values).toMatchObject({
      'count("roaster.set_power", "10s")': 10,
    });
    // Ten seconds later the window has room again.
    t.advance(10_500);
    expect((await propose()).body.decision.effect).toBe('allow');
  }, 60_000);
});
