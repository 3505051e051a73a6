/**
 * The roaster plan's pilot at L3: 120 mixed proposals (valid, out of range, wrong state,
 * unknown kinds, ramp and rate-limit violations), operators approving, rejecting or ignoring
 * them. Its safety metrics, read back from the audit log: no command executed without
 * approval, and every executed command has its whole trace
 * proposal → decision → approval → execution → outcome.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyChain } from '../gateway/audit/verify-chain.ts';
import { startTestGateway, waitFor, type ActionBody, type TestGateway } from './helpers/gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
});

interface AuditRow {
  seq: number;
  type: string;
  action_id: string | null;
  actor: string;
  payload: Record<string, unknown>;
}

async function allAudit(): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  let cursor = 0;
  for (;;) {
    const page = await t.api<{ records: AuditRow[]; nextCursor: number | null }>(
      t.tokens.auditor,
      'GET',
      `/v1/audit?limit=500&cursor=${cursor}`,
    );
    rows.push(...page.body.records);
    if (page.body.nextCursor === null) return rows;
    cursor = page.body.nextCursor;
  }
}

/** A small deterministic generator, so a failing pilot can be replayed exactly. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

it('pilot: 0 commands executed without approval, 100% of executed commands fully traced', async () => {
  const rnd = lcg(20261123);
  const proposals: Record<string, unknown>[] = [];
  for (let i = 0; i < 120; i++) {
    const r = rnd();
    if (r < 0.2)
      proposals.push({ kind: 'roaster.set_power', params: { value: Math.round(rnd() * 100) } });
    else if (r < 0.35)
      proposals.push({ kind: 'roaster.set_fan', params: { value: 1 + Math.floor(rnd() * 10) } });
    else if (r < 0.5)
      proposals.push({ kind: 'roaster.set_drum', params: { rpm: Math.floor(rnd() * 91) } });
    else if (r < 0.6)
      proposals.push({ kind: 'roaster.set_airflow', params: { value: Math.round(rnd() * 100) } });
    else if (r < 0.67)
      proposals.push({ kind: 'roaster.cooling_cycle', params: { duration_s: 120 } });
    else if (r < 0.72) proposals.push({ kind: 'roaster.preheat', params: { target_temp: 220 } });
    else if (r < 0.8) proposals.push({ kind: 'roaster.set_power', params: { value: 150 } });
    else if (r < 0.85) proposals.push({ kind: 'roaster.vent_smoke', params: {} });
    else if (r < 0.9) proposals.push({ kind: 'roaster.set_fan', params: { value: 'high' } });
    else proposals.push({ kind: 'roaster.set_drum', params: { rpm: 30 + Math.floor(rnd() * 40) } });
  }
  const outcomes = {
    created: 0,
    invalid: 0,
    pending: 0,
    denied: 0,
    approved: 0,
    rejected: 0,
    ignored: 0,
  };
  for (const [i, p] of proposals.entries()) {
    const agent = i % 2 === 0 ? t.tokens.agent : t.tokens.agent2;
    const r = await t.api<ActionBody>(agent, 'POST', '/v1/actions', {
      target: 'roaster-1',
      rationale: `pilot step ${i}`,
      ...p,
    });
    if (r.status === 422) {
      outcomes.invalid++;
      continue;
    }
    expect(r.status).toBe(201);
    outcomes.created++;
    const { id, status } = r.body.action;
    if (status === 'DENIED') outcomes.denied++;
    if (status !== 'PENDING_APPROVAL') continue;
    outcomes.pending++;
    const choice = rnd();
    // A cooling cycle would end the roast for the rest of the pilot: operators turn those down.
    if (p.kind === 'roaster.cooling_cycle' || choice < 0.15) {
      expect(
        (await t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/reject`, { reason: 'not now' }))
          .status,
      ).toBe(200);
      outcomes.rejected++;
    } else if (choice < 0.85) {
      expect(
        (
          await t.api(
            i % 3 === 0 ? t.tokens.op2 : t.tokens.op1,
            'POST',
            `/v1/actions/${id}/approve`,
            { reason: 'ok' },
          )
        ).status,
      ).toBe(200);
      outcomes.approved++;
    } else {
      outcomes.ignored++;
    }
  }
  expect(outcomes.created + outcomes.invalid).toBe(120);
  expect(outcomes.invalid).toBeGreaterThan(0);
  expect(outcomes.denied).toBeGreaterThan(0);
  expect(outcomes.approved).toBeGreaterThan(5);

  await waitFor(
    async () => {
      const busy = await Promise.all(
        ['APPROVED', 'EXECUTING'].map((s) =>
          t.api<{ actions: unknown[] }>(t.tokens.agent, 'GET', `/v1/actions?status=${s}`),
        ),
      );
      return busy.every((b) => b.body.actions.length === 0);
    },
    20_000,
    'the executor to drain',
  );

  const audit = await allAudit();
  const byAction = new Map<string, AuditRow[]>();
  for (const row of audit)
    if (row.action_id) byAction.set(row.action_id, [...(byAction.get(row.action_id) ?? []), row]);
  const proposerOf = new Map<string, string>();
  for (const row of audit)
    if (row.type === 'action.proposed' && row.action_id) proposerOf.set(row.action_id, row.actor);

  let executed = 0;
  let withoutApproval = 0;
  let fullyTraced = 0;
  for (const [id, rows] of byAction) {
    const seqOf = (type: string) => rows.find((r) => r.type === type)?.seq;
    const started = seqOf('action.executing');
    if (started === undefined) continue;
    executed++;
    const approvedAt = seqOf('action.approved');
    const decision = rows.find((r) => r.type === 'decision.proposal');
    const approvals = rows.filter(
      (r) => r.type === 'approval.granted' && approvedAt !== undefined && r.seq < approvedAt,
    );
    const required = Number(
      (decision?.payload.approval as { count?: number } | undefined)?.count ?? 0,
    );
    const approvers = new Set(
      approvals.filter((a) => a.actor !== proposerOf.get(id)).map((a) => a.actor),
    );
    const humanApproved =
      approvedAt !== undefined && approvedAt < started && approvers.size >= Math.max(required, 1);
    if (!humanApproved) withoutApproval++;
    const outcome = rows.find((r) =>
      ['action.completed', 'action.failed', 'action.aborted'].includes(r.type),
    );
    const ordered = [
      seqOf('action.proposed'),
      decision?.seq,
      approvals[0]?.seq,
      approvedAt,
      started,
      outcome?.seq,
    ];
    if (
      ordered.every((s) => s !== undefined) &&
      ordered.every((s, i) => i === 0 || (s as number) > (ordered[i - 1] as number))
    )
      fullyTraced++;
  }
  expect(executed).toBeGreaterThan(5);
  expect(withoutApproval).toBe(0);
  expect(fullyTraced).toBe(executed);

  // The roaster's own command log agrees: it received only commands that were approved.
  const file = path.join(t.dir, 'roaster-1.jsonl');
  const received = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; event: string })
        .filter((e) => e.event === 'received')
    : [];
  expect(received.length).toBe(executed);
  for (const r of received)
    expect(byAction.get(r.id)?.some((x) => x.type === 'approval.granted')).toBe(true);
  expect((await verifyChain(t.gw.services.deps.db)).ok).toBe(true);
  console.log(
    `pilot: ${JSON.stringify(outcomes)}; executed ${executed}, without approval ${withoutApproval}, fully traced ${fullyTraced}/${executed}`,
  );
});
