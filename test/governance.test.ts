/**
 * Governance against a real gateway: a burst of failing executions trips the breakers before
 * the next execution, /metrics carries every metric in valid Prometheus text, the readiness
 * checklist scores from records and signed attestations, and an expansion proposal needs
 * every role and no unresolved breaker.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYamlText } from 'yaml';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';
import { evaluateBreakers } from '../gateway/governance/breakers.ts';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[];
}
const parseMetrics = (text: string): Family[] =>
  (parsePrometheusTextFormat as unknown as (t: string) => Family[])(text);

describe('circuit breakers', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      // Each write takes 150 ms, so all four proposals are queued before the first outcome.
      targets: [
        {
          id: 'roaster-1',
          driver: 'sim-roaster',
          level: 'L3',
          options: { mode: 'RUNNING', latencyMs: 150, faults: { rejectWrites: 3 } },
        },
      ],
      governance: { breakerIntervalMs: 3_600_000 },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const status = async (id: string) =>
    (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`)).body.action.status;

  it('a burst of failures trips the breakers; the level drops to L3 before the next action executes', async () => {
    expect(
      (
        await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
          level: 'L3+',
          reason: 'automatic power changes',
        })
      ).status,
    ).toBe(200);
    // Four automatic power changes, queued together: the controller refuses the first three.
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
        target: 'roaster-1',
        kind: 'roaster.set_power',
        params: { value: 40 },
      });
      expect(r.body.decision.effect, JSON.stringify(r.body.decision)).toBe('allow');
      ids.push(r.body.action.id);
    }
    await waitFor(
      async () =>
        (await status(ids[3]!)) !== 'APPROVED' && (await status(ids[3]!)) !== 'EXECUTING'
          ? true
          : undefined,
      10_000,
      'the fourth action to settle',
    );
    expect([await status(ids[0]!), await status(ids[1]!), await status(ids[2]!)]).toEqual([
      'FAILED',
      'FAILED',
      'FAILED',
    ]);
    // The fourth never reached the controller: the trip came first.
    expect(await status(ids[3]!)).toBe('BLOCKED');
    const level = await t.api<{ level: string }>(t.tokens.agent, 'GET', '/v1/autonomy/roaster-1');
    expect(level.body.level).toBe('L3');

    const events = await t.api<{
      events: { id: string; rule: string; action: string; kind: string | null }[];
    }>(t.tokens.admin, 'GET', '/v1/breakers/events?unresolved=true');
    expect(events.body.events.map((e) => e.rule).sort()).toEqual([
      'high_error_rate',
      'repeated_failures',
    ]);
    expect(events.body.events.find((e) => e.rule === 'repeated_failures')!.kind).toBe(
      'roaster.set_power',
    );

    const audit = await t.api<{
      records: {
        seq: number;
        type: string;
        action_id: string | null;
        actor: string;
        payload: Record<string, unknown>;
      }[];
    }>(t.tokens.auditor, 'GET', '/v1/audit?limit=500');
    const recs = audit.body.records;
    const trip = recs.find(
      (r) => r.type === 'breaker.tripped' && r.payload.rule === 'high_error_rate',
    )!;
    const lowered = recs.find(
      (r) => r.type === 'autonomy.changed' && r.actor === 'breaker:high_error_rate',
    )!;
    const blocked = recs.find((r) => r.type === 'action.blocked' && r.action_id === ids[3])!;
    expect(trip.seq).toBeLessThan(blocked.seq);
    expect(lowered.seq).toBeLessThan(blocked.seq);
    expect(lowered.payload).toMatchObject({ from: 'L3+', to: 'L3' });

    const metrics = await (await fetch(`${t.gw.url}/metrics`)).text();
    expect(metrics).toMatch(
      /interlock_breaker_events_total\{rule="high_error_rate",action="revert_to_l3",severity="critical",target="roaster-1"\} 1/,
    );
    expect(metrics).toMatch(/interlock_breaker_events_unresolved 2/);
    expect(metrics).toMatch(/interlock_executions_total\{status="FAILED"\} 3/);

    // A paused kind is refused at proposal too, naming the breaker.
    const paused = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
      target: 'roaster-1',
      kind: 'roaster.set_power',
      params: { value: 40 },
    });
    expect(paused.body.decision).toMatchObject({
      effect: 'deny',
      stage: 'breaker',
      rules: ['breaker.repeated_failures'],
    });
  }, 60_000);

  it('resolving does not raise the level; raising waits until every event is resolved', async () => {
    const events = (
      await t.api<{ events: { id: string; rule: string }[] }>(
        t.tokens.admin,
        'GET',
        '/v1/breakers/events?unresolved=true',
      )
    ).body.events;
    const first = events.find((e) => e.rule === 'high_error_rate')!;
    expect(
      (
        await t.api(t.tokens.op1, 'POST', `/v1/breakers/events/${first.id}/resolve`, {
          reason: 'x',
        })
      ).status,
    ).toBe(403);
    const resolved = await t.api<{ resolvedBy: string }>(
      t.tokens.admin,
      'POST',
      `/v1/breakers/events/${first.id}/resolve`,
      { reason: 'controller firmware fixed' },
    );
    expect(resolved.status).toBe(200);
    expect(
      (await t.api<{ level: string }>(t.tokens.agent, 'GET', '/v1/autonomy/roaster-1')).body.level,
    ).toBe('L3');
    const blockedRaise = await t.api<{ error: { code: string; message: string } }>(
      t.tokens.admin,
      'PUT',
      '/v1/autonomy/roaster-1',
      { level: 'L3+', reason: 'try again' },
    );
    expect(blockedRaise.status).toBe(409);
    expect(blockedRaise.body.error.message).toMatch(/repeated_failures/);
    const second = events.find((e) => e.rule === 'repeated_failures')!;
    await t.api(t.tokens.admin, 'POST', `/v1/breakers/events/${second.id}/resolve`, {
      reason: 'pause lifted after review',
    });
    expect(
      (
        await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
          level: 'L3+',
          reason: 'reviewed',
        })
      ).status,
    ).toBe(200);
    const audit = await t.api<{ records: { type: string }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=breaker.resolved&limit=10',
    );
    expect(audit.body.records).toHaveLength(2);
  }, 30_000);

  it('rules are admin-editable; a bad condition is a 422 naming the field', async () => {
    const bad = await t.api<{ error: { field: string } }>(
      t.tokens.admin,
      'PATCH',
      '/v1/breakers/rules/high_error_rate',
      { condition: 'error_rat > 0.1' },
    );
    expect(bad.status).toBe(422);
    expect(bad.body.error.field).toBe('condition');
    const ok = await t.api<{ condition: string; window: string }>(
      t.tokens.admin,
      'PATCH',
      '/v1/breakers/rules/high_error_rate',
      { condition: 'executions >= 10 and error_rate > 0.2', window: '10m' },
    );
    expect(ok.body).toMatchObject({
      condition: 'executions >= 10 and error_rate > 0.2',
      window: '10m',
    });
    expect(
      (await t.api(t.tokens.op1, 'PATCH', '/v1/breakers/rules/high_error_rate', { enabled: false }))
        .status,
    ).toBe(403);
  });

  it('/metrics is valid Prometheus text with every listed metric', async () => {
    const res = await fetch(`${t.gw.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseMetrics(await res.text());
    const names = new Set(families.map((f) => f.name));
    for (const n of [
      'interlock_decisions_total',
      'interlock_decision_duration_seconds',
      'interlock_pending_approvals',
      'interlock_approval_latency_seconds',
      'interlock_executions_total',
      'interlock_emergency_stops_total',
      'interlock_breaker_events_total',
      'interlock_breaker_events_unresolved',
      'interlock_autonomy_level',
      'interlock_audit_head_seq',
      'interlock_audit_signed_seq',
      'interlock_readiness_score',
      'interlock_error_rate',
    ])
      expect(names, n).toContain(n);
    const level = families.find((f) => f.name === 'interlock_autonomy_level')!;
    expect(level.metrics[0]!.labels).toMatchObject({ target: 'roaster-1', level: 'L3+' });
    const decisions = families.find((f) => f.name === 'interlock_decisions_total')!;
    expect(
      decisions.metrics.some(
        (m) => m.labels?.effect === 'deny' && m.labels.rule === 'breaker.repeated_failures',
      ),
    ).toBe(true);
  });
});

describe('readiness and expansion', () => {
  let t: TestGateway;
  let work: string;
  beforeAll(async () => {
    // A small checklist for the test: one computed and one attested item, no minimum days.
    work = mkdtempSync(path.join(tmpdir(), 'interlock-readiness-'));
    const file = path.join(work, 'readiness.yaml');
    writeFileSync(
      file,
      [
        'window: 1d',
        'attestation_valid_days: 30',
        'thresholds: { ready: 0.95, almost_ready: 0.9 }',
        'expansion: { required_roles: [admin, operator], min_days_at_level: 0 }',
        'checklist:',
        '  - { id: breakers_configured, category: technical, group: Infra, label: Breakers, points: 3, required: true, metric: { name: breakers_enabled, op: ">=", value: 3 } }',
        '  - { id: runbooks, category: process, group: Docs, label: Runbooks, points: 5, required: true, attest: { roles: [admin, operator] } }',
      ].join('\n'),
    );
    t = await startTestGateway({ governance: { breakerIntervalMs: 200, checklist: file } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('attestations are signed, role-checked and audited, and move the score', async () => {
    expect(
      (
        await t.api(t.tokens.agent, 'POST', '/v1/readiness/attestations', {
          target: 'roaster-1',
          item: 'runbooks',
          statement: 'done',
        })
      ).status,
    ).toBe(403);
    const wrong = await t.api<{ error: { field: string } }>(
      t.tokens.op1,
      'POST',
      '/v1/readiness/attestations',
      { target: 'roaster-1', item: 'breakers_configured', statement: 'x' },
    );
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.field).toBe('item');
    const before = await t.api<{ status: string; blockers: string[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/readiness?target=roaster-1',
    );
    expect(before.body).toMatchObject({ status: 'needs_work', blockers: ['runbooks'] });
    const a = await t.api<{ actor: string; bundle: { messageSignature: unknown } }>(
      t.tokens.op1,
      'POST',
      '/v1/readiness/attestations',
      { target: 'roaster-1', item: 'runbooks', statement: 'runbooks reviewed 2026-11-20' },
    );
    expect(a.status).toBe(201);
    expect(a.body.actor).toBe('op1');
    expect(a.body.bundle.messageSignature).toBeDefined();
    const after = await t.api<{ status: string; score: number; max: number }>(
      t.tokens.auditor,
      'GET',
      '/v1/readiness?target=roaster-1',
    );
    expect(after.body).toMatchObject({ status: 'ready', score: 8, max: 8 });
  });

  it('an expansion proposal needs every required role, and no unresolved breaker event', async () => {
    const cycle = await t.api<{
      decision: { propose: boolean; reasons: string[] };
      proposal: { id: string; from: string; to: string; requiredRoles: string[] };
    }>(t.tokens.admin, 'POST', '/v1/governance/run-cycle', { target: 'roaster-1' });
    expect(cycle.status).toBe(200);
    expect(cycle.body.decision, JSON.stringify(cycle.body.decision)).toMatchObject({
      propose: true,
      reasons: [],
    });
    expect(cycle.body.proposal).toMatchObject({
      from: 'L3',
      to: 'L3+',
      requiredRoles: ['admin', 'operator'],
    });
    const id = cycle.body.proposal.id;
    expect(
      (await t.api<{ reports: unknown[] }>(t.tokens.auditor, 'GET', '/v1/governance/reports')).body
        .reports,
    ).toHaveLength(1);

    const first = await t.api<{ status: string; approvals: unknown[] }>(
      t.tokens.admin,
      'POST',
      `/v1/governance/proposals/${id}/approve`,
    );
    expect(first.body).toMatchObject({
      status: 'pending',
      approvals: [{ actor: 'admin', role: 'admin' }],
    });
    // A single role cannot carry it: a second admin is refused.
    const sameRole = await t.api<{ error: { message: string } }>(
      t.tokens.admin2,
      'POST',
      `/v1/governance/proposals/${id}/approve`,
    );
    expect(sameRole.status).toBe(409);
    expect(sameRole.body.error.message).toMatch(
      /role admin has approved already; the proposal needs operator/,
    );

    // An incident trips a breaker (the emergency stop counts as critical) …
    await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'drill' });
    await waitFor(
      async () =>
        (
          await t.api<{ events: unknown[] }>(
            t.tokens.admin,
            'GET',
            '/v1/breakers/events?unresolved=true',
          )
        ).body.events.length > 0
          ? true
          : undefined,
      5_000,
      'the critical-incident breaker',
    );
    await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'drill over' });
    // … and while it is unresolved, the operator's approval is refused.
    const blocked = await t.api<{ error: { message: string } }>(
      t.tokens.op1,
      'POST',
      `/v1/governance/proposals/${id}/approve`,
    );
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.message).toMatch(/circuit breaker critical_incident is unresolved/);

    // Once the incident is out of the rule's window and the event resolved, the operator completes
    // it.
    t.advance(61_000);
    const events = (
      await t.api<{ events: { id: string }[] }>(
        t.tokens.admin,
        'GET',
        '/v1/breakers/events?unresolved=true',
      )
    ).body.events;
    for (const e of events)
      await t.api(t.tokens.admin, 'POST', `/v1/breakers/events/${e.id}/resolve`, {
        reason: 'drill reviewed',
      });
    const done = await t.api<{ status: string }>(
      t.tokens.op1,
      'POST',
      `/v1/governance/proposals/${id}/approve`,
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.status).toBe('approved');
    expect(
      (await t.api<{ level: string }>(t.tokens.agent, 'GET', '/v1/autonomy/roaster-1')).body.level,
    ).toBe('L3+');
    const audit = await t.api<{ records: { type: string; actor: string }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=governance.approved&limit=10',
    );
    expect(audit.body.records.map((r) => r.actor)).toEqual(['admin', 'op1']);
  }, 60_000);

  it('the shipped 80-point checklist scores a fresh target, naming its blockers', async () => {
    const g = await startTestGateway();
    try {
      const r = await g.api<{
        max: number;
        score: number;
        status: string;
        blockers: string[];
        items: { id: string; source: string }[];
      }>(g.tokens.auditor, 'GET', '/v1/readiness?target=roaster-1');
      expect(r.status).toBe(200);
      expect(r.body.max).toBe(80);
      expect(r.body.status).toBe('needs_work');
      expect(r.body.blockers).toContain('runbooks');
      expect(r.body.blockers).not.toContain('breakers_configured');
      expect(r.body.items.filter((i) => i.source === 'attestation').length).toBeGreaterThan(10);
    } finally {
      await g.close();
    }
  }, 60_000);
});

describe('deploy/', () => {
  it('the dashboard and the alert rules use only metrics the gateway exports', async () => {
    const t = await startTestGateway();
    try {
      const exported = new Set(
        parseMetrics(await (await fetch(`${t.gw.url}/metrics`)).text()).map((f) => f.name),
      );
      const used = new Set<string>();
      for (const file of [
        'deploy/grafana/interlock-dashboard.json',
        'deploy/prometheus/alerts.yml',
      ]) {
        for (const m of readFileSync(path.join(projectRoot, file), 'utf8').matchAll(
          /interlock_[a-z_]+/g,
        ))
          used.add(m[0].replace(/_(bucket|sum|count)$/, ''));
      }
      expect(used.size).toBeGreaterThan(8);
      for (const name of used) expect(exported, name).toContain(name);
      const alerts = parseYamlText(
        readFileSync(path.join(projectRoot, 'deploy/prometheus/alerts.yml'), 'utf8'),
      ) as { groups: { rules: { alert: string }[] }[] };
      expect(alerts.groups[0]!.rules.map((r) => r.alert)).toEqual([
        'ReadinessScoreDropped',
        'HighCommandErrorRate',
        'CircuitBreakerTriggered',
        'CriticalIncident',
      ]);
    } finally {
      await t.close();
    }
  }, 60_000);
});

describe('a resolved breaker stays resolved', () => {
  it('resolving sets a fence: the same incident, still inside the window, never trips the rule again; a new one does', async () => {
    const t = await startTestGateway({ governance: { breakerIntervalMs: 3_600_000 } });
    try {
      const deps = t.gw.services.deps;
      const trips = async () => (await evaluateBreakers(deps, 'roaster-1')).map((e) => e.rule);
      expect((await t.api(t.tokens.admin, 'POST', '/v1/estop', { reason: 'drill' })).status).toBe(
        200,
      );
      expect(
        (await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'drill over' })).status,
      ).toBe(200);
      expect(await trips()).toContain('critical_incident');
      const open = (
        await t.api<{
          events: { id: string; rule: string; windowClearsAt: string; createdAt: string }[];
        }>(t.tokens.admin, 'GET', '/v1/breakers/events?unresolved=true')
      ).body.events;
      const incident = open.find((e) => e.rule === 'critical_incident')!;
      // The API says when the incident leaves the rule's 1-minute window.
      expect(Date.parse(incident.windowClearsAt) - Date.parse(incident.createdAt)).toBe(60_000);
      t.advance(1_000);
      expect(
        (
          await t.api(t.tokens.admin, 'POST', `/v1/breakers/events/${incident.id}/resolve`, {
            reason: 'drill, not an incident',
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
            level: 'L3+',
            reason: 'back to normal',
          })
        ).status,
      ).toBe(200);
      // Five seconds later the stop is still inside the window: without the fence it tripped again.
      t.advance(5_000);
      expect(await trips()).not.toContain('critical_incident');
      expect(
        (await t.api<{ level: string }>(t.tokens.agent, 'GET', '/v1/autonomy/roaster-1')).body
          .level,
      ).toBe('L3+');
      // A new stop after the resolution is a new incident.
      t.advance(1_000);
      await t.api(t.tokens.admin, 'POST', '/v1/estop', { reason: 'real one' });
      await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'cleared' });
      expect(await trips()).toContain('critical_incident');
      // A stop while that event is open (the rule cannot trip twice) still counts once it is
      // resolved: the fence is the trip, not the resolution, so nothing unseen is silenced.
      const second = (
        await t.api<{ events: { id: string; rule: string }[] }>(
          t.tokens.admin,
          'GET',
          '/v1/breakers/events?unresolved=true',
        )
      ).body.events.find((e) => e.rule === 'critical_incident')!;
      t.advance(1_000);
      await t.api(t.tokens.admin, 'POST', '/v1/estop', {
        reason: 'another, while the event is open',
      });
      await t.api(t.tokens.admin, 'POST', '/v1/estop/rearm', { reason: 'cleared' });
      expect(await trips()).not.toContain('critical_incident');
      t.advance(1_000);
      expect(
        (
          await t.api(t.tokens.admin, 'POST', `/v1/breakers/events/${second.id}/resolve`, {
            reason: 'the first of the two',
          })
        ).status,
      ).toBe(200);
      expect(await trips()).toContain('critical_incident');
    } finally {
      await t.close();
    }
  }, 60_000);
});
