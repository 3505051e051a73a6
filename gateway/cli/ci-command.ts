/**
 * `interlock ci`: the gate a CI job runs. opa check, opa test with the coverage threshold,
 * invariants check and property tests, TLA+ model checks (mutants included); one summary,
 * ci-report.json and ci-report.md, exit 0 only when everything passes. `--evidence FILE`
 * also signs an evidence bundle carrying these results.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';
import { buildEvidence } from '../evidence/build.ts';
import type { CheckResult } from '../evidence/statement.ts';
import { invariantSources } from '../invariants/compile.ts';
import { defaultCacheDir, projectRoot } from '../paths.ts';
import { compilePolicy, loadSources } from '../policy/compile.ts';
import { InterlockError } from '../schema/errors.ts';
import { SEAL_FILE } from '../schema/policy-seal.ts';
import { sealStatement, signSeal } from '../signing/policy-seal.ts';
import type { Signer } from '../signing/signer.ts';
import { mergePolicyData } from '../policy/load-data.ts';
import { runOpa } from '../policy/opa-cli.ts';
import { readPolicySources, sourcesDigest, type PolicySource } from '../policy/sources.ts';
import { stagePolicy } from '../policy/stage.ts';
import { unformattedRego } from '../policy/format-check.ts';
import { lintRego, regalConfigFor } from '../policy/regal-lint.ts';
import { runPolicyTests } from '../policy/test-runner.ts';
import { signerFromConfig } from '../signing/from-config.ts';
import { openDatabase } from '../store/db.ts';
import { UsageError } from './args.ts';
import { impactMarkdown } from '../impact/markdown.ts';
import type { ImpactReport } from '../impact/replay.ts';
import { examplesCount, logWindow, runImpact } from './impact-command.ts';
import { treeBeside } from '../impact/candidate.ts';
import { runInvariantSuite } from './invariants-command.ts';
import { describeSpecResult, runSpecs } from './specs-command.ts';

export const ciUsage = `  interlock ci [--policies DIR] [--invariants DIR] [--specs DIR] [--threshold 90] [--runs 100]
               [--out DIR] [--evidence FILE [--config F] [--db URL]]
               [--impact-db URL [--impact-baseline DIR] [--impact-from SEQ|TIME] [--impact-to SEQ|TIME]
                [--allow-loosening] [--allow-empty]]
               [--sign-bundle KEY|keyless [--seal-out FILE]]
      The CI gate: opa check, opa fmt, regal lint, opa test (coverage threshold), invariants check and test, TLA+
      specs (mutants must fail), and with --impact-db the policy impact on that database's recorded
      decisions (fails on any loosening unless --allow-loosening). Writes ci-report.json and
      ci-report.md; exit 0 only if all pass. With --sign-bundle, a passing run seals the tree: a
      Sigstore bundle over the policy bundle digest, every source's sha256 and the report's sha256,
      written to --seal-out (default: policy.sigstore.json in the policy directory), which a
      gateway with policy.requireSignature checks before it loads the tree.`;

export interface CiStep {
  name: string;
  ok: boolean;
  summary: string;
  /** What failed, one line each (test names, invariant ids, specs). */
  failures: string[];
  durationMs: number;
}

async function step(
  name: string,
  run: () => Promise<Omit<CiStep, 'name' | 'durationMs'>>,
): Promise<CiStep> {
  const t0 = performance.now();
  try {
    return { name, ...(await run()), durationMs: Math.round(performance.now() - t0) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      name,
      ok: false,
      summary: message.split('\n')[0]!,
      failures: message.split('\n').slice(0, 20),
      durationMs: Math.round(performance.now() - t0),
    };
  }
}

