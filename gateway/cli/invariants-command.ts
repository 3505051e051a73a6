/** `interlock invariants check|test|schema`. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compileInvariants } from '../invariants/compile.ts';
import { invariantJsonSchema } from '../invariants/dsl.ts';
import { readInvariantSources } from '../invariants/load.ts';
import { describeFailure, testInvariant, type InvariantResult } from '../invariants/property.ts';
import {
  defaultCacheDir,
  defaultInvariantsDir,
  defaultInvariantsRegoDir,
  defaultPolicyDir,
} from '../paths.ts';
import { compilePolicy } from '../policy/compile.ts';
import { mergePolicyData } from '../policy/load-data.ts';
import { readPolicySources } from '../policy/sources.ts';
import { loadEvaluator } from '../policy/wasm-policy.ts';
import { UsageError } from './args.ts';

export const invariantsUsage = `  interlock invariants check [--dir invariants] [--policies DIR]
      Parse, type-check against the catalog and compile with the policies; errors as file:line:col.
  interlock invariants test [--runs N] [--seed S] [--id ID …] [--json] [--dir …] [--policies …]
      Property-test every invariant through the real decision pipeline; exit 1 with the shrunk counterexample.
  interlock invariants rego [--out .cache/invariants-rego] [--dir …] [--policies …]
      Write the Rego the invariants compile to, for plain OPA tools:
      opa test policies/ .cache/invariants-rego/
  interlock invariants schema
      Print the JSON Schema of invariant files (for editors).`;

/** The invariants parsed, checked against the catalog and translated to Rego. */
async function translateAll(dir: string, policyDir: string) {
  const files = await readInvariantSources(dir);
  const data = mergePolicyData(await readPolicySources(policyDir));
  const compiled = await compileInvariants(
    files,
    data,
    path.relative(process.cwd(), dir) || path.basename(dir),
  );
  return { files, compiled };
}

/** translateAll, then the policy bundle built with them (to Wasm). */
async function compileAll(dir: string, policyDir: string) {
  const { files, compiled } = await translateAll(dir, policyDir);
  const bundle = await compilePolicy({
    policyDir,
    cacheDir: defaultCacheDir,
    extraSources: compiled.sources,
  });
  return { files, compiled, bundle };
}

export interface SuiteReport {
  ok: boolean;
  summary: string;
  bundle: string;
  results: InvariantResult[];
}

/**
 * Compiles the invariants with the policies and property-tests each one (also used by `evidence
 * build`).
 */
export async function runInvariantSuite(
  dir: string,
  policyDir: string,
  options: { runs: number; seed?: number; ids?: string[] },
): Promise<SuiteReport> {
  const { compiled, bundle } = await compileAll(dir, policyDir);
  const evaluator = await loadEvaluator(bundle);
  const chosen = compiled.loaded.filter((l) => !options.ids || options.ids.includes(l.inv.id));
  for (const id of options.ids ?? [])
    if (!chosen.some((l) => l.inv.id === id)) throw new UsageError(`no invariant ${id}`);
  const results = chosen.map((li) =>
    testInvariant(li, evaluator, evaluator.data, {
      runs: options.runs,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    }),
  );
  const failed = results.filter((r) => !r.ok).length;
  const summary = `${results.length - failed} of ${results.length} invariants hold over ${options.runs} random scenarios each (${results.reduce((n, r) => n + r.decisions, 0)} decisions)`;
  return { ok: failed === 0, summary, bundle: bundle.digest, results };
}

export async function runInvariantsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      policies: { type: 'string' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      id: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const dir = path.resolve(values.dir ?? defaultInvariantsDir);
  const policyDir = path.resolve(values.policies ?? defaultPolicyDir);
  switch (sub) {
    case 'check': {
      const { files, compiled, bundle } = await compileAll(dir, policyDir);
      console.log(
        `${compiled.loaded.length} invariants in ${files.length} files compile with the policies; bundle ${bundle.digest.slice(0, 16)}…`,
      );
      return 0;
    }
    case 'test': {
      const runs = Number(values.runs ?? 200);
      if (!Number.isInteger(runs) || runs < 1)
        throw new UsageError('--runs takes a positive integer');
      const seed = values.seed !== undefined ? Number(values.seed) : undefined;
      if (seed !== undefined && !Number.isInteger(seed))
        throw new UsageError('--seed takes an integer');
      const report = await runInvariantSuite(dir, policyDir, {
        runs,
        ...(seed !== undefined ? { seed } : {}),
        ...(values.id ? { ids: values.id } : {}),
      });
      if (values.json) {
        console.log(JSON.stringify(report, null, 2));
      } else {
        for (const r of report.results)
          console.log(r.ok ? `ok   ${r.id} (${r.decisions} decisions)` : describeFailure(r));
        console.log(report.summary);
      }
      return report.ok ? 0 : 1;
    }
    case 'rego': {
      // The same Rego the gateway compiles into its bundle, so that `opa test policies/ OUT`
      // resolves data.interlock.invariants as `interlock policy test` does.
      // Writing the Rego needs no Wasm build; `check` compiles it with the policies.
      const { compiled } = await translateAll(dir, policyDir);
      const out = path.resolve(values.out ?? defaultInvariantsRegoDir);
      await mkdir(out, { recursive: true });
      await writeFile(path.join(out, 'invariants.rego'), compiled.rego);
      console.log(
        `${compiled.loaded.length} invariants written to ${path.relative(process.cwd(), out) || '.'}/invariants.rego`,
      );
      return 0;
    }
    case 'schema':
      console.log(JSON.stringify(invariantJsonSchema(), null, 2));
      return 0;
    default:
      throw new UsageError(`usage:\n${invariantsUsage}`);
  }
}
