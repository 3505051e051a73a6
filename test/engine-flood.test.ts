/**
 * The flood that once broke every decision until a restart: input that opa-wasm cannot encode
 * (a lone UTF-16 surrogate) is now refused at the door, naming the field, and an engine
 * instance that fails for any reason is replaced before the next decision. Through a real
 * gateway: the operator's abort still goes through, /ready stays true, the replacements are
 * counted and audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const abort = { kind: 'roaster.abort', target: 'roaster-1', params: {} };

describe('a flood of malformed input', () => {
  it('2,000 decisions with a lone surrogate are refused (422 naming the field), then abort is allowed and /ready is true', async () => {
    const where = ['params.value', 'params.x\ud800', 'rationale', 'target'];
    const bodies = [
      { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 'x\ud800' } },
      { kind: 'roaster.set_power', target: 'roaster-1', params: { ['x\ud800']: 1 } },
      {
        kind: 'roaster.set_power',
        target: 'roaster-1',
        params: { value: 50 },
        rationale: '\udfff',
      },
      { kind: 'roaster.set_power', target: 'roaster-\ud800', params: { value: 50 } },
    ];
    for (let i = 0; i < 2_000; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, (_, j) =>
          t.api<{ error: { field: string; code: string } }>(
            t.tokens.agent,
            'POST',
            '/v1/decisions',
            bodies[(i + j) % bodies.length],
          ),
        ),
      );
      for (const [j, r] of batch.entries()) {
        expect(r.status).toBe(422);
        expect(r.body.error.code).toBe('validation_failed');
        expect(r.body.error.field).toBe(where[(i + j) % bodies.length]!.toWellFormed());
      }
    }
    const op = await t.api<{ decision: { effect: string } }>(
      t.tokens.op1,
      'POST',
      '/v1/actions',
      abort,
    );
    expect(op.status).toBe(201);
    expect(op.body.decision.effect).toBe('allow');
    const ready = await t.api<{
      ready: boolean;
      checks: { engine: { healthy: boolean; rebuilds: number } };
    }>(undefined, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.engine).toMatchObject({ healthy: true, rebuilds: 0 });
    // Batches refuse it the same way, naming the member.
    const b = await t.api<{ error: { field: string } }>(t.tokens.agent, 'POST', '/v1/batches', {
      actions: [abort, bodies[0]],
      rationale: 'x',
    });
    expect(b.status).toBe(422);
  }, 120_000);

  it('an engine instance that traps is replaced: the next decision is right, the replacement is counted and audited, /ready stays true', async () => {
    const engine = t.gw.services.deps.policy()!;
    // Straight at the engine, past the door: what an unknown trap would do.
    for (let i = 0; i < 50; i++)
      expect(() =>
        engine.evaluate({ action: { kind: 'roaster.set_power', params: { value: 'x\ud800' } } }),
      ).toThrow();
    const op = await t.api<{ decision: { effect: string } }>(
      t.tokens.op1,
      'POST',
      '/v1/actions',
      abort,
    );
    expect(op.body.decision.effect).toBe('allow');
    const dry = await t.api<{ effect: string; stage: string }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 101 } },
    );
    expect(dry.status).toBe(422);
    const ready = await t.api<{
      ready: boolean;
      checks: { engine: { healthy: boolean; rebuilds: number; lastFault?: { error: string } } };
    }>(undefined, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.engine).toMatchObject({
      healthy: true,
      rebuilds: 50,
      lastFault: { error: expect.any(String) },
    });
    const metrics = await fetch(`${t.gw.url}/metrics`, {
      headers: { authorization: `Bearer ${t.tokens.admin}` },
    });
    expect(await metrics.text()).toMatch(/^interlock_engine_rebuilds_total 50$/m);
    const audit = await t.api<{
      records: { type: string; actor: string; payload: { policy_digest: string } }[];
    }>(t.tokens.auditor, 'GET', '/v1/audit?type=engine.rebuilt&limit=100');
    expect(audit.body.records).toHaveLength(50);
    expect(audit.body.records[0]).toMatchObject({
      actor: 'gateway',
      payload: { policy_digest: engine.digest },
    });
  });

  it('a reload of the unchanged bundle still gives the engine a fresh instance', async () => {
    const reload = await t.api<{ ok: boolean; changed: boolean }>(
      t.tokens.admin,
      'POST',
      '/v1/policies/reload',
      {},
    );
    expect(reload.body).toMatchObject({ ok: true, changed: false });
    const op = await t.api<{ decision: { effect: string } }>(
      t.tokens.op1,
      'POST',
      '/v1/actions',
      abort,
    );
    expect(op.body.decision.effect).toBe('allow');
  });
});
