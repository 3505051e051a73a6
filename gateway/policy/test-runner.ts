/**
 * Runs the policy tree's Rego unit tests with `opa test` and measures coverage of the policies (not
 * of the tests).
 */
import { z } from 'zod';
import { mergePolicyData } from './load-data.ts';
import { runOpa } from './opa-cli.ts';
import { readPolicySources } from './sources.ts';
import { stagePolicy } from './stage.ts';
import type { PolicySource } from './sources.ts';

export interface PolicyTestCase {
  name: string;
  package: string;
  file: string;
  line: number;
  passed: boolean;
  message?: string;
}

export interface PolicyTestReport {
  passed: number;
  failed: number;
  cases: PolicyTestCase[];
  /** Percent of policy (non-test) lines covered, 0–100. */
  coverage: number;
  uncovered: { file: string; lines: number[] }[];
  threshold: number;
  ok: boolean;
}

const ResultSchema = z.array(
  z.looseObject({
    location: z.looseObject({ file: z.string(), row: z.number() }),
    package: z.string(),
    name: z.string(),
    fail: z.boolean().optional(),
    error: z.unknown().optional(),
    skip: z.boolean().optional(),
  }),
);

const Range = z.looseObject({
  start: z.looseObject({ row: z.number() }),
  end: z.looseObject({ row: z.number() }),
});
const CoverageSchema = z.looseObject({
  files: z
    .record(
      z.string(),
      z.looseObject({ covered: z.array(Range).optional(), not_covered: z.array(Range).optional() }),
    )
    .default({}),
});

/**
 * runPolicyTests runs every *_test.rego under policyDir; ok needs all passing and coverage ≥
 * threshold.
 */
export async function runPolicyTests(options: {
  policyDir: string;
  threshold: number;
  extraSources?: PolicySource[];
}): Promise<PolicyTestReport> {
  const sources = [
    ...(await readPolicySources(options.policyDir)),
    ...(options.extraSources ?? []),
  ];
  const staged = await stagePolicy(sources, mergePolicyData(sources), { includeTests: true });
  try {
    const run = await runOpa(['test', '--format=json', staged.dir]);
    let parsed: z.infer<typeof ResultSchema>;
    try {
      parsed = ResultSchema.parse(JSON.parse(run.stdout || '[]'));
    } catch {
      throw new Error(`opa test failed:\n${staged.unstage(run.stderr || run.stdout)}`);
    }
    const cases = parsed
      .filter((r) => !r.skip)
      .map((r) => {
        const passed = !r.fail && r.error === undefined;
        const message =
          r.error !== undefined
            ? staged.unstage(JSON.stringify(r.error))
            : r.fail
              ? 'assertion failed'
              : undefined;
        return {
          name: r.name,
          package: r.package,
          file: staged.unstage(r.location.file),
          line: r.location.row,
          passed,
          ...(message ? { message } : {}),
        };
      });

    const cov = await runOpa(['test', '--coverage', '--format=json', staged.dir]);
    // With failing tests opa prints the failures instead of a coverage report: count it as 0.
    const files = parseCoverage(cov.stdout);
    let covered = 0;
    let total = 0;
    const uncovered: { file: string; lines: number[] }[] = [];
    for (const [file, f] of Object.entries(files)) {
      // Generated invariant Rego is covered by the invariants' property tests, not by Rego unit
      // tests.
      if (file.endsWith('_test.rego') || staged.unstage(file).startsWith('invariants.gen/'))
        continue;
      const lines = (rs: z.infer<typeof Range>[] | undefined): number[] =>
        (rs ?? []).flatMap((r) =>
          Array.from({ length: r.end.row - r.start.row + 1 }, (_, i) => r.start.row + i),
        );
      const c = lines(f.covered);
      const n = lines(f.not_covered);
      covered += c.length;
      total += c.length + n.length;
      if (n.length) uncovered.push({ file: staged.unstage(file), lines: n });
    }
    const coverage = total === 0 ? 0 : Math.round((covered / total) * 10000) / 100;
    const failed = cases.filter((c) => !c.passed).length;
    return {
      passed: cases.length - failed,
      failed,
      cases,
      coverage,
      uncovered,
      threshold: options.threshold,
      ok: failed === 0 && cases.length > 0 && coverage >= options.threshold,
    };
  } finally {
    await staged.remove();
  }
}

function parseCoverage(stdout: string): z.infer<typeof CoverageSchema>['files'] {
  try {
    return CoverageSchema.parse(JSON.parse(stdout)).files;
  } catch {
    return {};
  }
}
