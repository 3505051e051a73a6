/**
 * Verdicts at the edges, against a real gateway: an approval, rejection or veto that arrives
 * after its deadline is refused even when the sweeper has not run yet, and every reason the
 * API requires refuses blank text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type ActionBody, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  // The sweeper is slowed to once a minute of real time: late verdicts meet a still-pending row.
  t = await startTestGateway({ sweepMs: 60_000 });
});
afterAll(async () => {
  await t?.close();
});

type ErrorBody = { error: { code: string; field?: string } };
const propose = (body: Record<string, unknown>) =>
  t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', { target: 'roaster-1', ...body });
const setLevel = (level: string) =>
  t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', { level, reason: `test at ${level}` });
const statusOf = async (id: string) =>
  (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`)).body.action.status;

describe('verdicts after their deadline', () => {
  it('an approval 15 minutes after a 300 s timeout is refused with 409 deadline_passed, and nothing runs', async () => {
    await setLevel('L3');
    const r = await propose({ kind: 'roaster.set_drum', params: { rpm: 64 } });
    expect(r.body.action.status).toBe('PENDING_APPROVAL');
    t.advance(15 * 60_000);
    // The sweeper has not run: the row is still PENDING_APPROVAL when the approval arrives.
    expect(await statusOf(r.body.action.id)).toBe('PENDING_APPROVAL');
    const late = await t.api<ErrorBody>(
      t.tokens.op1,
      'POST',
      `/v1/actions/${r.body.action.id}/approve`,
      { digest: r.body.action.digest },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('deadline_passed');
    const reject = await t.api<ErrorBody>(
      t.tokens.op1,
      'POST',
      `/v1/actions/${r.body.action.id}/reject`,
      { reason: 'too late anyway' },
    );
    expect(reject.status).toBe(409);
    expect(await statusOf(r.body.action.id)).toBe('PENDING_APPROVAL');
    const audit = await t.api<{ records: { type: string }[] }>(
      t.tokens.auditor,
      'GET',
      `/v1/audit?action_id=${r.body.action.id}`,
    );
    expect(audit.body.records.map((x) => x.type)).not.toContain('approval.granted');
  });

  it('one millisecond before the deadline the approval counts; at the deadline it does not', async () => {
    const early = await propose({ kind: 'roaster.set_drum', params: { rpm: 66 } });
    const onTime = await propose({ kind: 'roaster.set_drum', params: { rpm: 67 } });
    const timeoutMs = 300_000;
    // The two were proposed within a few ms; move to just before the earlier one's deadline.
    t.advance(timeoutMs - 1_000);
    expect(
      (await t.api(t.tokens.op1, 'POST', `/v1/actions/${early.body.action.id}/approve`, {})).status,
    ).toBe(200);
    t.advance(1_000);
    const late = await t.api<ErrorBody>(
      t.tokens.op1,
      'POST',
      `/v1/actions/${onTime.body.action.id}/approve`,
      {},
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('deadline_passed');
  });

  it('a veto after the veto window closed is refused; the window decides, not the sweeper', async () => {
    await setLevel('L4');
    const r = await propose({ kind: 'roaster.cooling_cycle', params: { duration_s: 60 } });
    expect(r.body.action.status).toBe('PENDING_VETO');
    t.advance(10 * 60_000);
    const veto = await t.api<ErrorBody>(
      t.tokens.op1,
      'POST',
      `/v1/actions/${r.body.action.id}/veto`,
      { reason: 'changed my mind' },
    );
    expect(veto.status).toBe(409);
    expect(veto.body.error.code).toBe('deadline_passed');
    // An operator's cancel is a verdict too; only the proposer withdraws whatever the clock says.
    expect(
      (await t.api<ErrorBody>(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/cancel`)).body
        .error.code,
    ).toBe('deadline_passed');
    expect(
      (await t.api(t.tokens.agent, 'POST', `/v1/actions/${r.body.action.id}/cancel`)).status,
    ).toBe(200);
    await setLevel('L3');
  });
});

describe('required reasons', () => {
  const blanks = ['', ' ', '\t\n', '\u00a0\u3000', '\u200b\u200e', '\u2028'];

  it.each(blanks.map((b) => [JSON.stringify(b), b]))(
    'refuses the reason %s everywhere one is required (422 naming reason)',
    async (_, blank) => {
      const pending = await propose({ kind: 'roaster.set_drum', params: { rpm: 61 } });
      const calls: Array<[string, string, string, unknown]> = [
        ['stop', 'POST', '/v1/estop', { reason: blank }],
        ['rearm', 'POST', '/v1/estop/rearm', { reason: blank }],
        ['reject', 'POST', `/v1/actions/${pending.body.action.id}/reject`, { reason: blank }],
        ['veto', 'POST', `/v1/actions/${pending.body.action.id}/veto`, { reason: blank }],
        ['level change', 'PUT', '/v1/autonomy/roaster-1', { level: 'L2', reason: blank }],
        ['breaker resolution', 'POST', '/v1/breakers/events/none/resolve', { reason: blank }],
      ];
      for (const [what, method, url, body] of calls) {
        const res = await t.api<ErrorBody>(t.tokens.admin, method, url, body);
        expect(res.status, what).toBe(422);
        expect(JSON.stringify(res.body), what).toContain('reason');
      }
      // Nothing happened: no stop engaged, the level unchanged, the action still pending.
      expect(
        (await t.api<{ engaged: boolean }>(t.tokens.admin, 'GET', '/v1/estop')).body.engaged,
      ).toBe(false);
      expect(
        (await t.api<{ level: string }>(t.tokens.admin, 'GET', '/v1/autonomy/roaster-1')).body
          .level,
      ).toBe('L3');
      expect(await statusOf(pending.body.action.id)).toBe('PENDING_APPROVAL');
    },
  );
});
