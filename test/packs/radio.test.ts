/**
 * The radio pack end to end, the document's cross-mode invariants through the real gateway:
 * authenticated mode transitions, provenance on every live write, per-subsystem rollback to a
 * versioned checkpoint, the restore of a checkpoint proposed as an operator would from a card, a
 * structured incident record on a guardrail violation, the global stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RadioSimDriver } from '../../drivers/radio-sim/driver.ts';
import { windowMetrics } from '../../gateway/governance/window.ts';
import { proposeRollback } from '../../gateway/lifecycle/rollback.ts';
import {
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from '../helpers/gateway.ts';

let t: TestGateway;
let station: RadioSimDriver;
/** The playlist write whose checkpoint the restore tests bring back. */
let restorable: { id: string; playlistBefore: unknown };
beforeAll(async () => {
  t = await startTestGateway({ targets: [{ id: 'station', driver: 'radio-sim', level: 'L2' }] });
  // The gateway's clock starts at the next midday (its zone is UTC), whatever the hour this runs
  // at: the overnight window's campaign rule (00:00–06:00) is not what these tests are about.
  const day = 86_400_000;
  const now = Date.now();
  const noon = Math.floor(now / day) * day + day / 2;
  t.advance((noon > now ? noon : noon + day) - now);
  station = t.gw.services.deps.targets.get('station')!.driver as RadioSimDriver;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const propose = (kind: string, params: Record<string, unknown>) =>
  t.api<ActionBody & { decision: { invariants: { id: string }[] } }>(
    t.tokens.agent,
    'POST',
    '/v1/actions',
    { target: 'station', kind, params },
  );
const approveAndRun = async (kind: string, params: Record<string, unknown>) => {
  const r = await propose(kind, params);
  expect(r.body.action.status, JSON.stringify(r.body.decision)).toBe('PENDING_APPROVAL');
  await t.api(t.tokens.op1, 'POST', `/v1/actions/${r.body.action.id}/approve`, {
    reason: 'producer checked',
  });
  await waitFor(
    async () =>
      (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${r.body.action.id}`)).body
        .action.status === 'COMPLETED'
        ? true
        : undefined,
    10_000,
    `${kind} to air`,
  );
  return r.body.action.id;
};

describe('radio cross-mode invariants', () => {
  it('mode transitions are authenticated and audited, by alias', async () => {
    expect(
      (
        await t.api(t.tokens.agent, 'PUT', '/v1/autonomy/station', {
          level: 'semi_auto',
          reason: 'agent wants more',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/station', {
          level: 'semi_auto',
          reason: 'morning show',
        })
      ).status,
    ).toBe(200);
    const audit = await t.api<{ records: { actor: string; payload: Record<string, unknown> }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=autonomy.changed&limit=10',
    );
    expect(audit.body.records.at(-1)).toMatchObject({
      actor: 'admin',
      payload: { target: 'station', from: 'L2', to: 'L3', alias: 'semi_auto' },
    });
  });

  it('every live write carries its provenance, traceable in the audit log', async () => {
    const ids = [
      await approveAndRun('radio.playlist.commit', {
        block: 'morning',
        tracks: 12,
        catalog: 'approved',
      }),
      await approveAndRun('radio.ad.insert', {
        block: 'morning',
        campaign: 'coffee',
        campaign_pool: 'daypart',
        catalog: 'approved',
      }),
      await approveAndRun('radio.script.publish', { script: 'intro', daypart: 'morning' }),
    ];
    expect(station.onAir.map((e) => e.actionId)).toEqual(ids);
    const audit = await t.api<{ records: { type: string; action_id: string | null }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=action.completed&limit=50',
    );
    for (const id of ids) expect(audit.body.records.some((r) => r.action_id === id)).toBe(true);
  });

  it('a rollback restores exactly one subsystem to its previous version', async () => {
    await approveAndRun('radio.playlist.commit', {
      block: 'morning',
      tracks: 20,
      catalog: 'approved',
    });
    const adsBefore = structuredClone(station.current('ads'));
    const scriptsBefore = structuredClone(station.current('scripts'));
    await approveAndRun('radio.rollback', { subsystem: 'playlist' });
    expect(station.current('playlist')).toMatchObject({ morning: { tracks: 12 } });
    expect(station.current('ads')).toEqual(adsBefore);
    expect(station.current('scripts')).toEqual(scriptsBefore);
  });

  it('a checkpoint restore is proposed by the person, needs two of them even at L5, and airs exactly the checkpoint', async () => {
    const playlistBefore = structuredClone(station.current('playlist'));
    const id = await approveAndRun('radio.playlist.commit', {
      block: 'evening',
      tracks: 30,
      catalog: 'approved',
    });
    restorable = { id, playlistBefore };
    await approveAndRun('radio.script.publish', { script: 'late', daypart: 'evening' });
    const scriptsAfter = structuredClone(station.current('scripts'));
    // The one-subsystem rollback above tripped the rollback-rate breaker, which holds the level
    // down: an administrator resolves it first.
    const open = await t.api<{ events: { id: string }[] }>(
      t.tokens.admin,
      'GET',
      '/v1/breakers/events?unresolved=true&target=station',
    );
    for (const e of open.body.events)
      await t.api(t.tokens.admin, 'POST', `/v1/breakers/events/${e.id}/resolve`, {
        reason: 'the rollback was a drill',
      });
    // Lights-out overnight is L5, where every other kind runs by itself.
    const night = await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/station', {
      level: 'lights_out_overnight',
      reason: 'night shift',
    });
    expect(night.status, JSON.stringify(night.body)).toBe(200);
    try {
      // What the console's "Propose rollback to this checkpoint" calls, as op1.
      const proposed = await proposeRollback(
        t.gw.services.deps,
        { id: 'op1', role: 'operator' },
        id,
      );
      const restore = (
        await t.api<ActionBody & { action: { kind: string; params: Record<string, unknown> } }>(
          t.tokens.auditor,
          'GET',
          `/v1/actions/${proposed.action.id}`,
        )
      ).body.action;
      expect(restore).toMatchObject({
        kind: 'radio.restore',
        proposer: 'op1',
        status: 'PENDING_APPROVAL',
        approvals: { required: 2 },
      });
      expect(restore.params).toMatchObject({
        checkpoint: expect.stringMatching(/^cp-/),
        content_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      for (const op of [t.tokens.op2, t.tokens.admin])
        expect(
          (
            await t.api(op, 'POST', `/v1/actions/${restore.id}/approve`, {
              reason: 'yesterday evening was right',
            })
          ).status,
        ).toBe(200);
      await waitFor(
        async () =>
          (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${restore.id}`)).body.action
            .status === 'COMPLETED'
            ? true
            : undefined,
        10_000,
        'the restore to air',
      );
      // The playlist is back to before the write; the later script (not in the checkpoint's
      // content) is taken back too, since the checkpoint is the whole station.
      expect(station.current('playlist')).toEqual(playlistBefore);
      expect(station.current('scripts')).not.toEqual(scriptsAfter);
      expect(station.onAir.at(-1)).toMatchObject({ actionId: restore.id });
      // An agent cannot author a restore of its own, even with the checkpoint's exact params.
      const byAgent = await propose('radio.restore', restore.params);
      expect(byAgent.body.decision).toMatchObject({
        effect: 'deny',
        rules: expect.arrayContaining(['baseline.constraint.proposer_roles']),
      });
      // The restore counts as a rollback for the rollback-rate breaker, as the rollback above did.
      expect((await windowMetrics(t.gw.services.deps.db, 'station', 0)).rollbacks).toBe(2);
    } finally {
      await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/station', {
        level: 'semi_auto',
        reason: 'day shift',
      });
    }
  });

  it('a guardrail violation is refused with a structured incident record', async () => {
    // Past the 15-minute ad spacing, so the catalog guardrail is the only one broken.
    t.advance(16 * 60_000);
    const r = await propose('radio.ad.insert', {
      block: 'morning',
      campaign: 'pirate',
      campaign_pool: 'daypart',
      catalog: 'bootleg',
    });
    expect(r.body.decision).toMatchObject({ effect: 'deny', stage: 'invariants' });
    const audit = await t.api<{
      records: {
        type: string;
        action_id: string | null;
        payload: {
          invariants: {
            id: string;
            severity: string;
            message: string;
            values: Record<string, unknown>;
          }[];
        };
      }[];
    }>(t.tokens.auditor, 'GET', '/v1/audit?type=decision.proposal&limit=50');
    const record = audit.body.records.find((x) => x.action_id === r.body.action.id)!;
    expect(record.payload.invariants).toEqual([
      {
        id: 'INV.RADIO.APPROVED_CATALOG',
        severity: 'critical',
        message: 'catalog bootleg is not approved for live use',
        values: { 'params.catalog': 'bootleg' },
      },
    ]);
  });

  it('the global stop puts the safe loop on air and holds every write until rearm', async () => {
    const pending = await propose('radio.playlist.commit', {
      block: 'noon',
      tracks: 8,
      catalog: 'approved',
    });
    await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'dead air risk' });
    expect((await station.readState()).mode).toBe('safe_loop');
    expect(
      (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${pending.body.action.id}`)).body
        .action.status,
    ).toBe('CANCELLED');
    const during = await propose('radio.script.publish', { script: 'outro', daypart: 'midday' });
    expect(during.body.decision.effect).toBe('deny');
    // A rollback passes the stop (it is estop-exempt; at L5 an agent's would run by itself) but
    // changes what airs later: the loop stays on air.
    const rollback = await propose('radio.rollback', { subsystem: 'all' });
    expect(rollback.body.action.status, JSON.stringify(rollback.body.decision)).toBe(
      'PENDING_APPROVAL',
    );
    await t.api(t.tokens.op1, 'POST', `/v1/actions/${rollback.body.action.id}/approve`, {
      reason: 'take the bad playlist back',
    });
    await waitFor(
      async () =>
        (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${rollback.body.action.id}`))
          .body.action.status === 'COMPLETED'
          ? true
          : undefined,
      10_000,
      'the rollback during the stop',
    );
    expect(station.mode).toBe('safe_loop');
    // No checkpoint goes back on air during the stop, nor after the rearm while the fallback
    // loop still plays: the restore is not estop-exempt and requires the station live.
    const operator = { id: 'op1', role: 'operator' } as const;
    const duringStop = await proposeRollback(t.gw.services.deps, operator, restorable.id);
    expect(duringStop.decision).toMatchObject({ effect: 'deny', stage: 'estop' });
    expect(
      (await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'back' })).status,
    ).toBe(200);
    // Past the minute in which a repeated rollback request returns the first proposal.
    t.advance(61_000);
    const afterRearm = await proposeRollback(t.gw.services.deps, operator, restorable.id);
    expect(afterRearm.decision).toMatchObject({
      effect: 'deny',
      rules: expect.arrayContaining(['baseline.constraint.require_state']),
    });
    expect(station.mode).toBe('safe_loop');

    // Leaving the loop is people's decision: an agent may not propose it; an operator's
    // proposal waits for two approvals, even at L5.
    const agentResume = await propose('radio.resume', {});
    expect(agentResume.body.decision).toMatchObject({
      effect: 'deny',
      rules: expect.arrayContaining(['baseline.constraint.proposer_roles']),
    });
    const resume = await t.api<ActionBody>(t.tokens.op1, 'POST', '/v1/actions', {
      target: 'station',
      kind: 'radio.resume',
      params: {},
    });
    expect(resume.body.action).toMatchObject({
      status: 'PENDING_APPROVAL',
      approvals: { required: 2 },
    });
    for (const op of [t.tokens.op2, t.tokens.admin])
      await t.api(op, 'POST', `/v1/actions/${resume.body.action.id}/approve`, {
        reason: 'checked the playlist',
      });
    await waitFor(async () => (station.mode === 'live' ? true : undefined), 10_000, 'live again');
  });
});
