/**
 * The conformance run can fail. Each mutation below breaks the real code the way a plausible
 * bug would; the scripted conformance run (test/spec-conformance.test.ts) is then run against
 * a copy of the project with the bug in it, and must fail, naming what the spec forbids.
 * Before the scripted run existed, all three passed every conformance test.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';

interface Mutation {
  name: string;
  file: string;
  from: string;
  to: string;
  /** What the trace check must say about the mutated code. */
  caughtAs: RegExp;
}

const MUTATIONS: Mutation[] = [
  {
    name: 'the executor ignores a re-check that denies',
    file: 'gateway/executor/executor.ts',
    from: "if (recheck.decision.effect === 'deny') blockReason = recheck.decision.reasons.join('; ');",
    to: "if (recheck.decision.effect === 'deny') void 0;",
    caughtAs: /starts although its time-of-use re-check denied it/,
  },
  {
    name: 'one vote suffices, whatever the quorum',
    file: 'gateway/lifecycle/verdicts.ts',
    from: "if (from === 'PENDING_VETO' || count >= required) {",
    to: "if (from === 'PENDING_VETO' || count >= 1) {",
    caughtAs: /approved with 1 of 2 approvals/,
  },
  {
    name: 'a proposer may approve their own action (tried by an operator who proposed)',
    file: 'gateway/schema/permissions.ts',
    from: 'if (own)\n        return {',
    to: 'if (own)\n        void {',
    caughtAs: /op1 approved their own action/,
  },
];

// The files a run needs; node_modules and the toolchain are shared through links.
const COPIED = [
  'bin',
  'console',
  'deploy',
  'drivers',
  'examples',
  'gateway',
  'governance',
  'invariants',
  'policies',
  'schemas',
  'specs',
  'test',
  'package.json',
  'tsconfig.json',
  'vitest.config.ts',
];
const LINKED = ['node_modules', '.tools'];

const work = mkdtempSync(path.join(tmpdir(), 'interlock-mutation-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function mutatedCopy(m: Mutation, i: number): string {
  const dir = path.join(work, String(i));
  for (const entry of COPIED)
    cpSync(path.join(projectRoot, entry), path.join(dir, entry), { recursive: true });
  for (const entry of LINKED) symlinkSync(path.join(projectRoot, entry), path.join(dir, entry));
  const file = path.join(dir, m.file);
  const source = readFileSync(file, 'utf8');
  // A mutation that no longer applies would pass silently: the code moved, so must the test.
  expect(source.split(m.from).length - 1, `${m.file} holds the line to mutate exactly once`).toBe(
    1,
  );
  writeFileSync(file, source.replace(m.from, m.to));
  return dir;
}

describe('conformance catches code that breaks the spec', () => {
  it.each(MUTATIONS.map((m, i) => [m.name, m, i] as const))(
    '%s',
    async (_, m, i) => {
      const dir = mutatedCopy(m, i);
      const run = await execa(
        path.join(dir, 'node_modules', '.bin', 'vitest'),
        ['run', 'test/spec-conformance.test.ts', '-t', 'scripted run'],
        {
          cwd: dir,
          reject: false,
          all: true,
          env: { INTERLOCK_TEST_DB: '', CI: process.env.CI ?? '' },
          timeout: 180_000,
        },
      );
      expect(run.exitCode, run.all?.slice(-3000)).not.toBe(0);
      expect(run.all).toMatch(m.caughtAs);
    },
    240_000,
  );
});
