/**
 * Hostile bodies at every route that takes one: prototype-pollution keys, deep nesting, huge
 * strings, invalid UTF-8, wrong content types. Only 4xx come back, nothing is polluted, and
 * the gateway keeps serving (and keeps its audit chain) throughout.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyChain } from '../../gateway/audit/verify-chain.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { record, scale } from './record.ts';

let t: TestGateway;
let actionId = '';
beforeAll(async () => {
  t = await startTestGateway({ server: { port: 0, bodyLimitBytes: 64 * 1024 } });
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

const ROUTES = (id: string): [string, string][] => [
  ['POST', '/v1/actions'],
  ['POST', '/v1/decisions'],
  ['POST', `/v1/actions/${id}/approve`],
  ['POST', `/v1/actions/${id}/reject`],
  ['POST', `/v1/actions/${id}/cancel`],
  ['POST', '/v1/batches'],
  ['POST', `/v1/batches/${id}/cancel`],
  ['POST', '/v1/estop/rearm'],
  ['PUT', '/v1/autonomy/roaster-1'],
  ['POST', '/v1/tokens'],
  ['PATCH', '/v1/breakers/rules/error_rate'],
  ['POST', '/v1/readiness/attestations'],
  ['POST', '/v1/governance/run-cycle'],
  ['GET', '/v1/audit?limit=abc&cursor=%00%ff'],
  ['GET', '/v1/actions?status=__proto__'],
];

const deep = (n: number, leaf: string): string => '{"a":'.repeat(n) + leaf + '}'.repeat(n);
const deepArray = (n: number): string => '['.repeat(n) + ']'.repeat(n);

const POLLUTERS = [
  '{"__proto__":{"polluted":true},"kind":"roaster.set_power","target":"roaster-1","params":{"value":1}}',
  '{"constructor":{"prototype":{"polluted":true}},"kind":"roaster.set_power","target":"roaster-1","params":{"value":1}}',
  '{"kind":"roaster.set_power","target":"roaster-1","params":{"__proto__":{"polluted":true},"value":1}}',
  '{"actions":[{"__proto__":{"polluted":true}}]}',
  '{"reason":"x","__proto__":{"polluted":true}}',
  '{"level":"L1","reason":"x","constructor":{"prototype":{"polluted":true}}}',
];

const body = fc.oneof(
  fc.constantFrom(...POLLUTERS).map((text) => ({ text, type: 'application/json' })),
  fc
    .integer({ min: 100, max: 20_000 })
    .map((n) => ({ text: deep(n, '1'), type: 'application/json' })),
  fc
    .integer({ min: 100, max: 20_000 })
    .map((n) => ({ text: deepArray(n), type: 'application/json' })),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => ({
    text: JSON.stringify({
      kind: 'roaster.set_power',
      target: 'roaster-1',
      params: { value: 1 },
      rationale: 'x'.repeat(n),
      reason: 'y'.repeat(n),
    }),
    type: 'application/json',
  })),
  fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => ({
    bytes: Buffer.concat([
      Buffer.from('{"reason":"'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from(bytes),
      Buffer.from('"}'),
    ]),
    type: 'application/json',
  })),
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
      'application/json; charset=utf-16',
    )
    .map((type) => ({ text: '{"reason":"x","kind":"roaster.set_power"}', type })),
  fc.jsonValue({ maxDepth: 6 }).map((v) => ({ text: JSON.stringify(v), type: 'application/json' })),
  fc.string({ maxLength: 300 }).map((text) => ({ text, type: 'application/json' })),
);

/**
 * A raw HTTP/1.1 exchange: the gateway answers an oversize body with 413 and closes the
 * connection without reading the rest, which fetch reports as a socket error. Reading the
 * socket directly sees the status the gateway actually sent.
 */
function rawRequest(
  port: number,
  method: string,
  url: string,
  headers: Record<string, string>,
  payload: Buffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m?.[1]) resolve(Number(m[1]));
      else reject(new Error(`no HTTP response (${got.slice(0, 80)})`));
    });
    const head = [
      `${method} ${url} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Connection: close',
      `Content-Length: ${payload.length}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n');
    // No half-close: the server answers, then closes (Connection: close). A FIN sent before the
    // answer would let Node's HTTP server drop the response of a slow request.
    socket.write(head);
    socket.write(payload);
  });
}

it('only 4xx, no pollution, the gateway keeps serving', async () => {
  let inputs = 0;
  const statuses = new Map<number, number>();
  const fives: string[] = [];
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 14 }),
      body,
      fc.constantFrom('agent', 'op1', 'admin'),
      async (routeIndex, b, who) => {
        const [method, url] = ROUTES(actionId)[routeIndex]!;
        const payload = 'bytes' in b ? b.bytes : b.text;
        const headers = {
          authorization: `Bearer ${t.tokens[who]}`,
          ...(b.type ? { 'content-type': b.type } : {}),
        };
        const status = await rawRequest(
          t.gw.port,
          method,
          url,
          headers,
          method === 'GET' ? Buffer.alloc(0) : Buffer.from(payload),
        );
        inputs++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) fives.push(`${method} ${url} ${b.type} → ${status}`);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      },
    ),
    { numRuns: scale(300, 5000) },
  );
  const health = await fetch(`${t.gw.url}/health`);
  expect(health.status).toBe(200);
  const chain = await verifyChain(t.gw.services.deps.db);
  expect(chain.ok).toBe(true);
  record('hostile-input', {
    routes: ROUTES(actionId).length,
    inputs,
    statuses: Object.fromEntries(statuses),
    fiveHundreds: fives.length,
    polluted: 0,
    stillServing: true,
    auditIntact: chain.ok,
  });
  expect(fives).toEqual([]);
}, 600_000);

it('a request without a token is refused 401 at once, before its promised body arrives', async () => {
  const port = Number(new URL(t.gw.url).port);
  for (const framing of ['Content-Length: 60000', 'Transfer-Encoding: chunked']) {
    const first = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        // A body is promised and never finished: nothing may wait for it without a token.
        socket.write(
          `POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}\r\n\r\n${framing.startsWith('Transfer') ? '5\r\n{"a":\r\n' : '{"a":'}`,
        ),
      );
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => undefined);
      setTimeout(() => {
        socket.destroy();
        resolve(got);
      }, 1500);
    });
    expect(first, framing).toMatch(/^HTTP\/1\.1 401/);
  }
});
