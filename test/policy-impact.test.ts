// `interlock policy impact` against a real gateway's recorded decisions: the same policy
// changes nothing; a candidate with one rule loosened and one tightened reports exactly the
// decisions those rules settled, each once, with its direction; loosening fails the gate.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';
import type { ImpactReport } from '../gateway/impact/replay.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const bin = path.join(projectRoot, 'bin', 'interlock.js');
const impact = (args: string[]) =>
  execa('node', [bin, 'policy', 'impact', ...args], { reject: false, cwd: projectRoot });

type Reported = ImpactReport & { gate: { ok: boolean; problems: string[] } };

let t: TestGateway;
let work: string;
let dbUrl: string;
const same = () => path.join(work, 'same', 'policies');
const changed = () => path.join(work, 'changed', 'policies');

async function copyTree(to: string): Promise<void> {
  await cp(path.join(projectRoot, 'policies'), path.join(to, 'policies'), { recursive: true });
  await cp(path.join(projectRoot, 'invariants'), path.join(to, 'invariants'), { recursive: true });
}

/** Counts of what the gateway recorded, by kind. */
const recorded: Record<string, number> = {};

beforeAll(async () => {
  t = await startTestGateway({
    targets: [
      {
        id: 'roaster-1',
        driver: 'sim-roaster',
        level: 'L3+',
        options: { mode: 'RUNNING' },
      },
    ],
  });
  dbUrl = t.config.database.url;
  const agent = t.tokens.agent!;
  const act = (kind: string, params: Record<string, unknown>) => ({
    kind,
    target: 'roaster-1',
    params,
  });
  // Held for approval at L3+ (set_drum is whitelisted from L4): proposals, never executed.
  for (const rpm of [40, 45, 50]) {
    const r = await t.api(agent, 'POST', '/v1/actions', act('roaster.set_drum', { rpm }));
    expect(r.status).toBe(201);
  }
  // Automatic at L3+: dry runs, so no execution adds rechecks to the window.
  for (const value of [4, 5, 5, 4]) {
    const r = await t.api(agent, 'POST', '/v1/decisions', act('roaster.set_fan', { value }));
    expect(r.status).toBe(200);
  }
  // Unchanged by the candidate: an automatic kind and a held one.
  for (const value of [50, 55]) {
    const r = await t.api(agent, 'POST', '/v1/decisions', act('roaster.set_power', { value }));
    expect(r.status).toBe(200);
  }
  const r = await t.api(
    agent,
    'POST',
    '/v1/decisions',
    act('roaster.preheat', { target_temp: 200 }),
  );
  expect(r.status).toBe(200);
  Object.assign(recorded, { set_drum: 3, set_fan: 4, unchanged: 3 });

  work = await mkdtemp(path.join(tmpdir(), 'interlock-impact-'));
  await copyTree(path.join(work, 'same'));
  await copyTree(path.join(work, 'changed'));
  // The candidate: set_drum moves down to L3+ (looser), set_fan leaves L3+ (tighter).
  const file = path.join(changed(), 'autonomy.yaml');
  const text = await readFile(file, 'utf8');
  const edited = text
    .replace('      - roaster.set_fan\n', '      - roaster.set_drum\n')
    .replace('L4: [roaster.set_drum, roaster.set_airflow]', 'L4: [roaster.set_airflow]');
  expect(edited).not.toBe(text);
  await writeFile(file, edited);
});

