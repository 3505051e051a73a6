/**
 * What an agent can read before it proposes: each target's level, state, driver and open
 * breakers (GET /v1/targets, /v1/targets/{target}) and the catalog of kinds (GET /v1/catalog),
 * from a real gateway, described in the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
});

interface TargetStatusBody {
  id: string;
  autonomy: { level: string; configured: string; ceiling: string };
  driver: string;
  connected: boolean;
  state: Record<string, unknown>;
  pending: number;
  executing: number;
  breakers: unknown[];
}

describe('targets and catalog for agents', () => {
  it('lists every target with its level, live state, driver and work in flight', async () => {
    const before = await t.api<{ targets: TargetStatusBody[] }>(
      t.tokens.agent,
      'GET',
      '/v1/targets',
    );
    expect(before.status).toBe(200);
    expect(before.body.targets).toHaveLength(1);
    expect(before.body.targets[0]).toMatchObject({
      id: 'roaster-1',
      autonomy: { level: 'L3', configured: 'L3' },
      driver: 'sim-roaster',
      connected: true,
      state: { mode: 'RUNNING' },
      pending: 0,
      breakers: [],
    });

    // A cooling cycle waits for an operator: the target shows it.
    const proposed = await t.api<{ action: { status: string } }>(
      t.tokens.agent,
      'POST',
      '/v1/actions',
      {
        kind: 'roaster.cooling_cycle',
        target: 'roaster-1',
        params: { duration_s: 60 },
      },
    );
    expect(proposed.body.action.status).toBe('PENDING_APPROVAL');
    const one = await t.api<TargetStatusBody>(t.tokens.agent, 'GET', '/v1/targets/roaster-1');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'roaster-1', pending: 1 });
    // The level an operator sets is the level reported.
    await t.api(t.tokens.op1, 'PUT', '/v1/autonomy/roaster-1', { level: 'L2', reason: 'test' });
    expect(
      (await t.api<TargetStatusBody>(t.tokens.agent, 'GET', '/v1/targets/roaster-1')).body.autonomy
        .level,
    ).toBe('L2');
  });

  it('answers 404 naming the field for an unknown target, 401 without a token', async () => {
    const missing = await t.api<{ error: { code: string; field: string; message: string } }>(
      t.tokens.agent,
      'GET',
      '/v1/targets/no-such-roaster',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'not_found', field: 'target' });
    expect(missing.body.error.message).toContain('roaster-1');
    expect((await t.api(undefined, 'GET', '/v1/targets')).status).toBe(401);
    expect((await t.api(undefined, 'GET', '/v1/catalog')).status).toBe(401);
  });

  it('serves the catalog of the bundle in force: params with bounds, risk, required states', async () => {
    const res = await t.api<{
      policyDigest: string;
      kinds: Record<
        string,
        {
          risk: string;
          params: Record<string, { type: string; min?: number; max?: number }>;
          constraints?: Record<string, unknown>;
        }
      >;
    }>(t.tokens.agent, 'GET', '/v1/catalog');
    expect(res.status).toBe(200);
    const policies = await t.api<{ digest: string }>(t.tokens.agent, 'GET', '/v1/policies');
    expect(res.body.policyDigest).toBe(policies.body.digest);
    expect(res.body.kinds['roaster.set_power']).toMatchObject({
      risk: 'low',
      params: { value: { type: 'number', min: 0, max: 100 } },
      constraints: { ramp: { param: 'value', per_second: 5 } },
    });
    expect(res.body.kinds['roaster.preheat']?.risk).toBe('critical');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (
      await t.api<{ paths: Record<string, Record<string, { operationId?: string }>> }>(
        undefined,
        'GET',
        '/openapi.json',
      )
    ).body;
    for (const path of ['/v1/targets', '/v1/targets/{target}', '/v1/catalog'])
      expect(doc.paths[path]?.get?.operationId, path).toBeTruthy();
  });
});