export function markdownReport(steps: readonly CiStep[], ok: boolean): string {
  const lines = [
    `## Interlock CI: ${ok ? 'passed' : 'FAILED'}`,
    '',
    '| check | result | summary | time |',
    '| --- | --- | --- | ---: |',
  ];
  for (const s of steps)
    lines.push(
      `| ${s.name} | ${s.ok ? 'pass' : '**FAIL**'} | ${s.summary.replace(/\|/g, '\\|')} | ${(s.durationMs / 1000).toFixed(1)} s |`,
    );
  for (const s of steps.filter((x) => !x.ok && x.failures.length)) {
    lines.push('', `### ${s.name}`, '', '```', ...s.failures, '```');
  }
  return `${lines.join('\n')}\n`;
}

const asResult = (s: CiStep | undefined, report?: unknown): CheckResult =>
  s
    ? {
        status: s.ok ? 'passed' : 'failed',
        summary: s.summary,
        report: report ?? { failures: s.failures },
      }
    : { status: 'not_run', reason: 'not part of this run' };

interface CiOptions {
  policyDir: string;
  /** The Regal configuration of the tree (its own, when the checks run on a snapshot). */
  regalConfig?: string;
  invariantsDir: string;
  specsDir: string;
  threshold: number;
  runs: number;
  out: string;
  evidence?: string;
  config?: string;
  db?: string;
  /** A private key file, or `keyless` (an OIDC token in $SIGSTORE_ID_TOKEN, public Sigstore). */
  signBundle?: string;
  sealOut?: string;
  impact?: {
    db: string;
    from?: string;
    to?: string;
    allowLoosening: boolean;
    allowEmpty: boolean;
    examples: number;
    /** The policy tree the candidate replaces (the main branch's). */
    baseline?: string;
  };
}

function parseCiArgs(argv: string[]): CiOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      policies: { type: 'string' },
      invariants: { type: 'string' },
      specs: { type: 'string' },
      threshold: { type: 'string' },
      runs: { type: 'string' },
      out: { type: 'string' },
      evidence: { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
      'impact-db': { type: 'string' },
      'impact-from': { type: 'string' },
      'impact-to': { type: 'string' },
      'impact-examples': { type: 'string' },
      'allow-loosening': { type: 'boolean' },
      'allow-empty': { type: 'boolean' },
      'impact-baseline': { type: 'string' },
      'sign-bundle': { type: 'string' },
      'seal-out': { type: 'string' },
    },
    strict: true,
  });
  const threshold = Number(values.threshold ?? 90);
  const runs = Number(values.runs ?? 100);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100)
    throw new UsageError('--threshold takes a percentage from 0 to 100');
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--runs takes a positive integer');
  const impactDb = values['impact-db'];
  const policyDir = path.resolve(values.policies ?? path.join(projectRoot, 'policies'));
  if (
    !impactDb &&
    (values['impact-from'] ||
      values['impact-to'] ||
      values['impact-baseline'] ||
      values['allow-loosening'] ||
      values['allow-empty'])
  )
    throw new UsageError(
      '--impact-from, --impact-to, --impact-baseline, --allow-loosening and --allow-empty go with --impact-db',
    );
  if (values['seal-out'] && !values['sign-bundle'])
    throw new UsageError('--seal-out goes with --sign-bundle');
  // Parsed now so a bad bound is a usage error before minutes of checks.
  if (impactDb) logWindow(values['impact-from'], values['impact-to'], Date.now());
  return {
    policyDir,
    invariantsDir: path.resolve(values.invariants ?? path.join(projectRoot, 'invariants')),
    specsDir: path.resolve(values.specs ?? path.join(projectRoot, 'specs')),
    threshold,
    runs,
    out: path.resolve(values.out ?? '.'),
    ...(values.evidence ? { evidence: values.evidence } : {}),
    ...(values.config ? { config: values.config } : {}),
    ...(values.db ? { db: values.db } : {}),
    ...(values['sign-bundle']
      ? {
          signBundle: values['sign-bundle'],
          sealOut: path.resolve(values['seal-out'] ?? path.join(policyDir, SEAL_FILE)),
        }
      : {}),
    ...(impactDb
      ? {
          impact: {
            db: impactDb,
            ...(values['impact-from'] ? { from: values['impact-from'] } : {}),
            ...(values['impact-to'] ? { to: values['impact-to'] } : {}),
            allowLoosening: values['allow-loosening'] ?? false,
            allowEmpty: values['allow-empty'] ?? false,
            examples: examplesCount(values['impact-examples']),
            ...(values['impact-baseline'] ? { baseline: values['impact-baseline'] } : {}),
          },
        }
      : {}),
  };
}

