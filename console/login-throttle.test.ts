/**
 * Login throttling against a real gateway over HTTP: a flood of wrong tokens from one client
 * gets 429 with Retry-After after ten, costs no database lookup after that, and leaves one
 * aggregated audit record per client per window instead of one per attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../test/helpers/gateway.ts';
import { clientKey, LoginThrottle } from './login-throttle.ts';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ console: { loginFailures: 10, loginWindowMs: 60_000 } });
});
afterAll(async () => {
  await t?.close();
});

const attempt = (token: string) =>
  fetch(`${t.gw.url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.gw.url },
    body: new URLSearchParams({ token, next: '/console' }),
  });

const refusalRecords = async () =>
  (
    await t.gw.services.deps.db
      .selectFrom('audit_log')
      .select(['actor', 'payload'])
      .where('type', '=', 'console.login_refused')
      .execute()
  ).map((r) => ({
    actor: r.actor,
    payload: JSON.parse(r.payload) as {
      count: number;
      reasons: Record<string, number>;
      client: string;
    },
  }));

describe('console login throttling', () => {
  it('300 wrong tokens: 10 refused as wrong, the rest 429 with Retry-After; one audit record with the count', async () => {
    const before = (await refusalRecords()).length;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 300; i++) {
      const res = await attempt(`il_guess${String(i).padStart(4, '0')}${'x'.repeat(30)}`);
      statuses.push(res.status);
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(290);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    // Nothing is written per attempt.
    expect((await refusalRecords()).length).toBe(before);
    await t.gw.flushLoginRefusals();
    const records = (await refusalRecords()).slice(before);
    expect(records).toHaveLength(1);
    expect(records[0]!.payload).toMatchObject({
      count: 300,
      reasons: { unknown_token: 10, throttled: 290 },
    });
  });

  it('while throttled, a valid token still logs in (no lockout of operators sharing an address); wrong ones stay 429 until the window ends', async () => {
    expect((await attempt(t.tokens.op1!)).status).toBe(303);
    expect((await attempt('il_still-guessing-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx')).status).toBe(429);
    t.advance(61_000);
    expect((await attempt('il_a-new-window-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx')).status).toBe(401);
  });
});

describe('the throttle alone', () => {
  it('groups IPv6 by /64 and reads IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('10.1.2.3')).toBe('10.1.2.3');
  });

  it('150,000 refused clients in one window are summed without overflowing the stack', async () => {
    const throttle = new LoginThrottle({
      maxFailures: 10,
      windowMs: 60_000,
      maxKeys: 200_000,
      maxRecordsPerFlush: 20,
    });
    for (let i = 0; i < 150_000; i++)
      throttle.refused(`2001:db8:${i.toString(16)}::/64`, `il_${i}`, 'unknown_token', 1_000);
    const before = (await refusalRecords()).length;
    expect(await throttle.flush(t.gw.services.deps, 2_000, { all: true })).toBe(21);
    expect((await refusalRecords()).slice(before).reduce((n, r) => n + r.payload.count, 0)).toBe(
      150_000,
    );
  });

  it('400 clients in one window leave at most the cap plus one audit record', async () => {
    const throttle = new LoginThrottle({
      maxFailures: 10,
      windowMs: 60_000,
      maxKeys: 100,
      maxRecordsPerFlush: 20,
    });
    for (let i = 0; i < 400; i++)
      throttle.refused(`10.9.${i >> 8}.${i & 255}`, `il_p${i}`, 'unknown_token', 1_000 + i);
    const db = t.gw.services.deps.db;
    const before = (await refusalRecords()).length;
    expect(await throttle.flush({ db }, 2_000, { all: true })).toBeLessThanOrEqual(21);
    const records = (await refusalRecords()).slice(before);
    expect(records.length).toBeLessThanOrEqual(21);
    expect(records.reduce((n, r) => n + r.payload.count, 0)).toBe(400);
  });

  it('counts per token prefix across clients, bounds its memory and writes evicted clients out', () => {
    const throttle = new LoginThrottle({
      maxFailures: 3,
      windowMs: 1_000,
      maxKeys: 50,
      maxRecordsPerFlush: 5,
    });
    for (let i = 0; i < 3; i++) throttle.refused(`10.0.0.${i}`, 'il_samepref', 'unknown_token', 0);
    expect(throttle.retryAfter('10.0.0.99', 'il_samepref', 10)).toBe(1);
    expect(throttle.retryAfter('10.0.0.99', 'il_other', 10)).toBeUndefined();
    expect(throttle.retryAfter('10.0.0.99', 'il_samepref', 1_000)).toBeUndefined();
    for (let i = 0; i < 10_000; i++)
      throttle.refused(`client-${i}`, `il_p${i}`, 'unknown_token', 5);
    expect(throttle.retryAfter('client-9999', 'il_x', 6)).toBeUndefined();
  });
});
