// OPA's own tools, run on the policy tree as a compliance team runs them (no wrapper): they see
// the data where the gateway puts it, and `opa test` agrees with `interlock policy test`.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultPolicyDir, projectRoot } from '../gateway/paths.ts';
import { mergePolicyData } from '../gateway/policy/load-data.ts';
import { runOpa } from '../gateway/policy/opa-cli.ts';
import { readPolicySources } from '../gateway/policy/sources.ts';

const bin = path.join(projectRoot, 'bin', 'interlock.js');

const OpaTestResults = z.array(
  z.looseObject({
    package: z.string(),
    name: z.string(),
    fail: z.boolean().optional(),
    error: z.unknown().optional(),
    skip: z.boolean().optional(),
  }),
);

/** `package.name → passed` for one `opa test --format=json` run. */
async function plainOpaTest(roots: string[]): Promise<Map<string, boolean>> {
  const run = await runOpa(['test', '--format=json', ...roots]);
  const results = OpaTestResults.parse(JSON.parse(run.stdout || '[]'));
  return new Map(
    results
      .filter((r) => !r.skip)
      .map((r) => [`${r.package}.${r.name}`, !r.fail && r.error === undefined]),
  );
}

describe('plain opa on policies/', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'interlock-invariants-rego-'));
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('loads the YAML data at the paths the gateway merges it to, a subfolder as a nested key', async () => {
    // A copy with one data file in a subfolder: OPA nests it under the folder's name.
    const tree = path.join(out, 'tree');
    await cp(defaultPolicyDir, tree, { recursive: true });
    await mkdir(path.join(tree, 'site', 'hall'), { recursive: true });
    await writeFile(path.join(tree, 'site', 'hall', 'limits.yaml'), 'max_burners: 3\n');

    const merged = mergePolicyData(await readPolicySources(tree));
    const run = await runOpa(['eval', '--format=json', '-d', tree, 'data']);
    const value = z
      .object({
        result: z.array(z.object({ expressions: z.array(z.object({ value: z.unknown() })) })),
      })
      .parse(JSON.parse(run.stdout)).result[0]!.expressions[0]!.value;
    const seen = z.record(z.string(), z.unknown()).parse(value);
    expect(seen['site']).toEqual({ hall: { max_burners: 3 } });
    for (const [key, content] of Object.entries(merged)) expect(seen[key], key).toEqual(content);
    await rm(tree, { recursive: true, force: true });
  });

  it('opa test policies/ plus the written invariants gives the same results as interlock policy test', async () => {
    const written = await execa('node', [bin, 'invariants', 'rego', '--out', out], {
      cwd: projectRoot,
      reject: false,
    });
    expect(written.exitCode, written.stderr).toBe(0);

    const plain = await plainOpaTest([defaultPolicyDir, out]);
    const wrapped = await execa('node', [bin, 'policy', 'test', '--json'], {
      cwd: projectRoot,
      reject: false,
    });
    const cases = z
      .object({
        cases: z.array(z.object({ package: z.string(), name: z.string(), passed: z.boolean() })),
      })
      .parse(JSON.parse(wrapped.stdout)).cases;
    const viaWrapper = new Map(cases.map((c) => [`${c.package}.${c.name}`, c.passed]));

    expect(plain.size).toBeGreaterThan(40);
    expect([...plain.entries()].sort()).toEqual([...viaWrapper.entries()].sort());
    expect([...plain.values()].every(Boolean)).toBe(true);
  }, 120_000);

  it('without the invariants the tests that reach them fail, and only those', async () => {
    const plain = await plainOpaTest([defaultPolicyDir]);
    const failed = [...plain].filter(([, passed]) => !passed).map(([name]) => name);
    // The invariant slot is empty: a decision test that expects a violation sees none.
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(plain.size);
  }, 60_000);
});
