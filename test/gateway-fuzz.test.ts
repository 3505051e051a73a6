/**
 * Bad input never yields a 5xx: fast-check throws malformed JSON, wrong types, unknown kinds,
 * oversize bodies, odd headers and missing or bogus auth at every route.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyChain } from '../gateway/audit/verify-chain.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
let actionId = '';
beforeAll(async () => {
  t = await startTestGateway({ server: { port: 0, bodyLimitBytes: 4096 } });
  const r = await t.api<{ action: { id: string } }>(t.tokens.agent, 'POST', '/v1/actions', {
    kind: 'roaster.set_drum',
    target: 'roaster-1',
    params: { rpm: 40 },
  });
  actionId = r.body.action.id;
});
afterAll(async () => {
  await t?.close();
});

const routes = (id: string): [string, string][] => [
  ['POST', '/v1/actions'],
  ['POST', '/v1/decisions'],
  ['GET', '/v1/actions'],
  ['GET', `/v1/actions/${id}`],
  ['POST', `/v1/actions/${id}/approve`],
  ['POST', `/v1/actions/${id}/reject`],
  ['POST', `/v1/actions/${id}/veto`],
  ['POST', `/v1/actions/${id}/cancel`],
  ['POST', `/v1/actions/${id}/abort`],
  ['POST', '/v1/batches'],
  ['GET', `/v1/batches/${id}`],
  ['POST', `/v1/batches/${id}/approve`],
  ['GET', '/v1/estop'],
  ['POST', '/v1/estop'],
  ['POST', '/v1/estop/rearm'],
  ['GET', '/v1/autonomy/roaster-1'],
  ['PUT', '/v1/autonomy/roaster-1'],
  ['GET', '/v1/audit'],
  ['POST', '/v1/tokens'],
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/openapi.json'],
];

const jsonish = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom(
    '{',
    '{"kind":',
    '[]',
    'null',
    '{"kind":"roaster.set_power","target":"roaster-1","params":{"value":"x"}}',
    '{"kind":"a.b","target":"../../etc","params":[]}',
  ),
  fc
    .record(
      {
        kind: fc.oneof(
          fc.constantFrom('roaster.set_power', 'roaster.preheat', 'shell.exec', 'nope.nope', ''),
          fc.string(),
        ),
        target: fc.oneof(fc.constant('roaster-1'), fc.string()),
        params: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
        reason: fc.oneof(fc.string(), fc.integer()),
        level: fc.oneof(fc.constantFrom('L1', 'L5', 'semi_auto'), fc.string()),
        actions: fc.array(fc.jsonValue(), { maxLength: 12 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

it('no route answers a 5xx to anything', async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: routes('x').length - 1 }),
      fc.oneof(fc.constant(actionId), fc.string({ maxLength: 40 }), fc.uuid()),
      fc.constantFrom('agent', 'op1', 'admin', 'auditor', 'none', 'bogus'),
      jsonish,
      fc.constantFrom('application/json', 'text/plain', ''),
      fc.option(
        fc
          .string({ maxLength: 20 })
          .map(
            (q) =>
              `?limit=${encodeURIComponent(q)}&status=${encodeURIComponent(q)}&cursor=${encodeURIComponent(q)}&from=${encodeURIComponent(q)}`,
          ),
      ),
      async (routeIndex, id, who, body, contentType, query) => {
        const [method, route] = routes(encodeURIComponent(id) || 'x')[routeIndex]!;
        const token =
          who === 'none' ? undefined : who === 'bogus' ? 'il_not-a-token' : t.tokens[who];
        const res = await fetch(`${t.gw.url}${route}${query ?? ''}`, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(contentType ? { 'content-type': contentType } : {}),
          },
          ...(method === 'GET' ? {} : { body }),
        });
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const text = await res.text();
        expect(res.status, `${method} ${route} ${body} -> ${text}`).toBeLessThan(500);
        if (res.status >= 400 && route !== '/ready') {
          const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
          expect(parsed.error?.code).toBeTruthy();
          expect(parsed.error?.message).toBeTruthy();
        }
      },
    ),
    { numRuns: 600, seed: 4242 },
  );
  expect([...seen.keys()].some((s) => s === 401)).toBe(true);
  expect([...seen.keys()].some((s) => s === 422 || s === 400)).toBe(true);
});

it('an oversize body is a 413 that names the limit; nothing accepted is lost', async () => {
  const before = await t.api<{ actions: unknown[] }>(
    t.tokens.agent,
    'GET',
    '/v1/actions?limit=500',
  );
  const big = JSON.stringify({
    kind: 'roaster.set_drum',
    target: 'roaster-1',
    params: { rpm: 40 },
    rationale: 'x'.repeat(10_000),
  });
  const r = await t.api<{ error: { code: string; message: string } }>(
    t.tokens.agent,
    'POST',
    '/v1/actions',
    big,
  );
  expect(r.status).toBe(413);
  expect(r.body.error.message).toMatch(/4096/);
  const after = await t.api<{ actions: unknown[] }>(t.tokens.agent, 'GET', '/v1/actions?limit=500');
  expect(after.body.actions.length).toBe(before.body.actions.length);
  expect((await verifyChain(t.gw.services.deps.db)).ok).toBe(true);
});

it('malformed JSON, wrong types and unknown kinds each name the problem', async () => {
  const malformed = await t.api<{ error: { code: string; message: string } }>(
    t.tokens.agent,
    'POST',
    '/v1/actions',
    '{"kind":',
  );
  expect(malformed.status).toBe(400);
  expect(malformed.body.error.message).toMatch(/JSON/);
  const wrongType = await t.api<{ error: { field: string } }>(
    t.tokens.agent,
    'POST',
    '/v1/actions',
    { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 'high' } },
  );
  expect(wrongType.status).toBe(422);
  expect(wrongType.body.error.field).toBe('params.value');
  const unknown = await t.api<{ error: { code: string; field: string } }>(
    t.tokens.agent,
    'POST',
    '/v1/actions',
    { kind: 'roaster.vent', target: 'roaster-1' },
  );
  expect(unknown.body.error).toMatchObject({ code: 'unknown_kind', field: 'kind' });
  const noAuth = await t.api<{ error: { field: string } }>(undefined, 'GET', '/v1/actions');
  expect(noAuth.status).toBe(401);
  expect(noAuth.body.error.field).toBe('Authorization');
  const wrongRole = await t.api<{ error: { message: string } }>(t.tokens.agent, 'GET', '/v1/audit');
  expect(wrongRole.status).toBe(403);
  expect(wrongRole.body.error.message).toMatch(/auditor or admin/);
});
