/**
 * Every route × every role (and no token) against the expected table below. The table is
 * written by hand, on purpose: a new route fails this test until someone decides who may
 * call it. A role refusal is a 403 naming the route's roles; no token is a 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { record } from './record.ts';

type Who = 'none' | 'agent' | 'operator' | 'admin' | 'auditor';
const WHO: Who[] = ['none', 'agent', 'operator', 'admin', 'auditor'];
const ALL: Who[] = ['agent', 'operator', 'admin', 'auditor'];
const PROPOSERS: Who[] = ['agent', 'operator', 'admin'];
const DECIDERS: Who[] = ['operator', 'admin'];
const OBSERVERS: Who[] = ['operator', 'admin', 'auditor'];
const PUBLIC: Who[] = [...WHO];

/** method path (OpenAPI template) → who may call it. */
const EXPECTED: Record<string, Who[]> = {
  'post /v1/actions': PROPOSERS,
  'post /v1/decisions': PROPOSERS,
  'get /v1/actions': ALL,
  'get /v1/actions/{id}': ALL,
  'post /v1/actions/{id}/approve': DECIDERS,
  'post /v1/actions/{id}/reject': DECIDERS,
  'post /v1/actions/{id}/veto': DECIDERS,
  'post /v1/actions/{id}/cancel': PROPOSERS,
  'post /v1/actions/{id}/abort': DECIDERS,
  'post /v1/batches': PROPOSERS,
  'get /v1/batches/{id}': ALL,
  'post /v1/batches/{id}/cancel': PROPOSERS,
  'post /v1/batches/{id}/approve': DECIDERS,
  'get /v1/estop': ALL,
  'post /v1/estop': DECIDERS,
  'post /v1/estop/rearm': DECIDERS,
  'get /v1/autonomy/{target}': ALL,
  'put /v1/autonomy/{target}': DECIDERS,
  'get /v1/audit': ['auditor', 'admin'],
  'post /v1/tokens': ['admin'],
  'delete /v1/tokens/{name}': ['admin'],
  'post /v1/tokens/{name}/rotate': ['admin'],
  'get /v1/policies': ALL,
  'get /v1/targets': ALL,
  'get /v1/targets/{target}': ALL,
  'get /v1/catalog': ALL,
  'post /v1/policies/reload': ['admin'],
  'post /v1/policies/impact': ['admin'],
  'get /v1/breakers/rules': OBSERVERS,
  'get /v1/breakers/rules/{name}': OBSERVERS,
  'patch /v1/breakers/rules/{name}': ['admin'],
  'get /v1/breakers/events': OBSERVERS,
  'post /v1/breakers/events/{id}/resolve': ['admin'],
  'get /v1/readiness': OBSERVERS,
  'post /v1/readiness/attestations': OBSERVERS,
  'post /v1/governance/run-cycle': ['admin'],
  'get /v1/governance/reports': OBSERVERS,
  'get /v1/governance/reports/{id}': OBSERVERS,
  'get /v1/governance/proposals': OBSERVERS,
  'post /v1/governance/proposals/{id}/approve': OBSERVERS,
  'post /v1/governance/proposals/{id}/reject': OBSERVERS,
  // Outside the OpenAPI document:
  'get /v1/events': OBSERVERS,
  'get /metrics': PUBLIC,
  'get /health': PUBLIC,
  'get /ready': PUBLIC,
  'get /openapi.json': PUBLIC,
};

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway(
    {},
    { agent: 'agent', operator: 'operator', admin2: 'admin', auditor: 'auditor' },
  );
});
afterAll(async () => {
  await t?.close();
});

const tokenOf = (who: Who): string | undefined =>
  who === 'none' ? undefined : who === 'admin' ? t.tokens.admin2 : t.tokens[who];

async function call(
  who: Who,
  method: string,
  url: string,
): Promise<{ status: number; message: string }> {
  const controller = new AbortController();
  const token = tokenOf(who);
  const res = await fetch(`${t.gw.url}${url}`, {
    method: method.toUpperCase(),
    signal: controller.signal,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'get' ? {} : { 'content-type': 'application/json' }),
    },
    ...(method === 'get' ? {} : { body: '{}' }),
  });
  // The event stream never ends: its status is the answer.
  const message = (res.headers.get('content-type') ?? '').includes('json')
    ? JSON.stringify(await res.json())
    : '';
  controller.abort();
  return { status: res.status, message };
}

describe('auth matrix', () => {
  it('covers every route the OpenAPI document lists', async () => {
    const doc = (
      await t.api<{ paths: Record<string, Record<string, unknown>> }>(
        undefined,
        'GET',
        '/openapi.json',
      )
    ).body;
    const listed = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m} ${p}`),
    );
    expect(listed.filter((r) => !(r in EXPECTED))).toEqual([]);
  });

  it('answers every route × role as the table says', async () => {
    const wrong: string[] = [];
    let calls = 0;
    for (const [route, allowed] of Object.entries(EXPECTED)) {
      const [method, template] = route.split(' ') as [string, string];
      const url = template
        .replace('{id}', 'no-such-id')
        .replace('{target}', 'roaster-1')
        .replace('{name}', 'no-such-rule');
      for (const who of WHO) {
        const r = await call(who, method, url);
        calls++;
        const roleRefused = r.status === 403 && r.message.includes('this route needs role');
        const verdict =
          who === 'none' && !allowed.includes('none')
            ? r.status === 401
            : allowed.includes(who)
              ? r.status !== 401 && !roleRefused && r.status < 500
              : roleRefused;
        if (!verdict) wrong.push(`${route} as ${who}: ${r.status} ${r.message.slice(0, 120)}`);
      }
    }
    record('auth-matrix', {
      routes: Object.keys(EXPECTED).length,
      roles: WHO.length,
      calls,
      violations: wrong.length,
    });
    expect(wrong).toEqual([]);
  });
});