/** A step's outcome and the detailed report it adds to ci-report.json. */
interface Checked {
  step: CiStep;
  report?: unknown;
}

async function opaCheck(o: CiOptions, extra: PolicySource[]): Promise<Checked> {
  const done = await step('opa check', async () => {
    const sources = [...(await readPolicySources(o.policyDir)), ...extra];
    const staged = await stagePolicy(sources, mergePolicyData(sources), { includeTests: true });
    try {
      const r = await runOpa(['check', '--strict', staged.dir]);
      const out = staged.unstage(`${r.stderr}\n${r.stdout}`).trim();
      return {
        ok: r.exitCode === 0,
        summary:
          r.exitCode === 0
            ? `${sources.filter((s) => s.kind !== 'data' && s.kind !== 'invariant').length} Rego files check`
            : out.split('\n')[0]!,
        failures: r.exitCode === 0 ? [] : out.split('\n'),
      };
    } finally {
      await staged.remove();
    }
  });
  return { step: done };
}

/** Every Rego file exactly as `opa fmt` writes it: what compliance teams' editors will write too. */
async function opaFormat(o: CiOptions): Promise<Checked> {
  const done = await step('opa fmt', async () => {
    const files = await unformattedRego(o.policyDir);
    return {
      ok: files.length === 0,
      summary:
        files.length === 0
          ? 'every Rego file is as opa fmt writes it'
          : `${files.length} file(s) not as opa fmt writes them: run opa fmt -w`,
      failures: files.map((f) => path.relative(o.policyDir, f)),
    };
  });
  return { step: done };
}

/** Regal's lint rules with the tree's `.regal/config.yaml`: what the editors' linter shows. */
async function regalLint(o: CiOptions): Promise<Checked> {
  const done = await step('regal lint', async () => {
    const r = await lintRego(o.policyDir, o.regalConfig);
    // Optional like cosign: where Regal cannot be built the step says so and passes.
    if (!r.ran) return { ok: true, summary: `skipped: ${r.reason}`, failures: [] };
    return {
      ok: r.violations.length === 0,
      summary:
        r.violations.length === 0
          ? `${r.files} Rego files, no violations`
          : `${r.violations.length} violation(s) in ${r.files} Rego files`,
      failures: r.violations.map(
        (v) => `${v.file}:${v.line}:${v.column}: ${v.rule}: ${v.description}`,
      ),
    };
  });
  return { step: done };
}

async function policyTests(o: CiOptions, extra: PolicySource[]): Promise<Checked> {
  let report: unknown;
  const done = await step('opa test', async () => {
    const r = await runPolicyTests({
      policyDir: o.policyDir,
      threshold: o.threshold,
      extraSources: extra,
    });
    report = {
      passed: r.passed,
      failed: r.failed,
      coverage: r.coverage,
      cases: r.cases.map((c) => ({ name: `${c.package}.${c.name}`, passed: c.passed })),
    };
    const failures = r.cases
      .filter((c) => !c.passed)
      .map(
        (c) => `${c.package}.${c.name} (${c.file}:${c.line})${c.message ? `: ${c.message}` : ''}`,
      );
    if (r.coverage < o.threshold)
      failures.push(`coverage ${r.coverage} % is under the threshold ${o.threshold} %`);
    return {
      ok: r.ok,
      summary: `${r.passed} passed, ${r.failed} failed; coverage ${r.coverage} % (threshold ${o.threshold} %)`,
      failures,
    };
  });
  return { step: done, report };
}

