/**
 * The OpenAPI document passes Redocly's recommended rules with no error and no warning, every
 * operation has an operationId and a stated security, and a method no route serves is a 405.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationIdOf } from '../gateway/http/openapi-doc.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
const dir = mkdtempSync(path.join(tmpdir(), 'interlock-openapi-'));
beforeAll(async () => {
  t = await startTestGateway();
}, 60_000);
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

type Doc = {
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
};

describe('the OpenAPI document', () => {
  it('names operations from method and path', () => {
    expect(operationIdOf('post', '/v1/actions/{id}/approve')).toBe('postActionsIdApprove');
    expect(operationIdOf('get', '/health')).toBe('getHealth');
  });

  it('gives every operation an id and a security requirement, and describes the plain routes', async () => {
    const doc = (await (await fetch(`${t.gw.url}/openapi.json`)).json()) as Doc;
    const ops = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.entries(item).map(([m, op]) => ({ p, m, op })),
    );
    expect(ops.length).toBeGreaterThan(35);
    for (const { p, m, op } of ops) {
      expect(op.operationId, `${m} ${p}`).toBeTruthy();
      expect(op.security, `${m} ${p}`).toBeDefined();
    }
    for (const p of ['/health', '/ready', '/metrics', '/v1/events'])
      expect(doc.paths[p], p).toBeDefined();
    expect(new Set(ops.map((o) => o.op.operationId)).size).toBe(ops.length);
  });

  it('passes redocly lint (recommended) with no problem', async () => {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, await (await fetch(`${t.gw.url}/openapi.json`)).text());
    const r = await execa('npx', ['redocly', 'lint', file, '--format=stylish'], { reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/\b(error|warning)\s{2,}/);
  }, 120_000);

  it('answers TRACE with 405, naming what is allowed', async () => {
    const r = await fetch(`${t.gw.url}/v1/actions`, { method: 'TRACE' }).catch(() => undefined);
    // undici refuses to send TRACE: ask the server over a raw socket instead.
    const status = r?.status ?? (await rawStatus(t.gw.url, 'TRACE /v1/actions HTTP/1.1'));
    expect(status).toBe(405);
  });

  it('answers any method a path does not serve with 405 and the methods it does serve', async () => {
    const auth = { authorization: `Bearer ${t.tokens.admin}` };
    const query = await fetch(`${t.gw.url}/v1/actions`, { method: 'QUERY', headers: auth });
    expect(query.status).toBe(405);
    expect(query.headers.get('allow')).toBe('POST, GET, HEAD');
    expect(((await query.json()) as { error: { code: string } }).error.code).toBe(
      'method_not_allowed',
    );
    const del = await fetch(`${t.gw.url}/v1/actions/some-id`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    const probe = await fetch(`${t.gw.url}/health`, { method: 'PATCH' });
    expect(probe.status).toBe(405);
    // A path no route serves stays a 404. A method no route serves anywhere is refused from the
    // path alone; the usual methods still need a token first under /v1.
    expect((await fetch(`${t.gw.url}/v1/nothing-here`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${t.gw.url}/v1/actions`, { method: 'QUERY' })).status).toBe(405);
    expect((await fetch(`${t.gw.url}/v1/nothing`, { method: 'QUERY' })).status).toBe(404);
    expect((await fetch(`${t.gw.url}/v1/actions/x`, { method: 'DELETE' })).status).toBe(401);
  });
});

async function rawStatus(url: string, requestLine: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () =>
      s.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    s.on('error', reject);
  });
}
