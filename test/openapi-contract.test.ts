/**
 * The OpenAPI document as a contract: every operation in it is called (without a token, with a
 * body the schema refuses, and as a client following the document would), and every response's
 * status must be one the operation documents and its body must validate against the schema
 * documented for that status. A route added without a call here fails the coverage check.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

type Schema = Record<string, unknown>;
interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let t: TestGateway;
let doc: Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const validators = new Map<string, ValidateFunction>();
/** `METHOD /path` of every operation called, with the statuses seen. */
const called = new Map<string, Set<number>>();

beforeAll(async () => {
  t = await startTestGateway();
  doc = (await (await fetch(`${t.gw.url}/openapi.json`)).json()) as Doc;
  // Response schemas refer to #/components/…: resolve them against the document itself.
  ajv.addSchema({ $id: 'interlock-openapi', components: doc.components });
}, 60_000);
afterAll(() => t.close());

function validatorFor(method: string, template: string, status: number, schema: Schema) {
  const key = `${method} ${template} ${status}`;
  let v = validators.get(key);
  if (!v) {
    const text = JSON.stringify(schema).replaceAll(
      '"#/components/',
      '"interlock-openapi#/components/',
    );
    v = ajv.compile(JSON.parse(text) as Schema);
    validators.set(key, v);
  }
  return v;
}

interface Call {
  token?: string | undefined;
  body?: unknown;
  params?: Record<string, string>;
  query?: string;
}

/**
 * Calls one operation of the document and checks the response against it; returns the status
 * and body for the caller's own expectations.
 */
async function call(method: string, template: string, c: Call = {}) {
  const op = doc.paths[template]?.[method.toLowerCase()];
  expect(op, `${method} ${template} is in the document`).toBeDefined();
  const url =
    template.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(c.params?.[name] ?? ''),
    ) + (c.query ? `?${c.query}` : '');
  const res = await fetch(`${t.gw.url}${url}`, {
    method,
    headers: {
      ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
      ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
  });
  const where = `${method} ${url} → ${res.status}`;
  const seen = called.get(`${method} ${template}`) ?? new Set<number>();
  seen.add(res.status);
  called.set(`${method} ${template}`, seen);

  const documented = op!.responses[String(res.status)];
  expect(documented, `${where} is a documented status`).toBeDefined();
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (type === 'text/event-stream') {
    // A stream does not end: the status and media type are the contract.
    expect(Object.keys(documented!.content ?? {}), where).toContain('text/event-stream');
    await res.body?.cancel();
    return { status: res.status, body: undefined as unknown };
  }
  const text = await res.text();
  const content = documented!.content;
  if (!content) return { status: res.status, body: text as unknown };
  expect(Object.keys(content), `${where} has a documented media type ${type}`).toContain(type);
  const schema = content[type]?.schema;
  const body: unknown = type === 'application/json' ? JSON.parse(text) : text;
  if (schema) {
    const v = validatorFor(method, template, res.status, schema);
    expect(v(body) ? [] : v.errors, `${where}: body matches the documented schema`).toEqual([]);
  }
  return { status: res.status, body };
}

/** call(), and the response is a success (2xx). */
async function succeeds(method: string, template: string, c: Call = {}) {
  const r = await call(method, template, c);
  expect(r.status, `${method} ${template}`).toBeGreaterThanOrEqual(200);
  expect(r.status, `${method} ${template}`).toBeLessThan(300);
  return r;
}

/** call(), and the response has the given status. */
async function answers(status: number, method: string, template: string, c: Call = {}) {
  const r = await call(method, template, c);
  expect(r.status, `${method} ${template}`).toBe(status);
  return r;
}

const roaster = { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 40 } };
const reason = { reason: 'contract test' };