async function invariantsCompile(o: CiOptions): Promise<Checked & { digest?: string }> {
  let digest: string | undefined;
  const done = await step('invariants check', async () => {
    const sources = await invariantSources(o.invariantsDir, o.policyDir);
    const bundle = await compilePolicy({
      policyDir: o.policyDir,
      cacheDir: defaultCacheDir,
      extraSources: sources,
    });
    const count = bundle.data.invariant_manifest?.ids.length ?? 0;
    digest = bundle.digest;
    return {
      ok: true,
      summary: `${count} invariants compile into bundle ${bundle.digest.slice(0, 12)}…`,
      failures: [],
    };
  });
  return { step: done, ...(digest ? { digest } : {}) };
}

async function invariantTests(o: CiOptions): Promise<Checked> {
  let report: unknown;
  const done = await step('invariants test', async () => {
    const r = await runInvariantSuite(o.invariantsDir, o.policyDir, { runs: o.runs });
    report = {
      bundle: r.bundle,
      results: r.results.map((x) => ({
        id: x.id,
        ok: x.ok,
        decisions: x.decisions,
        ...(x.failure ? { failure: x.failure.problem } : {}),
      })),
    };
    return {
      ok: r.ok,
      summary: r.summary,
      failures: r.results
        .filter((x) => !x.ok)
        .map((x) => `${x.id}: ${x.failure?.problem ?? 'failed'}`),
    };
  });
  return { step: done, report };
}

async function modelChecks(o: CiOptions): Promise<Checked> {
  let report: unknown;
  const done = await step('specs (TLC)', async () => {
    const r = await runSpecs(o.specsDir, { mutants: true });
    report = r.results.map(({ violation, ...rest }) => ({
      ...rest,
      ...(violation
        ? {
            violation: {
              property: violation.property,
              kind: violation.kind,
              states: violation.trace.length,
            },
          }
        : {}),
    }));
    const failures = r.results
      .filter((x) => (x.config === 'mutant' ? !x.violation : !x.ok))
      .flatMap((x) => describeSpecResult(x).split('\n'));
    return { ok: r.ok, summary: r.summary, failures };
  });
  return { step: done, report };
}

/** The candidate tree replayed against the recorded decisions of --impact-db. */
async function policyImpact(
  o: CiOptions & { impact: NonNullable<CiOptions['impact']> },
): Promise<Checked & { markdown?: string }> {
  let report: ImpactReport | undefined;
  let markdown: string | undefined;
  const done = await step('policy impact', async () => {
    const r = await runImpact({
      dbUrl: o.impact.db,
      policyDir: o.policyDir,
      invariantsDir: o.invariantsDir,
      window: logWindow(o.impact.from, o.impact.to, Date.now()),
      examples: o.impact.examples,
      allowLoosening: o.impact.allowLoosening,
      allowEmpty: o.impact.allowEmpty,
      ...(o.impact.baseline ? { baseline: treeBeside(o.impact.baseline) } : {}),
    });
    report = r.report;
    markdown = impactMarkdown(r.report, r.gate);
    const t = r.report.totals;
    return {
      ok: r.gate.ok,
      summary: `${r.report.replayed} of ${r.report.decisions} recorded decisions replayed: ${t.loosened} looser, ${t.tightened} tighter, ${t.changed} other change(s)${o.impact.allowLoosening && t.loosened > 0 ? ' (loosening allowed)' : ''}`,
      failures: r.gate.problems,
    };
  });
  return { step: done, report, ...(markdown ? { markdown } : {}) };
}

