/**
 * The TLA+ runner against real TLC: every shipped spec holds, every mutant is refuted with a
 * counterexample naming the property, traces print state by state with changes marked, and a
 * spec that does not parse fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSpecResult, runSpecs } from '../gateway/cli/specs-command.ts';
import { projectRoot } from '../gateway/paths.ts';
import { checkSpec } from '../gateway/specs/tlc.ts';

const dir = path.join(projectRoot, 'specs');

describe('specs/ under TLC', () => {
  it('every spec holds and every mutant is caught, naming the property it breaks', async () => {
    const r = await runSpecs(dir, { mutants: true });
    expect(r.ok, r.results.map(describeSpecResult).join('\n')).toBe(true);
    const specs = r.results.filter((x) => x.config === 'spec');
    expect(specs.map((x) => x.spec)).toEqual([
      'ActionLifecycle',
      'Approvals',
      'CircuitBreaker',
      'EmergencyStop',
      'RateLimiter',
    ]);
    for (const s of specs) expect(s.distinct, s.spec).toBeGreaterThan(10);
    const broken = Object.fromEntries(
      r.results.filter((x) => x.config === 'mutant').map((x) => [x.spec, x.violation?.property]),
    );
    // Each is the property its configuration's `Expect:` line names.
    for (const m of r.results.filter((x) => x.config === 'mutant'))
      expect(m.violation?.property, m.spec).toBe(m.expects);
    expect(broken).toEqual({
      ActionLifecycle: 'AtMostOnce',
      Approvals: 'QuorumBeforeApproved',
      CircuitBreaker: 'RaiseNeedsApproval',
      EmergencyStop: 'RearmLowersLevels',
      RateLimiter: 'NeverOverLimit',
    });
    for (const m of r.results.filter((x) => x.config === 'mutant'))
      expect(m.violation!.trace.length).toBeGreaterThan(1);
  }, 180_000);

  it('prints a counterexample state by state, marking what each step changed', async () => {
    const r = await checkSpec(
      dir,
      { name: 'Approvals', cfg: 'Approvals.cfg', mutantCfg: 'Approvals.mutant.cfg' },
      'mutant',
    );
    const text = describeSpecResult({ ...r, config: 'spec' });
    expect(text).toMatch(/^FAIL Approvals: invariant QuorumBeforeApproved violated/);
    expect(text).toContain('1. Initial predicate');
    expect(text).toMatch(/2\. Approve\n/);
    expect(text).toMatch(/\* status = "APPROVED"/);
    expect(text).toMatch(/ {2}clock = 0/);
  }, 60_000);

  it('a mutant refuted by another property than the one it names, or naming none, fails the check', async () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'interlock-tla-'));
    try {
      for (const f of ['RateLimiter.tla', 'RateLimiter.cfg'])
        writeFileSync(path.join(copy, f), readFileSync(path.join(dir, f)));
      const mutant = readFileSync(path.join(dir, 'RateLimiter.mutant.cfg'), 'utf8');
      writeFileSync(
        path.join(copy, 'RateLimiter.mutant.cfg'),
        mutant.replace(/Expect: \w+/, 'Expect: TypeOK'),
      );
      const wrong = await runSpecs(copy, { mutants: true });
      expect(wrong.ok).toBe(false);
      expect(describeSpecResult(wrong.results[1]!)).toMatch(
        /refutes it with NeverOverLimit, not TypeOK/,
      );
      writeFileSync(
        path.join(copy, 'RateLimiter.mutant.cfg'),
        mutant.replace(/^\\\* Expect: \w+\n/m, ''),
      );
      const unnamed = await runSpecs(copy, { mutants: true });
      expect(unnamed.ok).toBe(false);
      expect(describeSpecResult(unnamed.results[1]!)).toMatch(/names no property/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  it('a spec that does not parse fails with TLC’s message', async () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'interlock-tla-'));
    try {
      writeFileSync(
        path.join(bad, 'Broken.tla'),
        "---- MODULE Broken ----\nVARIABLE x\nInit == x = \nNext == x' = x\n====\n",
      );
      writeFileSync(path.join(bad, 'Broken.cfg'), 'INIT Init\nNEXT Next\n');
      const r = await checkSpec(bad, { name: 'Broken', cfg: 'Broken.cfg' });
      expect(r.ok).toBe(false);
      expect(r.exitCode).not.toBe(0);
      expect(r.errors.join('\n')).toMatch(/Parsing or semantic analysis failed/);
      expect(r.errors.join('\n')).toMatch(/line 3/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  }, 60_000);
});
