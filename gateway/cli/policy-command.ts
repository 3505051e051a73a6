/** `interlock policy build|test|eval`: compile, unit-test and query the policy tree. */
import { existsSync } from 'node:fs';
import { ILL_FORMED_MESSAGE, illFormedField } from '../schema/unicode.ts';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { decide } from '../decide/pipeline.ts';
import { withContextDefaults } from '../decide/defaults.ts';
import { ActorSchema } from '../schema/action.ts';
import { compilePolicy } from '../policy/compile.ts';
import { loadEvaluator } from '../policy/wasm-policy.ts';
import { runPolicyTests } from '../policy/test-runner.ts';
import { defaultCacheDir, defaultInvariantsDir, defaultPolicyDir } from '../paths.ts';
import { invariantSources } from '../invariants/compile.ts';
import { readInput, UsageError } from './args.ts';
import { examplesCount, logWindow, runImpact } from './impact-command.ts';
import { treeBeside } from '../impact/candidate.ts';
import { impactMarkdown } from '../impact/markdown.ts';

const EvalInputSchema = z.strictObject({
  action: z.unknown(),
  actor: z
    .union([
      z
        .string()
        .min(1)
        .transform((id) => ({ id, roles: [] as string[] })),
      ActorSchema,
    ])
    .default({ id: 'cli', roles: [] }),
  context: z.record(z.string(), z.unknown()).optional(),
});

export const policyUsage = `interlock policy build [--dir DIR]            compile to Wasm, print the bundle digest
interlock policy test [--dir DIR] [--threshold N] [--json]
                                              run opa test; fail under N % coverage (default 90)
interlock policy eval --input FILE|- [--dir DIR]
                                              print the decision for {action, actor, context?}
interlock policy impact --db URL --policies DIR [--invariants DIR] [--baseline DIR]
                        [--from SEQ|TIME] [--to SEQ|TIME] [--examples 10] [--json]
                        [--allow-loosening] [--allow-empty]
                                              replay the recorded decisions of the window through
                                              the candidate (and the baseline tree it replaces);
                                              exit 1 when any might be looser`;

/** runPolicyCommand runs one policy subcommand and returns the exit code. */
export async function runPolicyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      invariants: { type: 'string' },
      threshold: { type: 'string' },
      input: { type: 'string' },
      json: { type: 'boolean' },
      policies: { type: 'string' },
      db: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      examples: { type: 'string' },
      'allow-loosening': { type: 'boolean' },
      'allow-empty': { type: 'boolean' },
      baseline: { type: 'string' },
    },
    strict: true,
  });
  const candidateDir = values.policies ?? values.dir;
  const policyDir = path.resolve(candidateDir ?? defaultPolicyDir);
  const cacheDir = defaultCacheDir;
  // The invariants compile into the same bundle; a policy tree elsewhere brings its own (or none).
  const invariantsDir = path.resolve(
    values.invariants ??
      (candidateDir ? treeBeside(policyDir).invariantsDir : defaultInvariantsDir),
  );
  if (sub === 'impact') {
    if (!values.db) throw new UsageError('policy impact needs --db URL (the audit database)');
    if (!candidateDir) throw new UsageError('policy impact needs --policies DIR (the candidate)');
    const { report, gate } = await runImpact({
      dbUrl: values.db,
      policyDir,
      invariantsDir,
      window: logWindow(values.from, values.to, Date.now()),
      examples: examplesCount(values.examples),
      allowLoosening: values['allow-loosening'] ?? false,
      allowEmpty: values['allow-empty'] ?? false,
      ...(values.baseline ? { baseline: treeBeside(values.baseline) } : {}),
    });
    console.log(
      values.json ? JSON.stringify({ ...report, gate }, null, 2) : impactMarkdown(report, gate),
    );
    return gate.ok ? 0 : 1;
  }
  const extraSources = await invariantSources(invariantsDir, policyDir);

  switch (sub) {
    case 'build': {
      const b = await compilePolicy({ policyDir, cacheDir, extraSources });
      console.log(b.digest);
      console.error(
        `${b.fromCache ? 'unchanged (cached)' : 'compiled'}: ${b.sources.filter((s) => s.kind !== 'rego_test').length} sources`,
      );
      return 0;
    }
    case 'test': {
      const threshold = Number(values.threshold ?? 90);
      if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100)
        throw new UsageError('--threshold takes a percentage from 0 to 100');
      const r = await runPolicyTests({ policyDir, threshold, extraSources });
      if (values.json) {
        console.log(JSON.stringify(r, null, 2));
      } else {
        for (const c of r.cases)
          console.log(
            `${c.passed ? 'PASS' : 'FAIL'} ${c.package}.${c.name} (${c.file}:${c.line})${c.message ? `\n     ${c.message}` : ''}`,
          );
        for (const u of r.uncovered)
          console.log(`uncovered: ${u.file} lines ${u.lines.join(', ')}`);
        console.log(
          `policy tests: ${r.passed} passed, ${r.failed} failed; coverage ${r.coverage}% (threshold ${r.threshold}%)`,
        );
      }
      return r.ok ? 0 : 1;
    }
    case 'eval': {
      if (!values.input)
        throw new UsageError('policy eval needs --input FILE (or - for standard input)');
      let raw: unknown;
      try {
        raw = JSON.parse(await readInput(values.input));
      } catch (err) {
        throw new UsageError(`--input is not JSON: ${(err as Error).message}`);
      }
      const illFormed = illFormedField(raw);
      if (illFormed !== undefined)
        throw new UsageError(`input: ${illFormed.toWellFormed()}: ${ILL_FORMED_MESSAGE}`);
      const parsed = EvalInputSchema.safeParse(raw);
      if (!parsed.success)
        throw new UsageError(
          `input: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        );
      const evaluator = await loadEvaluator(
        await compilePolicy({ policyDir, cacheDir, extraSources }),
      );
      let context;
      try {
        context = withContextDefaults(
          parsed.data.context,
          Date.now(),
          evaluator.data.invariant_manifest,
        );
      } catch (err) {
        const issues =
          err instanceof z.ZodError
            ? err.issues.map((i) => `context.${i.path.join('.')}: ${i.message}`).join('; ')
            : String(err);
        throw new UsageError(`input: ${issues}`);
      }
      // No target driver here: a bare program name is taken as a system binary (the first of
      // the policy's system binary directories that has it on this machine, else the first).
      const resolveProgram = (name: string) =>
        systemBinary(name, evaluator.data.shell?.system_bin_dirs);
      const decision = decide(
        { envelope: parsed.data.action, actor: parsed.data.actor, context, resolveProgram },
        evaluator,
        () => performance.now(),
      );
      console.log(JSON.stringify(decision, null, 2));
      return 0;
    }
    default:
      throw new UsageError(`unknown policy command "${sub ?? ''}"\n${policyUsage}`);
  }
}

function systemBinary(name: string, dirs: unknown): string | undefined {
  if (!Array.isArray(dirs)) return undefined;
  for (const dir of dirs) {
    if (typeof dir !== 'string') continue;
    const file = `${dir.endsWith('/') ? dir : `${dir}/`}${name}`;
    if (existsSync(file)) return file;
  }
  const first = dirs.find((d): d is string => typeof d === 'string');
  return first ? `${first.endsWith('/') ? first : `${first}/`}${name}` : undefined;
}
