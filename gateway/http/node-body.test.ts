import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import fc from 'fast-check';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBodyLimit } from './node-body.ts';

const LIMIT = 1024;
const AUTH = { authorization: 'Bearer ok' };
const tooLarge = (c: Context) => c.json({ error: 'too large' }, 413);
let otherwiseRuns = 0;

/** Like the gateway: the limit first, then authentication, then the read, for /v1/ only. */
function app(): Hono {
  const a = new Hono();
  const bodies = nodeBodyLimit({
    maxBytes: LIMIT,
    tooLarge,
    readsHere: (path) => path.startsWith('/v1/'),
    otherwise: async (c, next) => {
      otherwiseRuns += 1;
      return bodyLimit({ maxSize: LIMIT, onError: tooLarge })(c, next);
    },
  });
  a.use('*', bodies.limit);
  a.use('/v1/*', async (c, next) =>
    c.req.header('authorization') === 'Bearer ok' ? next() : c.json({ error: 'token' }, 401),
  );
  a.use('/v1/*', bodies.read);
  a.post('/v1/text', async (c) => c.json({ text: await c.req.text() }));
  a.post('/v1/json', async (c) => c.json({ first: await c.req.json(), again: await c.req.json() }));
  a.post('/v1/form', async (c) => c.json(await c.req.parseBody()));
  a.post('/v1/bytes', async (c) => c.json([...new Uint8Array(await c.req.arrayBuffer())]));
  a.post('/raw', async (c) => c.json(await c.req.raw.json()));
  return a;
}

let server: ServerType;
let base: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app().fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A POST whose body goes out in chunks without a Content-Length (chunked encoding). */
function chunkedPost(path: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers: AUTH }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The gateway may answer 413 and stop reading mid-body: the socket error is expected then.
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('bodies read from the Node request', () => {
  it('a route sees exactly the text Request.text() gives for the same bytes (differential)', async () => {
    // Any bytes: ill-formed UTF-8, a leading BOM, NUL and controls, up to the limit.
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: LIMIT }),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
      fc
        .string({ unit: 'binary', maxLength: 100 })
        .map((s) => new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(s)])),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (body) => {
        const r = await fetch(`${base}/v1/text`, { method: 'POST', body, headers: AUTH });
        expect(r.status).toBe(200);
        const expected = await new Request('http://x/', {
          method: 'POST',
          body,
          headers: AUTH,
        }).text();
        expect(((await r.json()) as { text: string }).text).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('the bytes themselves are handed on unchanged', async () => {
    const body = new Uint8Array([0, 0xff, 0xfe, 0xc3, 0x28, 10, 13]);
    const r = await fetch(`${base}/v1/bytes`, { method: 'POST', body, headers: AUTH });
    expect(await r.json()).toEqual([...body]);
  });

  it('JSON can be read twice; forms parse from the same cache', async () => {
    const j = await fetch(`${base}/v1/json`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 'x'] }),
    });
    expect(await j.json()).toEqual({ first: { a: [1, 'x'] }, again: { a: [1, 'x'] } });
    const f = await fetch(`${base}/v1/form`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=ok+then&id=a%26b',
    });
    expect(await f.json()).toEqual({ reason: 'ok then', id: 'a&b' });
  });

  it('a body of exactly the limit passes; one byte more is a 413, declared or chunked', async () => {
    expect(
      (await fetch(`${base}/v1/text`, { method: 'POST', body: 'x'.repeat(LIMIT), headers: AUTH }))
        .status,
    ).toBe(200);
    const over = await fetch(`${base}/v1/text`, {
      method: 'POST',
      body: 'x'.repeat(LIMIT + 1),
      headers: AUTH,
    });
    expect(over.status).toBe(413);
    const chunked = await chunkedPost('/v1/text', [
      Buffer.alloc(600, 'a'),
      Buffer.alloc(425, 'b'), // 1,025 bytes in all
    ]);
    expect(chunked.status).toBe(413);
    const fits = await chunkedPost('/v1/text', [Buffer.alloc(600, 'a'), Buffer.alloc(424, 'b')]);
    expect(fits.status).toBe(200);
    expect((JSON.parse(fits.body) as { text: string }).text).toHaveLength(LIMIT);
  });

  it('after a refused flood, the next request is served', async () => {
    for (let i = 0; i < 20; i++)
      expect((await chunkedPost('/v1/text', [Buffer.alloc(64 * 1024, 'z')])).status).toBe(413);
    const r = await fetch(`${base}/v1/json`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
    expect(await r.json()).toEqual({ first: { ok: true }, again: { ok: true } });
  });

  it('a request without a valid token is refused before its body is waited for', async () => {
    // Headers promise 500 bytes that never come: the answer must not wait for them.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1', () =>
        socket.write(
          'POST /v1/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":',
        ),
      );
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        resolve(got);
      }, 1000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });

  it('a path that reads the raw Request keeps its body, under the same limit', async () => {
    const before = otherwiseRuns;
    const r = await fetch(`${base}/raw`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{"raw":1}',
    });
    expect(await r.json()).toEqual({ raw: 1 });
    expect(otherwiseRuns).toBe(before + 1);
    const big = await fetch(`${base}/raw`, {
      method: 'POST',
      body: 'x'.repeat(LIMIT + 1),
      headers: AUTH,
    });
    expect(big.status).toBe(413);
  });

  it('without a Node request (in-process), the fallback limit applies', async () => {
    const a = app();
    const before = otherwiseRuns;
    expect(
      (await a.request('/v1/text', { method: 'POST', body: 'x'.repeat(LIMIT + 1), headers: AUTH }))
        .status,
    ).toBe(413);
    const ok = await a.request('/v1/text', { method: 'POST', body: 'fine', headers: AUTH });
    expect(await ok.json()).toEqual({ text: 'fine' });
    expect(otherwiseRuns).toBe(before + 2);
  });
});
