/**
 * Notifications end to end: a real gateway, a real HTTP receiver and a real SMTP server on
 * loopback. Pending approvals reach both; the webhook's HMAC verifies with the documented
 * recipe; a receiver that is down gets every event after it returns, once each; a sink that
 * hangs does not hold back the others or any decision.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  consoleCookie,
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from './helpers/gateway.ts';
import { HttpReceiver, SmtpReceiver } from './helpers/receivers.ts';
import { NotificationSchema } from '../gateway/schema/notification.ts';
import { insertOutbox, routeEvent } from '../gateway/store/notifications.ts';

const SECRET = 'test-webhook-secret-0123456789';
let t: TestGateway;
const hook = new HttpReceiver();
const stuck = new HttpReceiver();
const smtp = new SmtpReceiver();
// Receives the scheduled handoff reports only.
const desk = new HttpReceiver();

beforeAll(async () => {
  process.env.TEST_HOOK_SECRET = SECRET;
  await hook.start();
  await stuck.start();
  stuck.hang = true;
  await smtp.start();
  await desk.start();
  t = await startTestGateway({
    notifications: {
      consoleUrl: 'http://console.example',
      sinks: [
        {
          name: 'hook',
          type: 'webhook',
          url: hook.url,
          secretEnv: 'TEST_HOOK_SECRET',
          timeoutMs: 1000,
        },
        {
          name: 'stuck',
          type: 'webhook',
          url: stuck.url,
          secretEnv: 'TEST_HOOK_SECRET',
          timeoutMs: 60_000,
        },
        { name: 'desk', type: 'webhook', url: desk.url, secretEnv: 'TEST_HOOK_SECRET' },
        {
          name: 'mail',
          type: 'email',
          smtp: { host: '127.0.0.1', port: smtp.port },
          from: 'interlock@example.com',
          to: ['oncall@example.com'],
        },
      ],
      routes: [
        {
          events: ['approval.pending', 'estop.engaged', 'estop.rearmed'],
          sinks: ['hook', 'mail', 'stuck'],
        },
        { events: ['readiness.dropped', 'readiness.restored'], sinks: ['hook'] },
      ],
      retry: { initialMs: 100, maxMs: 1000 },
      pollMs: 50,
      readinessCheckMs: 100,
      reports: [{ name: 'handoff', cron: '* * * * *', window: '12h', sinks: ['desk'] }],
    },
  });
});
afterEach(() => {
  hook.received.length = 0;
  smtp.received.length = 0;
});
afterAll(async () => {
  await t.close();
  await hook.stop();
  await stuck.stop();
  await smtp.stop();
  await desk.stop();
});

const proposePending = async (value: number) => {
  const r = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
    kind: 'roaster.set_power',
    target: 'roaster-1',
    params: { value },
  });
  expect(r.body.action.status, JSON.stringify(r.body.decision)).toBe('PENDING_APPROVAL');
  return r.body.action.id;
};

const verify = (header: string, body: string): boolean => {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest('hex');
  return expected === m[2] && Math.abs(Date.now() - Number(m[1])) < 60_000;
};

it('a pending approval reaches the webhook and the mailbox within a second, signed', async () => {
  const t0 = Date.now();
  const id = await proposePending(40);
  const got = await waitFor(
    async () => hook.received.find((r) => r.body.includes(id)),
    5000,
    'the webhook',
  );
  const mail = await waitFor(
    async () => smtp.received.find((m) => m.raw.includes(id)),
    5000,
    'the mail',
  );
  expect(got.at - t0).toBeLessThan(1000);
  expect(Date.now() - t0).toBeLessThan(1500);

  expect(verify(String(got.headers['interlock-signature']), got.body)).toBe(true);
  // One changed byte and the MAC no longer holds.
  expect(verify(String(got.headers['interlock-signature']), got.body.replace('"', "'"))).toBe(
    false,
  );
  const n = NotificationSchema.parse(JSON.parse(got.body));
  expect(n).toMatchObject({
    event: 'approval.pending',
    target: 'roaster-1',
    kind: 'roaster.set_power',
    link: `http://console.example/console/actions/${id}`,
    action: { id, status: 'PENDING_APPROVAL' },
  });
  expect(got.headers['interlock-event-id']).toBe(n.id);
  expect(n.action?.reasons.length).toBeGreaterThan(0);

  expect(mail.to).toEqual(['oncall@example.com']);
  expect(mail.raw).toMatch(/^Subject: \[Interlock\] Approval needed:/m);
  expect(mail.raw).toMatch(new RegExp(`^X-Interlock-Event-Id: ${n.id}\r?$`, 'im'));
  expect(mail.raw).toContain(`Message-ID: <${n.id}@interlock.invalid>`);
});

it('a receiver that is down for 30 s gets every event after it returns, exactly once', async () => {
  const port = await hook.down();
  const ids: string[] = [];
  const downUntil = Date.now() + 30_000;
  // Events keep happening while it is down.
  while (Date.now() < downUntil - 2_000) {
    ids.push(await proposePending(41 + ids.length));
    await new Promise((r) => setTimeout(r, 2_500));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, downUntil - Date.now())));
  expect(hook.received).toHaveLength(0);
  await hook.start(port);
  await waitFor(
    async () => ids.every((id) => hook.received.some((r) => r.body.includes(id))),
    15_000,
    'every event after the receiver returned',
  );
  // Give a duplicate time to show up.
  await new Promise((r) => setTimeout(r, 2_000));
  const eventIds = hook.received.map((r) => String(r.headers['interlock-event-id']));
  expect(new Set(eventIds).size).toBe(eventIds.length);
  expect(eventIds.length).toBe(ids.length);
  for (const r of hook.received)
    expect(verify(String(r.headers['interlock-signature']), r.body)).toBe(true);
  // The mail sink was never down: it had them all along.
  for (const id of ids) expect(smtp.received.filter((m) => m.raw.includes(id))).toHaveLength(1);
}, 70_000);

it('a sink that hangs holds back neither decisions nor the other sinks', async () => {
  // `stuck` has accepted and never answered every request since the start.
  const ids = [await proposePending(50), await proposePending(51), await proposePending(52)];
  await waitFor(
    async () => ids.every((id) => hook.received.some((r) => r.body.includes(id))),
    5000,
    'the healthy sink',
  );
  const metrics = await fetch(`${t.gw.url}/metrics`, {
    headers: { authorization: `Bearer ${t.tokens.admin}` },
  }).then((r) => r.text());
  expect(metrics).toMatch(
    /interlock_notification_deliveries\{sink="stuck",status="pending"\} [1-9]/,
  );
  expect(metrics).toMatch(
    /interlock_notification_attempts_total\{sink="hook",outcome="delivered"\} [1-9]/,
  );
  // And on the console's Status page.
  const cookie = await consoleCookie(t, t.tokens.op1!);
  const page = await fetch(new URL('/console/status', t.gw.url), { headers: { cookie } }).then(
    (r) => r.text(),
  );
  expect(page).toMatch(/<tr data-sink="stuck"><th scope="row">stuck<\/th><td>0<\/td><td>[1-9]/);
  expect(page).toContain('data-sink="mail"');
});

it('a backlog on a hanging sink, or on a sink no longer configured, does not hold back a healthy one', async () => {
  const { db } = t.gw.services.deps;
  const old = Date.now() - 60_000;
  // 150 old events waiting for `stuck` (which never answers) and 150 for a removed sink.
  for (const sink of ['stuck', 'removed-sink']) {
    const rows = Array.from({ length: 150 }, (_, i) => ({
      id: `backlog-${sink}-${i}`,
      event: 'estop.engaged',
      audit_seq: null,
      action_id: null,
      at: old + i,
      fanned_out: 0,
      body: null,
    }));
    await insertOutbox(db, rows);
    for (const r of rows)
      await db.transaction().execute((trx) =>
        routeEvent(trx, r.id, '{}', [
          {
            event_id: r.id,
            sink,
            status: 'pending',
            attempts: 0,
            next_at: old + 1,
            claimed_until: null,
            last_error: null,
            created_at: old,
            delivered_at: null,
          },
        ]),
      );
  }
  const t0 = Date.now();
  const id = await proposePending(53);
  const got = await waitFor(
    async () => hook.received.find((r) => r.body.includes(id)),
    5000,
    'the healthy sink despite the backlogs',
  );
  expect(got.at - t0).toBeLessThan(1000);
});

it('the emergency stop and rearm are notified, and routes leave out what they do not list', async () => {
  const stop = await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'smoke in the drum' });
  expect(stop.status).toBe(200);
  await t.api(t.tokens.op1, 'POST', '/v1/estop/rearm', { reason: 'cleared' });
  await waitFor(
    async () =>
      hook.received.some((r) => r.body.includes('"estop.engaged"')) &&
      hook.received.some((r) => r.body.includes('"estop.rearmed"')),
    5000,
    'stop and rearm',
  );
  const engaged = NotificationSchema.parse(
    JSON.parse(hook.received.find((r) => r.body.includes('"estop.engaged"'))!.body),
  );
  expect(engaged).toMatchObject({
    severity: 'critical',
    detail: { reason: 'smoke in the drum', actor: 'op1' },
  });
  // Cancelled approvals are not routed anywhere here.
  expect(hook.received.some((r) => r.body.includes('"execution.failed"'))).toBe(false);
});

it('a readiness drop that lasts two checks is notified, and so is the recovery', async () => {
  const driver = t.gw.services.deps.targets.get('roaster-1')!.driver;
  await driver.disconnect();
  try {
    const dropped = await waitFor(
      async () => hook.received.find((r) => r.body.includes('"readiness.dropped"')),
      5000,
      'the drop',
    );
    expect(NotificationSchema.parse(JSON.parse(dropped.body))).toMatchObject({
      severity: 'high',
      title: expect.stringContaining('not ready: driver roaster-1') as string,
      detail: { failing: 'driver roaster-1', actor: 'gateway' },
    });
  } finally {
    await driver.connect();
  }
  const restored = await waitFor(
    async () => hook.received.find((r) => r.body.includes('"readiness.restored"')),
    5000,
    'the recovery',
  );
  expect(NotificationSchema.parse(JSON.parse(restored.body)).severity).toBe('info');
  // One drop, one recovery: the checks in between add nothing.
  expect(hook.received.filter((r) => r.body.includes('"readiness.')).length).toBe(2);
});

it('a scheduled handoff report is sent once per due time, with its window and Markdown', async () => {
  const reports = () =>
    desk.received
      .map((r) => NotificationSchema.parse(JSON.parse(r.body)))
      .filter((n) => n.event === 'report.handoff');
  const first = await waitFor(async () => reports()[0], 5000, 'the first report');
  expect(first.report).toMatchObject({ name: 'handoff', markdown_truncated: false });
  expect(Date.parse(first.report!.to) - Date.parse(first.report!.from)).toBe(12 * 3_600_000);
  expect(first.report!.to).toBe(first.at);
  expect(new Date(first.at).getUTCSeconds()).toBe(0); // due on the minute, as the cron says
  expect(first.report!.markdown).toMatch(/^# Handoff report/);
  expect(first.link).toContain('/console/report?from=');
  expect(typeof first.detail.actions).toBe('number');
  // The next minute brings the next report; every report arrives once.
  t.advance(60_000);
  await waitFor(async () => new Set(reports().map((n) => n.id)).size >= 2, 5000, 'the next one');
  await new Promise((r) => setTimeout(r, 500));
  const ids = reports().map((n) => n.id);
  expect(ids.length).toBe(new Set(ids).size);
});