function printSummary(steps: CiStep[], ok: boolean): void {
  for (const s of steps) {
    console.log(`${s.ok ? 'pass' : 'FAIL'}  ${s.name}: ${s.summary}`);
    if (!s.ok) for (const f of s.failures) console.log(`      ${f}`);
  }
  console.log(
    ok
      ? 'interlock ci: all checks passed'
      : `interlock ci: ${steps.filter((s) => !s.ok).length} of ${steps.length} checks FAILED`,
  );
}

/** Signs an evidence bundle of the configured audit log with the CI results in it. */
async function writeEvidence(
  o: CiOptions & { evidence: string },
  checked: Record<'policy' | 'invariants' | 'specs', Checked>,
): Promise<void> {
  const config = loadConfig(o.config);
  const { signer } = signerFromConfig(config.audit.signing);
  const { db, sqlite, close } = await openDatabase(o.db ?? config.database.url);
  try {
    const { bundle, statement } = await buildEvidence({
      db,
      ...(sqlite ? { sqlite } : {}),
      signer,
      sourcesRoot: path.dirname(o.policyDir),
      policyTests: asResult(checked.policy.step, checked.policy.report),
      invariantTests: asResult(checked.invariants.step, checked.invariants.report),
      modelChecks: asResult(checked.specs.step, checked.specs.report),
      checkpointEvery: config.audit.checkpoint.every,
    });
    await writeFile(o.evidence, `${JSON.stringify(bundle, null, 2)}\n`);
    console.log(
      `evidence written to ${o.evidence}: ${statement.subject.length} subjects, records ${statement.predicate.window.from_seq}–${statement.predicate.window.to_seq}`,
    );
  } finally {
    await close();
  }
}

export async function runCiCommand(argv: string[]): Promise<number> {
  const given = parseCiArgs(argv);
  // A key that cannot sign is an error now, not after minutes of checks.
  const sealer = given.signBundle ? sealSigner(given.signBundle) : undefined;
  if (!sealer) return runChecks(given);
  // Sealing: every check runs on one snapshot of the tree, and the seal covers that snapshot, so
  // an edit during the run cannot be sealed under another file's passing tests.
  const snapshot = await snapshotTree(given.policyDir, given.invariantsDir);
  try {
    return await runChecks(
      {
        ...given,
        policyDir: snapshot.policyDir,
        invariantsDir: snapshot.invariantsDir,
        regalConfig: regalConfigFor(given.policyDir),
      },
      { signer: sealer, tree: given },
    );
  } finally {
    await rm(snapshot.root, { recursive: true, force: true });
  }
}

/** A private copy of the policy and invariants folders (same folder names: they name sources). */
async function snapshotTree(
  policyDir: string,
  invariantsDir: string,
): Promise<{ root: string; policyDir: string; invariantsDir: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'interlock-ci-snapshot-'));
  const snapshot = {
    root,
    policyDir: path.join(root, 'p', path.basename(policyDir)),
    invariantsDir: path.join(root, 'i', path.basename(invariantsDir)),
  };
  await cp(policyDir, snapshot.policyDir, { recursive: true, dereference: true });
  if (existsSync(invariantsDir))
    await cp(invariantsDir, snapshot.invariantsDir, { recursive: true, dereference: true });
  return snapshot;
}

