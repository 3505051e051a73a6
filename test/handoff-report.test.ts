/**
 * The handoff report over a scripted overnight run on a real gateway: it lists every action,
 * incident, rollback and level change of the window, and nothing outside it — through the
 * library and through `interlock report` on the same database.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';
import { HandoffBuilder, type HandoffReport } from '../gateway/report/handoff.ts';
import { handoffReport } from '../gateway/report/read.ts';
import { proposeRollback } from '../gateway/lifecycle/rollback.ts';
import { recordsInWindow } from '../gateway/store/audit-reads.ts';

let t: TestGateway;
const HOUR = 3_600_000;
const inWindow: string[] = [];
const outside: string[] = [];
let windowFrom = 0;
let windowTo = 0;
let report: HandoffReport;
let rollbackOf = { id: '', of: '' };

const propose = async (value: number) =>
  (
    await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
      kind: 'roaster.set_power',
      target: 'roaster-1',
      params: { value },
    })
  ).body.action.id;
const settled = (id: string) =>
  waitFor(async () => {
    const r = await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`);
    return ['COMPLETED', 'FAILED', 'BLOCKED'].includes(r.body.action.status);
  });
const now = () => t.gw.services.deps.now();

beforeAll(async () => {
  t = await startTestGateway({
    notifications: { unattended: [{ targets: ['roaster-1'], from: '00:00', to: '00:00' }] },
  });
  // The evening before: one action, approved and run.
  const before = await propose(40);
  await t.api(t.tokens.op1, 'POST', `/v1/actions/${before}/approve`, { reason: 'ok' });
  await settled(before);
  outside.push(before);
  t.advance(HOUR);
  windowFrom = now();
  // The night: an approval, a refusal, a level change, a stop and its rearm.
  const approved = await propose(45);
  const refused = await propose(46);
  await t.api(t.tokens.op1, 'POST', `/v1/actions/${approved}/approve`, { reason: 'night shift' });
  await settled(approved);
  await t.api(t.tokens.op2, 'POST', `/v1/actions/${refused}/reject`, { reason: 'too hot' });
  // The console's rollback of the approved write: a proposal of its own, decided by policy.
  const rollback = await proposeRollback(
    t.gw.services.deps,
    { id: 'op2', role: 'operator' },
    approved,
  );
  inWindow.push(approved, refused, rollback.action.id);
  rollbackOf = { id: rollback.action.id, of: approved };
  await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
    level: 'L2',
    reason: 'overnight',
  });
  await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'alarm at 03:10' });
  await t.api(t.tokens.op1, 'POST', '/v1/estop/rearm', { reason: 'false alarm' });
  t.advance(HOUR);
  windowTo = now();
  t.advance(1);
  // The morning after: outside the window.
  outside.push(await propose(55));
  await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
    level: 'L3',
    reason: 'day shift',
  });
  report = await handoffReport(t.gw.services.deps.db, { from: windowFrom, to: windowTo });
});
afterAll(() => t.close());

it('lists every action of the window with its outcome and approver, and none outside it', () => {
  const ids = report.actions.map((a) => a.id);
  expect(new Set(ids)).toEqual(new Set(inWindow));
  for (const id of outside) expect(JSON.stringify(report)).not.toContain(id);
  const [approved, refused] = inWindow.map((id) => report.actions.find((a) => a.id === id)!);
  expect(approved).toMatchObject({
    status: 'COMPLETED',
    approved_by: ['op1'],
    proposed_in_window: true,
  });
  expect(refused).toMatchObject({ status: 'REJECTED' });
  expect(report.rollbacks).toEqual([
    expect.objectContaining({ action_id: rollbackOf.id, of_action: rollbackOf.of }),
  ]);
  expect(report.approvals.map((a) => [a.by, a.verdict])).toEqual([
    ['op1', 'approved'],
    ['op2', 'rejected'],
  ]);
});

it('lists the level changes and the stop with its recovery, and only the window’s', () => {
  expect(report.level_changes.map((l) => [l.from, l.to, l.by])).toEqual([['L3', 'L2', 'admin']]);
  // The rearm caps the level again (to L2 here: no change), and records nothing else.
  expect(report.emergency_stops).toHaveLength(1);
  expect(report.emergency_stops[0]).toMatchObject({
    by: 'op1',
    reason: 'alarm at 03:10',
    rearmed_by: 'op1',
  });
  expect(report.incidents.map((i) => [i.kind, i.recovered_by])).toEqual([
    ['emergency_stop', 'op1'],
  ]);
  // The stop names no target, and the only unattended window names one.
  expect(report.incidents[0]!.unattended).toBe(false);
});

it('marks every audit record about the unattended target, and only those', async () => {
  const lines = await recordsInWindow(
    t.gw.services.deps.db,
    { fromIso: new Date(windowFrom).toISOString(), toIso: new Date(windowTo).toISOString() },
    0,
    10_000,
  );
  const about = (l: (typeof lines)[number]) =>
    l.actionId !== null || l.payload.target === 'roaster-1';
  const aboutTarget = lines.filter(about);
  // Approvals, transitions and outcomes name no target themselves: the action's is used.
  expect(aboutTarget.some((l) => l.type === 'approval.granted')).toBe(true);
  expect(aboutTarget.length).toBeGreaterThan(8);
  for (const l of aboutTarget) expect([l.type, l.payload.unattended]).toEqual([l.type, true]);
  for (const l of lines.filter((l) => !about(l)))
    expect([l.type, l.payload.unattended]).toEqual([l.type, undefined]);
  expect(report.actions.every((a) => a.unattended)).toBe(true);
});

it('interlock report prints the same window from the database', () => {
  const out = execFileSync(
    process.execPath,
    [
      path.resolve('bin/interlock.js'),
      'report',
      '--db',
      t.config.database.url,
      '--from',
      new Date(windowFrom).toISOString(),
      '--to',
      new Date(windowTo).toISOString(),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  const cli = JSON.parse(out) as HandoffReport;
  expect(cli.actions.map((a) => a.id).sort()).toEqual([...inWindow].sort());
  expect(cli.level_changes).toEqual(report.level_changes);
});

it('folds breaker trips, failures and rollbacks with their recovery', () => {
  const b = new HandoffBuilder({ from: 'a', to: 'b' });
  const line = (
    seq: number,
    type: string,
    payload: Record<string, unknown>,
    actionId: string | null = null,
    actor = 'system',
  ) => b.add({ seq, ts: `2026-12-02T03:0${seq}:00.000Z`, type, actor, actionId, payload });
  line(1, 'breaker.tripped', {
    event_id: 'e1',
    rule: 'error_rate',
    target: 'r',
    severity: 'critical',
  });
  line(2, 'action.proposed', { kind: 'k', target: 'r' }, 'x1', 'agent');
  line(3, 'action.executing', { from: 'APPROVED', to: 'EXECUTING' }, 'x1');
  line(4, 'action.failed', { reason: 'driver timeout' }, 'x1');
  line(
    5,
    'action.proposed',
    { kind: 'roaster.rollback', target: 'r', rollback_of: 'x0' },
    'x2',
    'op1',
  );
  // A proposer's own key that looks like the rollback path's is not a rollback.
  line(
    7,
    'action.proposed',
    { kind: 'k', target: 'r', idempotency_key: 'rollback-x1-29412' },
    'x3',
    'agent',
  );
  line(6, 'breaker.resolved', { event_id: 'e1', rule: 'error_rate', target: 'r' }, null, 'op1');
  const r = b.build();
  expect(r.breaker_trips).toEqual([
    {
      at: '2026-12-02T03:01:00.000Z',
      rule: 'error_rate',
      target: 'r',
      severity: 'critical',
      resolved_at: '2026-12-02T03:06:00.000Z',
    },
  ]);
  expect(r.incidents.map((i) => [i.kind, i.recovered_by])).toEqual([
    ['breaker', 'op1'],
    ['execution_failed', null],
  ]);
  expect(r.rollbacks).toEqual([
    { action_id: 'x2', of_action: 'x0', target: 'r', status: 'PROPOSED' },
  ]);
  expect(r.by_status).toEqual({ FAILED: 1, PROPOSED: 2 });
});

it('shows the recovery of what began before the window, and labels an earlier action', () => {
  const b = new HandoffBuilder({ from: 'a', to: 'b' });
  b.describe('old', 'radio.commit_playlist', 'radio-1');
  const at = (m: number) => `2026-12-02T03:0${m}:00.000Z`;
  b.add({
    seq: 1,
    ts: at(1),
    type: 'action.failed',
    actor: 'system',
    actionId: 'old',
    // Marked when written, in the unattended window (audit/append.ts).
    payload: { reason: 'x', unattended: true },
  });
  b.add({ seq: 2, ts: at(2), type: 'estop.rearmed', actor: 'op1', actionId: null, payload: {} });
  b.add({
    seq: 3,
    ts: at(3),
    type: 'breaker.resolved',
    actor: 'op2',
    actionId: null,
    payload: { event_id: 'e0', rule: 'r', target: 'radio-1' },
  });
  const r = b.build();
  expect(r.actions).toMatchObject([
    {
      id: 'old',
      kind: 'radio.commit_playlist',
      target: 'radio-1',
      status: 'FAILED',
      proposed_in_window: false,
    },
  ]);
  expect(r.incidents.map((i) => [i.kind, i.at, i.recovered_by, i.unattended])).toEqual([
    ['execution_failed', at(1), null, true],
    ['emergency_stop', null, 'op1', false],
    ['breaker', null, 'op2', false],
  ]);
  expect(r.emergency_stops).toMatchObject([{ at: null, rearmed_at: at(2), rearmed_by: 'op1' }]);
});
