/** `interlock specs check`: model-check the TLA+ specs with TLC. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../paths.ts';
import { formatTrace } from '../specs/output.ts';
import { checkSpec, listSpecs, type SpecResult } from '../specs/tlc.ts';
import { UsageError } from './args.ts';

export const specsUsage = `  interlock specs check [--spec NAME …] [--mutants] [--json] [--dir specs]
      Model-check every spec with TLC; print any counterexample trace; exit 1 on a violation,
      deadlock or parse error. --mutants also checks that each broken variant fails.`;

export function describeSpecResult(r: SpecResult): string {
  const stats = `${r.states ?? '?'} states, ${r.distinct ?? '?'} distinct, depth ${r.depth ?? '?'}, ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.config === 'mutant') {
    if (!r.expects)
      return `FAIL ${r.spec} (mutant): its configuration names no property it must violate (add a line "\\* Expect: Property")`;
    if (!r.violation)
      return `FAIL ${r.spec} (mutant): the broken variant passed TLC (${stats}); the model does not catch the bug it is meant to catch`;
    if (r.violation.property !== r.expects)
      return `FAIL ${r.spec} (mutant): TLC refutes it with ${r.violation.property}, not ${r.expects}: the mutant breaks something other than what it is meant to`;
    return `ok   ${r.spec} (mutant): TLC finds the bug: ${r.violation.kind} ${r.violation.property} violated after ${r.violation.trace.length} states`;
  }
  if (r.ok) return `ok   ${r.spec}: ${stats}`;
  if (r.violation)
    return `FAIL ${r.spec}: ${r.violation.kind} ${r.violation.property} violated (${r.violation.message})\n${formatTrace(r.violation.trace)}`;
  return `FAIL ${r.spec}: TLC exit ${r.exitCode}\n${r.errors.join('\n')}`;
}

/** Runs the specs (and their mutants); passes when every spec holds and every mutant fails. */
export async function runSpecs(
  dir: string,
  options: { names?: string[]; mutants: boolean },
): Promise<{ ok: boolean; results: SpecResult[]; summary: string }> {
  const all = await listSpecs(dir);
  const specs = all.filter((s) => !options.names || options.names.includes(s.name));
  for (const n of options.names ?? [])
    if (!all.some((s) => s.name === n)) throw new UsageError(`no spec ${n} in ${dir}`);
  const results: SpecResult[] = [];
  for (const s of specs) {
    results.push(await checkSpec(dir, s));
    if (options.mutants && s.mutantCfg) results.push(await checkSpec(dir, s, 'mutant'));
  }
  // A mutant counts as caught only by the property it names: another violation means the
  // mutant (or the spec) is not testing what it says.
  const caught = (r: SpecResult): boolean =>
    r.violation !== undefined && r.expects !== undefined && r.violation.property === r.expects;
  const good = (r: SpecResult): boolean => (r.config === 'mutant' ? caught(r) : r.ok);
  const failed = results.filter((r) => !good(r)).length;
  const specCount = results.filter((r) => r.config === 'spec').length;
  const mutantCount = results.length - specCount;
  const summary = `${specCount - results.filter((r) => r.config === 'spec' && !r.ok).length} of ${specCount} specs hold${mutantCount ? `; ${results.filter((r) => r.config === 'mutant' && caught(r)).length} of ${mutantCount} mutants caught by the property they name` : ''} (${results.reduce((n, r) => n + (r.distinct ?? 0), 0)} distinct states, ${(results.reduce((n, r) => n + r.durationMs, 0) / 1000).toFixed(1)} s)`;
  return { ok: failed === 0 && specs.length > 0, results, summary };
}

export async function runSpecsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') throw new UsageError(`usage:\n${specsUsage}`);
  const { values } = parseArgs({
    args: rest,
    options: {
      spec: { type: 'string', multiple: true },
      mutants: { type: 'boolean' },
      json: { type: 'boolean' },
      dir: { type: 'string' },
    },
    strict: true,
  });
  const dir = path.resolve(values.dir ?? path.join(projectRoot, 'specs'));
  const report = await runSpecs(dir, {
    ...(values.spec ? { names: values.spec } : {}),
    mutants: values.mutants ?? false,
  });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const r of report.results) console.log(describeSpecResult(r));
    console.log(report.summary);
  }
  return report.ok ? 0 : 1;
}