afterAll(async () => {
  await t?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('interlock policy impact', () => {
  it('replays every recorded decision through the same policy and finds no change', async () => {
    const r = await impact(['--db', dbUrl, '--policies', same(), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Reported;
    const total = recorded.set_drum! + recorded.set_fan! + recorded.unchanged!;
    expect(report.decisions).toBe(total);
    expect(report.replayed).toBe(total);
    expect(report.unchanged).toBe(total);
    expect(report.totals).toEqual({ loosened: 0, tightened: 0, changed: 0 });
    expect(report.mismatched.count).toBe(0);
    expect(report.gate.ok).toBe(true);
  });

  it('reports each changed decision once, with its direction, and fails on the loosening', async () => {
    const r = await impact(['--db', dbUrl, '--policies', changed(), '--json', '--examples', '50']);
    expect(r.exitCode, r.stdout).toBe(1);
    const report = JSON.parse(r.stdout) as Reported;
    expect(report.totals).toEqual({
      loosened: recorded.set_drum,
      tightened: recorded.set_fan,
      changed: 0,
    });
    expect(report.unchanged).toBe(recorded.unchanged);
    expect(report.byKind).toEqual({
      'roaster.set_drum': { loosened: 3, tightened: 0, changed: 0 },
      'roaster.set_fan': { loosened: 0, tightened: 4, changed: 0 },
    });
    expect(report.byTransition).toEqual({
      'require_approval(1) → allow': 3,
      'allow → require_approval(1)': 4,
    });
    const all = [...report.examples.loosened, ...report.examples.tightened];
    expect(new Set(all.map((c) => c.decisionId)).size).toBe(7);
    expect(report.examples.loosened.every((c) => c.kind === 'roaster.set_drum')).toBe(true);
    expect(report.examples.loosened.map((c) => c.purpose)).toEqual([
      'proposal',
      'proposal',
      'proposal',
    ]);
    expect(report.examples.tightened.every((c) => c.purpose === 'dry_run')).toBe(true);
    // The example carries the input the engine saw.
    expect(report.examples.loosened[0]!.input.envelope).toMatchObject({
      kind: 'roaster.set_drum',
      params: { rpm: 40 },
    });
    expect(report.examples.loosened[0]!.input.context.level).toBe('L3+');
    expect(report.gate.problems.join(' ')).toMatch(/3 recorded decision\(s\) would be looser/);
  });

  it('passes a reviewed loosening with --allow-loosening, and writes Markdown', async () => {
    const r = await impact(['--db', dbUrl, '--policies', changed(), '--allow-loosening']);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toContain('## Policy impact: passed');
    expect(r.stdout).toContain('| require_approval(1) → allow | 3 |');
    expect(r.stdout).toContain('| roaster.set_drum | 3 | 0 | 0 |');
  });

  it('with a baseline, compares the candidate with the policy it replaces, not with older decisions', async () => {
    // The candidate is already in force (the baseline): the recorded decisions were made under
    // the shipped tree, but this change itself changes nothing.
    const r = await impact([
      '--db',
      dbUrl,
      '--policies',
      changed(),
      '--baseline',
      changed(),
      '--json',
    ]);
    expect(r.exitCode, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as Reported;
    expect(report.totals).toEqual({ loosened: 0, tightened: 0, changed: 0 });
    expect(report.drift).toBe(7);
    expect(report.baseline?.digest).toBe(report.candidate.digest);
    // A candidate that changes how inputs were built (a level alias) cannot be judged by replay.
    const aliased = path.join(work, 'aliased');
    await copyTree(aliased);
    const file = path.join(aliased, 'policies', 'autonomy.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('semi_auto: L3', 'semi_auto: L5'));
    const caveat = await impact([
      '--db',
      dbUrl,
      '--policies',
      path.join(aliased, 'policies'),
      '--baseline',
      same(),
      '--json',
    ]);
    expect(caveat.exitCode).toBe(1);
    const c = JSON.parse(caveat.stdout) as Reported;
    expect(c.totals.loosened).toBe(0);
    expect(c.caveats.join(' ')).toContain('autonomy levels');
    expect(c.gate.problems.join(' ')).toContain('autonomy levels');
  });

  it('replays only the window asked for', async () => {
    const all = JSON.parse(
      (await impact(['--db', dbUrl, '--policies', changed(), '--json'])).stdout,
    ) as Reported;
    // From the first set_fan dry run on: the held set_drum proposals are outside.
    const from = all.examples.tightened[0]!.seq;
    const r = await impact(['--db', dbUrl, '--policies', changed(), '--json', '--from', `${from}`]);
    expect(r.exitCode, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as Reported;
    expect(report.totals).toEqual({ loosened: 0, tightened: 4, changed: 0 });
    expect(report.window.firstSeq).toBe(from);
    const none = await impact(['--db', dbUrl, '--policies', changed(), '--json', '--from', '1d']);
    expect((JSON.parse(none.stdout) as Reported).decisions).toBe(10);
    // An empty window checked nothing: it fails unless the caller says that is expected.
    const future = await impact(['--db', dbUrl, '--policies', same(), '--from', '2999-01-01']);
    expect(future.stdout).toContain('0 recorded decision(s)');
    expect(future.exitCode).toBe(1);
    const allowed = await impact([
      '--db',
      dbUrl,
      '--policies',
      same(),
      '--from',
      '2999-01-01',
      '--allow-empty',
    ]);
    expect(allowed.exitCode).toBe(0);
    expect(
      (await impact(['--db', dbUrl, '--policies', same(), '--from', '+010000-01-01T00:00:00Z']))
        .exitCode,
    ).toBe(2);
  });

  it('refuses a bad window bound naming the flag, and a database that does not exist (exit 2)', async () => {
    const r = await impact(['--db', dbUrl, '--policies', same(), '--from', 'last tuesday']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--from takes an audit sequence number');
    // A mistyped database path is not an empty log that passes.
    const missing = path.join(work, 'no-such.db');
    const none = await impact(['--db', `sqlite:${missing}`, '--policies', same()]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`no audit database at ${missing}`);
  });

  it('is a step of interlock ci with --impact-db: in the summary, ci-report.json and ci-report.md', async () => {
    const out = path.join(work, 'ci-out');
    const specs = path.join(work, 'no-specs');
    await mkdir(specs, { recursive: true });
    const ci = (extra: string[]) =>
      execa(
        'node',
        [
          bin,
          'ci',
          '--policies',
          changed(),
          '--invariants',
          path.join(work, 'changed', 'invariants'),
          '--specs',
          specs,
          '--runs',
          '5',
          '--out',
          out,
          '--impact-db',
          dbUrl,
          ...extra,
        ],
        { reject: false, cwd: projectRoot },
      );
    const refused = await ci([]);
    // Other steps fail too (no specs here; the policy's own tests expect set_fan at L3+).
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(
      /FAIL {2}policy impact: 10 of 10 recorded decisions replayed: 3 looser, 4 tighter, 0 other/,
    );
    const json = JSON.parse(await readFile(path.join(out, 'ci-report.json'), 'utf8')) as {
      steps: { name: string; ok: boolean }[];
      impact: ImpactReport;
    };
    expect(json.steps.find((s) => s.name === 'policy impact')?.ok).toBe(false);
    expect(json.impact.totals).toEqual({ loosened: 3, tightened: 4, changed: 0 });
    const md = await readFile(path.join(out, 'ci-report.md'), 'utf8');
    expect(md).toContain('| policy impact | **FAIL** |');
    expect(md).toContain('## Policy impact: FAILED');
    const reviewed = await ci(['--allow-loosening']);
    expect(reviewed.stdout).toMatch(/pass {2}policy impact: .* \(loosening allowed\)/);
    const bad = await ci(['--impact-from', 'yesterday-ish']);
    expect(bad.exitCode).toBe(2);
  });

  it('POST /v1/policies/impact replays the running tree with the changed files, admin only, audited', async () => {
    const autonomy = await readFile(path.join(changed(), 'autonomy.yaml'), 'utf8');
    const admin = t.tokens.admin!;
    const r = await t.api<Reported>(admin, 'POST', '/v1/policies/impact', {
      policies: { 'autonomy.yaml': autonomy },
      examples: 2,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.decisions).toBe(10);
    expect(r.body.totals).toEqual({ loosened: 3, tightened: 4, changed: 0 });
    expect(r.body.examples.tightened).toHaveLength(2);
    expect(r.body.gate.ok).toBe(false);
    // Nothing was loaded: the running bundle still decides set_drum as before.
    const after = await t.api<{ effect: string }>(t.tokens.agent!, 'POST', '/v1/decisions', {
      kind: 'roaster.set_drum',
      target: 'roaster-1',
      params: { rpm: 40 },
    });
    expect(after.body.effect).toBe('require_approval');
    const audit = await t.api<{ records: { type: string; payload: Record<string, unknown> }[] }>(
      t.tokens.auditor!,
      'GET',
      '/v1/audit?type=policy.impact',
    );
    expect(audit.body.records.at(-1)?.payload).toMatchObject({
      files: {
        policies: { 'autonomy.yaml': createHash('sha256').update(autonomy).digest('hex') },
        invariants: {},
      },
      totals: { loosened: 3, tightened: 4, changed: 0 },
      truncated: false,
      gate: false,
    });

    expect((await t.api(t.tokens.op1!, 'POST', '/v1/policies/impact', {})).status).toBe(403);
    const outside = await t.api<{ error: { field: string } }>(
      admin,
      'POST',
      '/v1/policies/impact',
      {
        policies: { '../escape.rego': 'package x' },
      },
    );
    expect(outside.status).toBe(422);
    expect(outside.body.error.field).toBe('policies.../escape.rego');
    const collides = await t.api<{ error: { field: string } }>(
      admin,
      'POST',
      '/v1/policies/impact',
      { policies: { 'autonomy.yaml/x.yaml': 'a: 1' } },
    );
    expect(collides.status).toBe(422);
    expect(collides.body.error.field).toBe('policies.autonomy.yaml/x.yaml');
    const badWindow = await t.api<{ error: { field: string } }>(
      admin,
      'POST',
      '/v1/policies/impact',
      {
        from: 'soon',
      },
    );
    expect(badWindow.status).toBe(422);
    expect(badWindow.body.error.field).toBe('from');
    const broken = await t.api<{ ok: boolean; error: { locations: unknown[] } }>(
      admin,
      'POST',
      '/v1/policies/impact',
      { policies: { 'interlock/broken.rego': 'package interlock.broken\n\nallow if {' } },
    );
    expect(broken.status).toBe(422);
    expect(broken.body.ok).toBe(false);
    expect(broken.body.error.locations.length).toBeGreaterThan(0);
    const failed = await t.api<{ records: { payload: Record<string, unknown> }[] }>(
      t.tokens.auditor!,
      'GET',
      '/v1/audit?type=policy.impact',
    );
    expect(failed.body.records.at(-1)?.payload).toMatchObject({ outcome: 'candidate_failed' });
    // The failure leaves nothing behind: the next analysis runs.
    const again = await t.api<Reported>(admin, 'POST', '/v1/policies/impact', { limit: 4 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ decisions: 4, truncated: true });
    expect(again.body.totals).toEqual({ loosened: 0, tightened: 0, changed: 0 });
  });

  it('does not trust a kept input its signed audit record does not vouch for', async () => {
    // An attacker with write access to the decisions table (not the chained log) rewrites what
    // a held set_drum decision was made on so the candidate looks harmless.
    const replay = async () =>
      JSON.parse(
        (await impact(['--db', dbUrl, '--policies', changed(), '--json', '--allow-loosening']))
          .stdout,
      ) as Reported;
    const before = await replay();
    expect(before.mismatched.count).toBe(0);
    const db = t.gw.services.deps.db;
    const row = await db
      .selectFrom('decisions')
      .select(['id', 'input'])
      .where('effect', '=', 'require_approval')
      .executeTakeFirstOrThrow();
    const forged = row.input!.replace('"level":"L3+"', '"level":"L4"');
    expect(forged).not.toBe(row.input);
    await sql`UPDATE decisions SET input = ${forged} WHERE id = ${row.id}`.execute(db);
    const r = await impact(['--db', dbUrl, '--policies', changed(), '--json', '--allow-loosening']);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as Reported;
    expect(report.mismatched.count).toBe(1);
    // The forged decision is not replayed at all, so it cannot hide among the unchanged.
    expect(report.totals.loosened).toBe(before.totals.loosened - 1);
    expect(report.replayed).toBe(before.replayed - 1);
    expect(report.gate.problems.join(' ')).toMatch(/differ from the digest/);
    // Removing the input instead of rewriting it is tampering too, not a gap to skip.
    await sql`UPDATE decisions SET input = NULL WHERE id = ${row.id}`.execute(db);
    const emptied = await replay();
    expect(emptied.mismatched.count).toBe(1);
    expect(emptied.notReplayable.noInput).toBe(0);
    expect(emptied.gate.ok).toBe(false);
  });
});
