/**
 * Crash recovery: kill -9 the gateway process while an action is EXECUTING, start it again,
 * and the action is reconciled with the roaster's own command log — never sent twice — and
 * the audit chain is intact.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { verifyChain } from '../gateway/audit/verify-chain.ts';
import { projectRoot } from '../gateway/paths.ts';
import { openDatabase } from '../gateway/store/db.ts';
import { waitFor } from './helpers/gateway.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-crash-'));
const children: ResultPromise[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const journalFile = path.join(dir, 'roaster-1.jsonl');
const configFile = path.join(dir, 'interlock.yaml');
writeFileSync(
  configFile,
  [
    'server: { port: 0 }',
    `database: { url: "sqlite:${path.join(dir, 'interlock.db')}" }`,
    'executor: { leaseMs: 1000, pollMs: 50 }',
    'targets:',
    '  - id: roaster-1',
    '    driver: sim-roaster',
    '    level: L3',
    // The roaster takes a minute to apply a command: long enough to kill the gateway mid-way.
    `    options: { mode: RUNNING, latencyMs: 60000, journalFile: "${journalFile}" }`,
  ].join('\n'),
);

async function startChild(): Promise<{ url: string; stdout: () => string; child: ResultPromise }> {
  const child = execa(
    'node',
    [path.join(projectRoot, 'bin/interlock.js'), 'serve', '--config', configFile],
    { cwd: dir, all: true, reject: false, env: { INTERLOCK_LOG_LEVEL: 'warn' } },
  );
  children.push(child);
  let out = '';
  child.all?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const url = await waitFor(
    async () => /listening on (http:\/\/\S+)/.exec(out)?.[1],
    60_000,
    `the gateway to listen (output so far: ${out})`,
  );
  return { url, stdout: () => out, child };
}

async function call<T>(
  url: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const journal = () =>
  readFileSync(journalFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; event: string });

it('reconciles an action left EXECUTING by a killed process, without re-sending it', async () => {
  const first = await startChild();
  const admin = /INTERLOCK_TOKEN=(\S+)/.exec(first.stdout())?.[1];
  expect(admin).toBeTruthy();
  const mk = async (name: string, role: string) =>
    (await call<{ token: string }>(first.url, admin!, 'POST', '/v1/tokens', { name, role })).body
      .token;
  const agent = await mk('agent', 'agent');
  const operator = await mk('op', 'operator');
  const auditor = await mk('auditor', 'auditor');

  const proposed = await call<{ action: { id: string; status: string } }>(
    first.url,
    agent,
    'POST',
    '/v1/actions',
    { kind: 'roaster.set_drum', target: 'roaster-1', params: { rpm: 70 } },
  );
  const id = proposed.body.action.id;
  expect(proposed.body.action.status).toBe('PENDING_APPROVAL');
  expect(
    (await call(first.url, operator, 'POST', `/v1/actions/${id}/approve`, { reason: 'go' })).status,
  ).toBe(200);
  await waitFor(
    async () =>
      (await call<{ action: { status: string } }>(first.url, agent, 'GET', `/v1/actions/${id}`))
        .body.action.status === 'EXECUTING',
    10_000,
    'EXECUTING',
  );
  await waitFor(
    async () => journal().some((e) => e.id === id && e.event === 'received'),
    5000,
    'the roaster to receive the command',
  );

  first.child.kill('SIGKILL');
  await first.child;

  const second = await startChild();
  expect(second.stdout()).not.toMatch(/INTERLOCK_TOKEN=/);
  const settled = await waitFor(
    async () => {
      const r = await call<{ action: { status: string; statusReason: string } }>(
        second.url,
        agent,
        'GET',
        `/v1/actions/${id}`,
      );
      return ['COMPLETED', 'FAILED', 'ABORTED'].includes(r.body.action.status)
        ? r.body.action
        : undefined;
    },
    20_000,
    'reconciliation',
  );
  expect(settled.status).toBe('ABORTED');
  expect(settled.statusReason).toMatch(/reconciled/);
  expect(journal().filter((e) => e.id === id && e.event === 'received')).toHaveLength(1);
  expect(journal().filter((e) => e.id === id && e.event === 'applied')).toHaveLength(0);

  const audit = await call<{ records: { type: string; payload: Record<string, unknown> }[] }>(
    second.url,
    auditor,
    'GET',
    `/v1/audit?action_id=${id}`,
  );
  expect(audit.body.records.map((r) => r.type)).toEqual([
    'action.proposed',
    'decision.proposal',
    'action.pending_approval',
    'approval.granted',
    'action.approved',
    'decision.recheck',
    'action.executing',
    'action.unknown',
    'action.aborted',
  ]);

  second.child.kill('SIGTERM');
  await second.child;
  const { db, close } = await openDatabase(`sqlite:${path.join(dir, 'interlock.db')}`);
  try {
    expect(await verifyChain(db)).toMatchObject({ ok: true });
  } finally {
    await close();
  }
});
