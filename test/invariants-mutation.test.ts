/**
 * The invariant property tests can fail. Each mutation below breaks the invariant compiler the
 * way a plausible bug would (each one failed open and passed every property test before the
 * generator learned to drop clocks and counts, send wrong types and hit window ends). Every
 * mutation must make at least one invariant's property test fail.
 *
 * The shipped invariants plus two written for this test: one with `not in`, one with a regex
 * whose first literal is made optional by a quantifier (`https?://`).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInvariants } from '../gateway/invariants/compile.ts';
import {
  readInvariantSources,
  type InvariantSource,
  type LoadedInvariant,
} from '../gateway/invariants/load.ts';
import { testInvariant } from '../gateway/invariants/property.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../gateway/paths.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { mergePolicyData } from '../gateway/policy/load-data.ts';
import { readPolicySources, type PolicySource } from '../gateway/policy/sources.ts';
import { loadEvaluator } from '../gateway/policy/wasm-policy.ts';

const RUNS = Number(process.env.MUTATION_RUNS ?? 150);

const EXTRA: InvariantSource = {
  path: 'mutation-probes.yaml',
  content: `invariants:
  - id: INV.PROBE.NOT_IN
    description: No bootleg catalog.
    severity: high
    scope: { kinds: [radio.playlist.commit] }
    assert:
      - expr: params.catalog not in ["bootleg", "pirate"]
        message: "catalog {{params.catalog}}"
  - id: INV.PROBE.NO_LINKS
    description: Scripts carry no links.
    severity: high
    scope: { kinds: [radio.script.publish] }
    assert:
      - expr: 'not matches(params.script, "https?://")'
        message: "a link in {{params.script}}"
`,
};

interface Mutation {
  name: string;
  /** Edits the generated invariants Rego. */
  generated?: (rego: string) => string;
  /** Edits the policy library (policies/interlock/lib/invariants/invariants.rego). */
  library?: (rego: string) => string;
}

const MUTATIONS: Mutation[] = [
  {
    name: 'an invariant is skipped when the clock is missing',
    generated: (r) => r.replaceAll('\t_ = L.minute\n', ''),
  },
  {
    name: 'a missing count reads as 0',
    generated: (r) =>
      r.replace(
        /input\.context\.history\.counts\[("[^"]+")\]/g,
        'object.get(input.context.history.counts, $1, 0)',
      ),
  },
  {
    name: 'the end of a time window is inclusive',
    library: (r) => r.replaceAll('\tminute < to\n', '\tminute <= to\n'),
  },
  {
    name: '`not in` compiles as always true',
    generated: (r) => r.replace(/^\tnot (.+) in \[.*\]$/gm, '\ttrue'),
  },
  {
    name: 'the type check is loosened',
    generated: (r) => r.replace(/^\ttype_name\(.*\) == type_name\(.*\)\n/gm, ''),
  },
  {
    name: 'the regex prefilter is unsound',
    generated: (r) => r.replaceAll('["http"]', '["https"]'),
  },
];

let files: InvariantSource[];
let loaded: LoadedInvariant[];
let generated: PolicySource[];
const dirs: string[] = [];

beforeAll(async () => {
  files = [...(await readInvariantSources(defaultInvariantsDir)), EXTRA];
  const data = mergePolicyData(await readPolicySources(defaultPolicyDir));
  ({ loaded, sources: generated } = await compileInvariants(files, data));
}, 120_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('every compiler mutation is caught by the invariant property tests', () => {
  it('the unmutated compiler passes them all (with the probes)', async () => {
    const evaluator = await loadEvaluator(
      await compilePolicy({
        policyDir: defaultPolicyDir,
        cacheDir: defaultCacheDir,
        extraSources: generated,
      }),
    );
    for (const li of loaded)
      expect(
        testInvariant(li, evaluator, evaluator.data, { runs: RUNS, seed: 11 }).ok,
        li.inv.id,
      ).toBe(true);
  }, 300_000);

  it.each(MUTATIONS)(
    '$name',
    async (m) => {
      let policyDir = defaultPolicyDir;
      if (m.library) {
        policyDir = mkdtempSync(path.join(tmpdir(), 'interlock-mutant-'));
        dirs.push(policyDir);
        cpSync(defaultPolicyDir, policyDir, { recursive: true });
        const lib = path.join(policyDir, 'interlock', 'lib', 'invariants', 'invariants.rego');
        const before = readFileSync(lib, 'utf8');
        writeFileSync(lib, m.library(before));
        expect(readFileSync(lib, 'utf8'), 'the mutation changed nothing').not.toBe(before);
      }
      const sources = generated.map((s) =>
        s.kind === 'rego' && m.generated ? { ...s, content: m.generated(s.content) } : s,
      );
      if (m.generated) expect(sources, 'the mutation changed nothing').not.toEqual(generated);
      const mutant = await loadEvaluator(
        await compilePolicy({ policyDir, cacheDir: defaultCacheDir, extraSources: sources }),
      );
      const caught = loaded
        .filter((li) => !testInvariant(li, mutant, mutant.data, { runs: RUNS, seed: 11 }).ok)
        .map((li) => li.inv.id);
      expect(caught, `no invariant's property test noticed: ${m.name}`).not.toEqual([]);
    },
    300_000,
  );
});
