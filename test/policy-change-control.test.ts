// The worked example of docs/policy-change-control.md, end to end: a gateway that loads only
// sealed policy has recorded a week of traffic; a pull request widens the L3+ whitelist; CI
// shows the decisions it would have changed and fails on the loosening (nothing is sealed); a
// reviewer accepts it with --allow-loosening, CI seals the tree; the gateway loads it.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';
import { generateSigningKey } from '../gateway/signing/keys.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { sealTree } from './helpers/seal.ts';

const bin = path.join(projectRoot, 'bin', 'interlock.js');

let work: string;
let t: TestGateway;
let ciKey: { privatePath: string; publicPath: string; hint: string };
const deployed = () => path.join(work, 'deployed');
const pr = () => path.join(work, 'pr');

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'interlock-change-'));
  for (const tree of [deployed(), pr()]) {
    await cp(path.join(projectRoot, 'policies'), path.join(tree, 'policies'), { recursive: true });
    await cp(path.join(projectRoot, 'invariants'), path.join(tree, 'invariants'), {
      recursive: true,
    });
  }
  ciKey = generateSigningKey(path.join(work, 'keys', 'ci.key'));
  await writeFile(
    path.join(deployed(), 'policies', 'policy.sigstore.json'),
    await sealTree(
      path.join(deployed(), 'policies'),
      path.join(deployed(), 'invariants'),
      ciKey.privatePath,
    ),
  );
  t = await startTestGateway({
    policyDir: path.join(deployed(), 'policies'),
    invariantsDir: path.join(deployed(), 'invariants'),
    policy: { requireSignature: { keys: [ciKey.publicPath] } },
    targets: [
      { id: 'roaster-1', driver: 'sim-roaster', level: 'L3+', options: { mode: 'RUNNING' } },
    ],
  });
  // Last week's traffic: drum changes held for an operator at L3+.
  for (const rpm of [40, 45, 50]) {
    const r = await t.api(t.tokens.agent, 'POST', '/v1/actions', {
      kind: 'roaster.set_drum',
      target: 'roaster-1',
      params: { rpm },
    });
    expect(r.status).toBe(201);
  }
  // The pull request: roaster.set_drum joins the L3+ whitelist (automatic from L4 today).
  const file = path.join(pr(), 'policies', 'autonomy.yaml');
  const text = await readFile(file, 'utf8');
  const edited = text
    .replace('      - roaster.set_fan\n', '      - roaster.set_fan\n      - roaster.set_drum\n')
    .replace('L4: [roaster.set_drum, roaster.set_airflow]', 'L4: [roaster.set_airflow]');
  expect(edited).not.toBe(text);
  await writeFile(file, edited);
  // …and updates the policy test that pinned the old behaviour.
  const testFile = path.join(pr(), 'policies', 'interlock', 'policy', 'policy_test.rego');
  const tests = await readFile(testFile, 'utf8');
  const updated = tests.replace(
    'effect("roaster.set_drum", {"rpm": 60}, "L3+") == "require_approval"',
    'effect("roaster.set_drum", {"rpm": 60}, "L3+") == "allow"',
  );
  expect(updated).not.toBe(tests);
  await writeFile(testFile, updated);
}, 120_000);

afterAll(async () => {
  await t?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const ci = (extra: string[]) =>
  execa(
    'node',
    [
      bin,
      'ci',
      '--policies',
      path.join(pr(), 'policies'),
      '--invariants',
      path.join(pr(), 'invariants'),
      '--runs',
      '5',
      '--out',
      path.join(work, 'ci-out'),
      '--impact-db',
      t.config.database.url,
      '--impact-baseline',
      path.join(deployed(), 'policies'),
      '--impact-from',
      '7d',
      '--sign-bundle',
      ciKey.privatePath,
      ...extra,
    ],
    { reject: false, cwd: projectRoot },
  );

describe('policy change control, the worked example', () => {
  it('CI fails on the loosening and seals nothing; with --allow-loosening it seals; the gateway loads it', async () => {
    const seal = path.join(pr(), 'policies', 'policy.sigstore.json');
    const refused = await ci([]);
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(
      /FAIL {2}policy impact: 3 of 3 recorded decisions replayed: 3 looser, 0 tighter, 0 other/,
    );
    expect(refused.stdout).toContain('the tree is not sealed (checks failed)');
    expect(existsSync(seal)).toBe(false);
    const md = await readFile(path.join(work, 'ci-out', 'ci-report.md'), 'utf8');
    expect(md).toContain('require_approval(1) → allow');

    const reviewed = await ci(['--allow-loosening']);
    expect(reviewed.exitCode, reviewed.stdout + reviewed.stderr).toBe(0);
    expect(reviewed.stdout).toMatch(/pass {2}policy impact: .* \(loosening allowed\)/);
    expect(reviewed.stdout).toContain(`by key:${ciKey.hint.slice(0, 16)}`);

    // Deploy: the reviewed tree and its seal replace the running one.
    await cp(path.join(pr(), 'policies'), path.join(deployed(), 'policies'), { recursive: true });
    const loaded = await t.api<{
      ok: boolean;
      seal: { signer: string; allowLoosening: boolean };
    }>(t.tokens.admin, 'POST', '/v1/policies/reload');
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    expect(loaded.body.seal).toMatchObject({
      signer: `key:${ciKey.hint}`,
      allowLoosening: true,
    });
    const d = await t.api<{ effect: string; policySigner: string }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_drum', target: 'roaster-1', params: { rpm: 45 } },
    );
    expect(d.body.effect).toBe('allow');
    expect(d.body.policySigner).toBe(`key:${ciKey.hint}`);
  }, 240_000);
});
