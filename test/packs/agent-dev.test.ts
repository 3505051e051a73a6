/**
 * The agent-dev pack end to end: model calls forwarded by the http driver to a real downstream
 * API on loopback, whose reported spend and budget are the target's state. A call that would
 * exceed the budget is denied, naming INV.BUDGET.CAP.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from '../helpers/gateway.ts';

let t: TestGateway;
let server: Server;
const ledger = { total_spend_usd: 95, budget_usd: 100 };
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      if (req.url === '/state') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ledger));
        return;
      }
      const { estimated_cost_usd } = JSON.parse(body) as { estimated_cost_usd: number };
      calls.push(String(req.headers['idempotency-key']));
      ledger.total_spend_usd += estimated_cost_usd;
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ charged: estimated_cost_usd }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  t = await startTestGateway({
    targets: [
      {
        id: 'llm-budget',
        driver: 'http',
        level: 'L3+',
        options: {
          baseUrl: `http://127.0.0.1:${port}`,
          statePath: '/state',
          routes: {
            'llm.spend': {
              method: 'POST',
              path: '/v1/calls',
              body: { model: '{model}', estimated_cost_usd: '{estimated_cost_usd}' },
            },
          },
        },
      },
    ],
  });
  await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/llm-budget', {
    level: 'L5',
    reason: 'agent-dev runs automatically within its invariants',
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const call = (cost: number) =>
  t.api<ActionBody & { decision: { invariants: { id: string; message: string }[] } }>(
    t.tokens.agent,
    'POST',
    '/v1/actions',
    {
      target: 'llm-budget',
      kind: 'llm.spend',
      params: { model: 'm-large', estimated_cost_usd: cost },
    },
  );

describe('agent-dev: the budget invariant', () => {
  it('a call within budget runs through the http driver and is charged once', async () => {
    const r = await call(3);
    expect(r.body.decision.effect, JSON.stringify(r.body.decision)).toBe('allow');
    await waitFor(
      async () =>
        (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${r.body.action.id}`)).body
          .action.status === 'COMPLETED'
          ? true
          : undefined,
      10_000,
      'the call',
    );
    expect(calls).toEqual([r.body.action.id]);
    expect(ledger.total_spend_usd).toBe(98);
  });

  it('a call that would exceed the budget is denied, naming INV.BUDGET.CAP and the numbers', async () => {
    const r = await call(4);
    expect(r.body.decision).toMatchObject({
      effect: 'deny',
      stage: 'invariants',
      rules: ['invariant.INV.BUDGET.CAP'],
    });
    expect(r.body.decision.invariants[0]!.message).toBe('Budget exceeded: spent 98 + 4 > 100');
    expect(calls).toHaveLength(1);
  });
});