describe('every operation of the OpenAPI document', () => {
  it('answers as documented without a token', async () => {
    for (const [template, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        if (!op.security?.length) continue;
        const params = { id: 'x', name: 'x', target: 'roaster-1' };
        const r = await call(method.toUpperCase(), template, {
          params,
          ...(op.requestBody ? { body: {} } : {}),
        });
        expect(r.status, `${method} ${template}`).toBe(401);
      }
  });

  it('answers as documented when the body is not what the schema asks for', async () => {
    for (const [template, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        if (!op.requestBody) continue;
        const r = await call(method.toUpperCase(), template, {
          token: t.tokens.admin,
          params: { id: 'x', name: 'x', target: 'roaster-1' },
          body: { 'not-a-field': [1] },
        });
        expect(r.status, `${method} ${template}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${template}`).toBeLessThan(500);
      }
  });

  it('answers as documented on the way a client uses it, each response valid', async () => {
    const { admin, agent, op1, auditor } = t.tokens;

    // Probes and metrics.
    for (const p of ['/health', '/ready', '/metrics']) await succeeds('GET', p);
    await succeeds('GET', '/v1/events', { token: op1 });

    // Actions: propose, read, list, decide, approve, reject, cancel, veto and abort.
    const proposed = await succeeds('POST', '/v1/actions', { token: agent, body: roaster });
    const action = (proposed.body as { action: { id: string; digest: string } }).action;
    await succeeds('GET', '/v1/actions/{id}', { token: auditor, params: { id: action.id } });
    await answers(404, 'GET', '/v1/actions/{id}', { token: auditor, params: { id: 'nope' } });
    await succeeds('GET', '/v1/actions', { token: auditor, query: 'limit=5' });
    await succeeds('POST', '/v1/decisions', { token: agent, body: roaster });
    await succeeds('POST', '/v1/actions/{id}/approve', {
      token: op1,
      params: { id: action.id },
      body: { digest: action.digest, ...reason },
    });
    const second = (await call('POST', '/v1/actions', { token: agent, body: roaster })).body as {
      action: { id: string };
    };
    await succeeds('POST', '/v1/actions/{id}/reject', {
      token: op1,
      params: { id: second.action.id },
      body: reason,
    });
    const third = (await call('POST', '/v1/actions', { token: agent, body: roaster })).body as {
      action: { id: string };
    };
    await succeeds('POST', '/v1/actions/{id}/cancel', {
      token: agent,
      params: { id: third.action.id },
      body: reason,
    });
    // Neither in a veto window nor running: a documented refusal, in the documented shape.
    await answers(409, 'POST', '/v1/actions/{id}/veto', {
      token: op1,
      params: { id: third.action.id },
      body: reason,
    });
    await answers(409, 'POST', '/v1/actions/{id}/abort', {
      token: op1,
      params: { id: third.action.id },
      body: reason,
    });

    // Batches.
    const batch = await succeeds('POST', '/v1/batches', {
      token: agent,
      body: {
        actions: [roaster, { kind: 'roaster.set_drum', target: 'roaster-1', params: { rpm: 50 } }],
      },
    });
    const batchId = (batch.body as { id: string }).id;
    await succeeds('GET', '/v1/batches/{id}', { token: auditor, params: { id: batchId } });
    await succeeds('POST', '/v1/batches/{id}/approve', {
      token: op1,
      params: { id: batchId },
      body: reason,
    });
    const batch2 = (
      await call('POST', '/v1/batches', { token: agent, body: { actions: [roaster] } })
    ).body as { id: string };
    await succeeds('POST', '/v1/batches/{id}/cancel', {
      token: agent,
      params: { id: batch2.id },
      body: reason,
    });

    // Levels, targets, catalog, policies, audit.
    await succeeds('GET', '/v1/autonomy/{target}', {
      token: auditor,
      params: { target: 'roaster-1' },
    });
    await succeeds('PUT', '/v1/autonomy/{target}', {
      token: admin,
      params: { target: 'roaster-1' },
      body: { level: 'L3', ...reason },
    });
    await succeeds('GET', '/v1/targets', { token: agent });
    await succeeds('GET', '/v1/targets/{target}', {
      token: agent,
      params: { target: 'roaster-1' },
    });
    await answers(404, 'GET', '/v1/targets/{target}', { token: agent, params: { target: 'nope' } });
    await succeeds('GET', '/v1/catalog', { token: agent });
    await succeeds('GET', '/v1/policies', { token: auditor });
    await succeeds('POST', '/v1/policies/reload', { token: admin });
    await succeeds('GET', '/v1/audit', { token: auditor, query: 'limit=10' });

    // Breakers and governance.
    const rules = (await call('GET', '/v1/breakers/rules', { token: auditor })).body as {
      rules: { name: string }[];
    };
    const rule = rules.rules[0]!.name;
    await succeeds('GET', '/v1/breakers/rules/{name}', { token: auditor, params: { name: rule } });
    await succeeds('PATCH', '/v1/breakers/rules/{name}', {
      token: admin,
      params: { name: rule },
      body: { enabled: true },
    });
    await succeeds('GET', '/v1/breakers/events', { token: auditor, query: 'limit=5' });
    await answers(404, 'POST', '/v1/breakers/events/{id}/resolve', {
      token: admin,
      params: { id: '999999' },
      body: reason,
    });
    await succeeds('GET', '/v1/readiness', { token: auditor, query: 'target=roaster-1' });
    const attest = await call('POST', '/v1/readiness/attestations', {
      token: admin,
      body: { target: 'roaster-1', item: 'no-such-item', statement: 'checked' },
    });
    expect(attest.status).toBeGreaterThanOrEqual(400);
    await succeeds('POST', '/v1/governance/run-cycle', {
      token: admin,
      body: { target: 'roaster-1' },
    });
    const reports = (await call('GET', '/v1/governance/reports', { token: auditor })).body as {
      reports: { id: string | number }[];
    };
    await succeeds('GET', '/v1/governance/reports/{id}', {
      token: auditor,
      params: { id: String(reports.reports[0]!.id) },
    });
    await succeeds('GET', '/v1/governance/proposals', { token: auditor });
    await answers(404, 'POST', '/v1/governance/proposals/{id}/approve', {
      token: admin,
      params: { id: '999999' },
    });
    await answers(404, 'POST', '/v1/governance/proposals/{id}/reject', {
      token: admin,
      params: { id: '999999' },
      body: reason,
    });

    // Tokens.
    await succeeds('POST', '/v1/tokens', {
      token: admin,
      body: { name: 'contract-agent', role: 'agent' },
    });
    await succeeds('POST', '/v1/tokens/{name}/rotate', {
      token: admin,
      params: { name: 'contract-agent' },
    });
    await succeeds('DELETE', '/v1/tokens/{name}', {
      token: admin,
      params: { name: 'contract-agent' },
    });

    // The emergency stop last: it holds every target until rearmed.
    await succeeds('GET', '/v1/estop', { token: auditor });
    await succeeds('POST', '/v1/estop', { token: op1, body: reason });
    await succeeds('POST', '/v1/estop/rearm', { token: admin, body: reason });
  }, 60_000);

  it('has called every operation in the document', () => {
    const all = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(all.filter((op) => !called.has(op))).toEqual([]);
  });
});
