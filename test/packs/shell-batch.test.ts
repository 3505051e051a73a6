/**
 * The shell-batch pack end to end: the reference document's five test cases, adapted to the
 * gateway's API, with the real shell driver running real processes in a jailed workdir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../gateway/auth/tokens.ts';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.ts';

interface Member {
  id: string;
  status: string;
  outcome: { output_hash?: string } | null;
}
interface Batch {
  id: string;
  status: string;
  actions: Member[];
}

let t: TestGateway;
let work: string;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'interlock-shell-pack-'));
  writeFileSync(path.join(work, 'notes.txt'), 'batch notes\n');
  t = await startTestGateway({
    targets: [
      {
        id: 'workstation',
        driver: 'shell',
        level: 'L3',
        options: {
          allow: [
            '/usr/bin/which',
            '/usr/bin/ls',
            '/usr/bin/cat',
            '/usr/bin/sleep',
            '/usr/bin/echo',
          ],
          workdir: work,
          timeoutMs: 10_000,
        },
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});

const shell = (command: string) => ({
  kind: 'shell.exec',
  target: 'workstation',
  params: { command },
});
const batch = async (commands: string[], token = t.tokens.agent) =>
  t.api<Batch>(token, 'POST', '/v1/batches', {
    actions: commands.map(shell),
    rationale: 'pack test',
  });
const get = async (id: string) =>
  (await t.api<Batch>(t.tokens.agent, 'GET', `/v1/batches/${id}`)).body;
const settled = (id: string) =>
  waitFor(
    async () => {
      const b = await get(id);
      return b.actions.every(
        (a) =>
          !['PROPOSED', 'PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED', 'EXECUTING'].includes(
            a.status,
          ),
      )
        ? b
        : undefined;
    },
    15_000,
    `batch ${id} to settle`,
  );

describe('shell-batch reference test cases', () => {
  it('1. a safe batch runs sequentially, auto-approved with autonomy on, results audited', async () => {
    await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/workstation', {
      level: 'L3+',
      reason: 'semi-autonomy on',
    });
    const b = await batch(['which ls', 'ls', 'cat notes.txt']);
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    const done = await settled(b.body.id);
    expect(done.actions.map((a) => a.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const cat = await t.api<{
      action: { outcome: { state_after: unknown } };
      decision: { rules: string[] };
    }>(t.tokens.agent, 'GET', `/v1/actions/${done.actions[2]!.id}`);
    expect(cat.body.decision.rules).toContain('policy.whitelist.L3+');
  });

  it('2. mixed safe and denied: the denied member is named, the batch is blocked, nothing runs', async () => {
    const b = await batch(['ls', 'rm -rf ~/important', 'ls']);
    expect(b.status).toBe(201);
    expect(b.body.status).toBe('BLOCKED');
    expect(b.body.actions.map((a) => a.status)).toEqual(['CANCELLED', 'DENIED', 'CANCELLED']);
    const denied = await t.api<{ decision: { rules: string[] } }>(
      t.tokens.agent,
      'GET',
      `/v1/actions/${b.body.actions[1]!.id}`,
    );
    expect(denied.body.decision.rules).toContain('baseline.shell.rm_recursive_force');
    // The safe commands can go on their own.
    const alone = await batch(['ls']);
    expect((await settled(alone.body.id)).actions[0]!.status).toBe('COMPLETED');
  });

  it('3. approval by a named token: the audit shows who approved', async () => {
    await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/workstation', {
      level: 'L3',
      reason: 'approval needed',
    });
    const approver = (
      await createToken(t.gw.services.deps.db, 'test-token-123', 'operator', 'test')
    ).token;
    const b = await batch(['echo one', 'echo two', 'echo three']);
    expect(b.body.actions.map((a) => a.status)).toEqual([
      'PENDING_APPROVAL',
      'PENDING_APPROVAL',
      'PENDING_APPROVAL',
    ]);
    expect(
      (await t.api(approver, 'POST', `/v1/batches/${b.body.id}/approve`, { reason: 'reviewed' }))
        .status,
    ).toBe(200);
    const done = await settled(b.body.id);
    expect(done.actions.map((a) => a.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const audit = await t.api<{ records: { action_id: string; actor: string }[] }>(
      t.tokens.auditor,
      'GET',
      '/v1/audit?type=approval.granted&limit=50',
    );
    for (const a of done.actions)
      expect(audit.body.records.find((r) => r.action_id === a.id)?.actor).toBe('test-token-123');
  });

  it('4. the kill switch: cancelling a running batch kills the running entry and skips the rest', async () => {
    const b = await batch(['sleep 30', 'echo never', 'echo never again']);
    await t.api(t.tokens.op1, 'POST', `/v1/batches/${b.body.id}/approve`, { reason: 'go' });
    await waitFor(
      async () => ((await get(b.body.id)).actions[0]!.status === 'EXECUTING' ? true : undefined),
      10_000,
      'sleep to start',
    );
    const t0 = Date.now();
    const cancelled = await t.api<Batch>(t.tokens.op1, 'POST', `/v1/batches/${b.body.id}/cancel`, {
      reason: 'stop',
    });
    expect(cancelled.status).toBe(200);
    const done = await settled(b.body.id);
    expect(done.actions.map((a) => a.status)).toEqual(['ABORTED', 'CANCELLED', 'CANCELLED']);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a dry run says what would run, and why not when it would not', async () => {
    const plan = await t.api<{
      effect: string;
      plan: { argv: string[]; binary: string; cwd: string };
    }>(t.tokens.agent, 'POST', '/v1/decisions', shell('cat notes.txt'));
    expect(plan.body.plan).toEqual({
      argv: ['/usr/bin/cat', 'notes.txt'],
      binary: '/usr/bin/cat',
      cwd: expect.stringContaining('interlock-shell-pack-'),
      sandbox: 'bwrap',
    });
    const refused = await t.api<{ planError: string }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      shell('whoami'),
    );
    expect(refused.body.planError).toMatch(/whoami is not an absolute path/);
  });

  it('5. every executed entry has an audit record with its batch, its approver and a result hash', async () => {
    const audit = await t.api<{
      records: {
        type: string;
        action_id: string | null;
        payload: { batch_id?: string; outcome?: { output_hash?: string | null } };
      }[];
    }>(t.tokens.auditor, 'GET', '/v1/audit?limit=500');
    const completed = audit.body.records.filter((r) => r.type === 'action.completed');
    expect(completed.length).toBeGreaterThanOrEqual(7);
    for (const r of completed) {
      expect(r.payload.outcome?.output_hash).toMatch(/^[0-9a-f]{64}$/);
      const proposed = audit.body.records.find(
        (x) => x.type === 'action.proposed' && x.action_id === r.action_id,
      );
      expect(proposed?.payload.batch_id).toBeTruthy();
    }
  });
});
