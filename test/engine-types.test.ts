/**
 * Values of the wrong type fail closed. Rego orders values across types (`"0" >= 1` is true,
 * `"0" != 0` is true), so an invariant compiled without type guards let `fan: "0"` through
 * where `fan: 0` is denied. Now a wrong type counts as a violation exactly like a missing value,
 * in the compiled Rego and in the reference evaluator; and a target whose reported state does
 * not have the catalog's types is unreadable, which denies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackController } from '../drivers/tcp-line/loopback-controller.ts';
import { decide } from '../gateway/decide/pipeline.ts';
import type { PolicyEvaluator } from '../gateway/schema/evaluator.ts';
import { shippedEvaluator } from './helpers/default-policy.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const roaster = {
  mode: 'RUNNING',
  power: 40,
  fan: 3,
  drumRpm: 60,
  airflow: 30,
  envTemp: 200,
  beanTemp: 150,
  tripped: false,
};
const history = { last: {}, rate: {}, counts: { 'roaster.set_power@10000': 0 } };

let evaluator: PolicyEvaluator;
beforeAll(async () => {
  evaluator = await shippedEvaluator();
});

const run = (kind: string, params: Record<string, unknown>, state: Record<string, unknown>) =>
  decide(
    {
      envelope: { kind, target: 'roaster-1', params },
      actor: { id: 'op', roles: ['operator'] },
      context: { level: 'L5', state, history, now: 1_000_000, estop: false },
    },
    evaluator,
  );
const violated = (d: ReturnType<typeof run>) => d.invariants.map((v) => v.id);

describe('invariants on values of the wrong type', () => {
  it('fan: "0" is denied like fan: 0 and like no fan at all', () => {
    const right = run('roaster.set_power', { value: 40 }, { ...roaster, fan: 0 });
    expect(violated(right)).toContain('INV.ROASTER.FAN_WHILE_HEAT');
    const wrong = run('roaster.set_power', { value: 40 }, { ...roaster, fan: '0' });
    expect(wrong.effect).toBe('deny');
    expect(violated(wrong)).toContain('INV.ROASTER.FAN_WHILE_HEAT');
    const { fan: _fan, ...noFan } = roaster;
    expect(violated(run('roaster.set_power', { value: 40 }, noFan))).toContain(
      'INV.ROASTER.FAN_WHILE_HEAT',
    );
    expect(violated(run('roaster.set_power', { value: 40 }, roaster))).not.toContain(
      'INV.ROASTER.FAN_WHILE_HEAT',
    );
  });

  it('power: "30" at a hot bean temperature is denied like power: 30', () => {
    const hot = { ...roaster, beanTemp: 250 };
    expect(violated(run('roaster.set_power', { value: 45 }, { ...hot, power: 30 }))).toContain(
      'INV.ROASTER.BEAN_TEMP_CEILING',
    );
    const asString = run('roaster.set_power', { value: 45 }, { ...hot, power: '30' });
    expect(asString.effect).toBe('deny');
    expect(violated(asString)).toContain('INV.ROASTER.BEAN_TEMP_CEILING');
    // Turning down is still allowed with the right type.
    expect(violated(run('roaster.set_power', { value: 20 }, { ...hot, power: 30 }))).not.toContain(
      'INV.ROASTER.BEAN_TEMP_CEILING',
    );
  });
});

describe('a target reporting state of the wrong type', () => {
  let controller: LoopbackController;
  let t: TestGateway;
  beforeAll(async () => {
    controller = new LoopbackController();
    const port = await controller.start();
    controller.state = { ...roaster };
    t = await startTestGateway({
      targets: [
        { id: 'line-1', driver: 'tcp-line', level: 'L3', options: { port, commandTimeoutMs: 300 } },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await controller?.stop?.();
  });

  it('is unreadable state: the decision denies, naming the field, and the next one with the right type is decided', async () => {
    controller.state = { ...roaster, power: '30' };
    const bad = await t.api<{ effect: string; stage: string; rules: string[]; reasons: string[] }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_fan', target: 'line-1', params: { value: 3 } },
    );
    expect(bad.body).toMatchObject({
      effect: 'deny',
      stage: 'state',
      rules: ['state.unavailable'],
    });
    expect(bad.body.reasons[0]).toContain('state.power is a string');
    controller.state = { ...roaster, mode: 'x\ud800' };
    const illFormed = await t.api<{ effect: string; reasons: string[] }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_fan', target: 'line-1', params: { value: 3 } },
    );
    expect(illFormed.body.effect).toBe('deny');
    controller.state = { ...roaster };
    const good = await t.api<{ effect: string; stage: string }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_fan', target: 'line-1', params: { value: 3 } },
    );
    expect(good.body.stage).not.toBe('engine');
  });
});
