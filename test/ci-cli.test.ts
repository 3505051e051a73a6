/**
 * `interlock ci`, run as a CI job runs it: exit 0 on the shipped tree with both reports
 * written; exit 1 naming the failing test when a policy change breaks a baseline deny; and
 * `--evidence` signs a bundle that carries the run's results.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEvidence } from '../gateway/evidence/verify.ts';
import { projectRoot } from '../gateway/paths.ts';
import { regalBinary } from '../gateway/policy/regal-lint.ts';
import { loadTrustedKey } from '../gateway/signing/keys.ts';

const bin = path.join(projectRoot, 'bin', 'interlock.js');
const interlock = (args: string[]) =>
  execa('node', [bin, ...args], { reject: false, cwd: projectRoot });

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'interlock-ci-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('interlock ci', () => {
  it('passes on the shipped tree, prints one summary and writes both reports; --evidence signs the results', async () => {
    const out = path.join(work, 'ok');
    const key = path.join(work, 'keys', 'ci.key');
    writeFileSync(
      path.join(work, 'interlock.yaml'),
      `database:\n  url: sqlite:${path.join(work, 'ci.db')}\naudit:\n  signing: { type: key, key: ${key} }\n`,
    );
    const evidence = path.join(work, 'evidence.json');
    const r = await interlock([
      'ci',
      '--out',
      out,
      '--runs',
      '30',
      '--evidence',
      evidence,
      '--config',
      path.join(work, 'interlock.yaml'),
    ]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const name of [
      'opa check',
      'opa fmt',
      'regal lint',
      'opa test',
      'invariants check',
      'invariants test',
      'specs (TLC)',
    ])
      expect(r.stdout).toContain(`pass  ${name}: `);
    expect(r.stdout).toContain('interlock ci: all checks passed');
    const report = JSON.parse(readFileSync(path.join(out, 'ci-report.json'), 'utf8')) as {
      ok: boolean;
      steps: { name: string; ok: boolean }[];
    };
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.name)).toEqual([
      'opa check',
      'opa fmt',
      'regal lint',
      'opa test',
      'invariants check',
      'invariants test',
      'specs (TLC)',
    ]);
    expect(readFileSync(path.join(out, 'ci-report.md'), 'utf8')).toMatch(
      /^## Interlock CI: passed\n\n\| check \| result \| summary \| time \|/,
    );

    const verified = await verifyEvidence(
      readFileSync(evidence, 'utf8'),
      { keys: [loadTrustedKey(path.join(work, 'keys', 'ci.pub.pem'))] },
      projectRoot,
    );
    const results = verified.statement.predicate.results;
    expect(results.policy_tests.status).toBe('passed');
    expect(results.invariant_tests.status).toBe('passed');
    expect(results.model_checks).toMatchObject({
      status: 'passed',
      summary: expect.stringMatching(/^5 of 5 specs hold; 5 of 5 mutants caught/),
    });
  }, 180_000);

  it('fails, naming the failing test, when a policy change breaks a baseline deny', async () => {
    const tree = path.join(work, 'tree');
    cpSync(path.join(projectRoot, 'policies'), path.join(tree, 'policies'), { recursive: true });
    cpSync(path.join(projectRoot, 'invariants'), path.join(tree, 'invariants'), {
      recursive: true,
    });
    const file = path.join(tree, 'policies', 'interlock', 'baseline', 'baseline.rego');
    const rego = readFileSync(file, 'utf8');
    // The change: rm -r is no longer denied as long as it is forced.
    const broken = rego.replace(
      '\trm_recursive(options, shorts)\n',
      '\trm_recursive(options, shorts)\n\tnot rm_force(options, shorts)\n',
    );
    expect(broken).not.toBe(rego);
    writeFileSync(file, broken);
    // And a file Regal flags: a package outside the folder it names.
    mkdirSync(path.join(tree, 'policies', 'site'));
    writeFileSync(
      path.join(tree, 'policies', 'site', 'hours.rego'),
      'package interlock.hours\n\nimport rego.v1\n\nopen_at(9)\n',
    );
    const out = path.join(work, 'broken');
    const r = await interlock([
      'ci',
      '--policies',
      path.join(tree, 'policies'),
      '--invariants',
      path.join(tree, 'invariants'),
      '--out',
      out,
      '--runs',
      '20',
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}opa test: \d+ passed, [1-9]\d* failed/);
    expect(r.stdout).toMatch(
      /data\.interlock\.baseline_test\.test_denied_patterns \(interlock\/baseline\/baseline_test\.rego:\d+\)/,
    );
    if (existsSync(regalBinary())) {
      expect(r.stdout).toMatch(/FAIL {2}regal lint: 1 violation\(s\) in \d+ Rego files/);
      expect(r.stdout).toContain('site/hours.rego:1:9: directory-package-mismatch');
      expect(r.stdout).toContain('interlock ci: 2 of 7 checks FAILED');
    } else {
      expect(r.stdout).toMatch(/pass {2}regal lint: skipped/);
      expect(r.stdout).toContain('interlock ci: 1 of 7 checks FAILED');
    }
    expect(readFileSync(path.join(out, 'ci-report.md'), 'utf8')).toContain('### opa test');
  }, 180_000);
});