async function runChecks(
  o: CiOptions,
  seal?: { signer: Signer; tree: CiOptions },
): Promise<number> {
  const extra = await invariantSources(o.invariantsDir, o.policyDir).catch(() => []);
  const check = await opaCheck(o, extra);
  const format = await opaFormat(o);
  const lint = await regalLint(o);
  const policy = await policyTests(o, extra);
  const compiled = await invariantsCompile(o);
  const invariants = await invariantTests(o);
  const specs = await modelChecks(o);
  const impact = o.impact ? await policyImpact({ ...o, impact: o.impact }) : undefined;
  const steps = [check, format, lint, policy, compiled, invariants, specs, impact]
    .filter((c) => c !== undefined)
    .map((c) => c.step);
  const ok = steps.every((s) => s.ok);
  printSummary(steps, ok);

  await mkdir(o.out, { recursive: true });
  await writeFile(
    path.join(o.out, 'ci-report.json'),
    `${JSON.stringify({ ok, steps, policyTests: policy.report, invariantTests: invariants.report, specs: specs.report, ...(impact ? { impact: impact.report } : {}) }, null, 2)}\n`,
  );
  await writeFile(
    path.join(o.out, 'ci-report.md'),
    markdownReport(steps, ok) + (impact?.markdown ? `\n${impact.markdown}` : ''),
  );
  // Evidence names the tree's own files (policies/, invariants/ and specs/ beside each other).
  if (o.evidence)
    await writeEvidence(
      { ...o, policyDir: seal?.tree.policyDir ?? o.policyDir, evidence: o.evidence },
      { policy, invariants, specs },
    );
  if (seal) {
    if (!ok) {
      console.log('interlock ci: the tree is not sealed (checks failed)');
      return 1;
    }
    if (!compiled.digest) throw new Error('the invariants check passed without a bundle digest');
    await writeSeal(o, seal.tree, seal.signer, steps, compiled.digest);
  }
  return ok ? 0 : 1;
}

/**
 * Seals the snapshot the run passed on. The tree itself must still be that snapshot: a tree
 * edited during the run is not sealed (its seal would not cover it anyway).
 */
async function writeSeal(
  o: CiOptions,
  tree: CiOptions,
  signer: Signer,
  steps: CiStep[],
  checkedDigest: string,
): Promise<void> {
  const extraSources = await invariantSources(o.invariantsDir, o.policyDir);
  const sources = await loadSources({
    policyDir: o.policyDir,
    cacheDir: defaultCacheDir,
    extraSources,
  });
  const bundle = await compilePolicy(
    { policyDir: o.policyDir, cacheDir: defaultCacheDir, extraSources },
    sources,
  );
  const now = sourcesDigest(
    await loadSources({
      policyDir: tree.policyDir,
      cacheDir: defaultCacheDir,
      extraSources: await invariantSources(tree.invariantsDir, tree.policyDir),
    }),
  );
  if (bundle.digest !== checkedDigest || now !== checkedDigest)
    throw new InterlockError(
      'conflict',
      `the policy tree changed during the run (checked ${checkedDigest.slice(0, 12)}…, now ${now.slice(0, 12)}…); not sealed`,
    );
  const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  const statement = sealStatement({
    digest: bundle.digest,
    sources,
    wasm: bundle.wasm,
    ciReport: await readFile(path.join(o.out, 'ci-report.json')),
    steps: steps.map((s) => ({ name: s.name, ok: s.ok, summary: s.summary })),
    allowLoosening: o.impact?.allowLoosening ?? false,
    version: pkg.version,
    now: Date.now(),
  });
  const sealed = await signSeal(signer, statement);
  const sealOut = tree.sealOut ?? path.join(tree.policyDir, SEAL_FILE);
  await mkdir(path.dirname(sealOut), { recursive: true });
  await writeFile(sealOut, `${JSON.stringify(sealed, null, 2)}\n`);
  console.log(
    `interlock ci: sealed bundle ${bundle.digest} (${statement.predicate.sources.length} sources) by ${signer.identity}: ${sealOut}`,
  );
}

/** The seal's signer: a key file (never generated here), or keyless as the audit log signs. */
function sealSigner(spec: string): Signer {
  return signerFromConfig(
    spec === 'keyless'
      ? {
          type: 'keyless',
          fulcioURL: process.env.SIGSTORE_FULCIO_URL ?? 'https://fulcio.sigstore.dev',
          rekorURL: process.env.SIGSTORE_REKOR_URL ?? 'https://rekor.sigstore.dev',
          identityTokenEnv: 'SIGSTORE_ID_TOKEN',
          rekorEntryType: 'dsse',
        }
      : { type: 'key', key: spec, generate: false },
  ).signer;
}
