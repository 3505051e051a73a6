/** `interlock evidence build|verify`. */
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config/config.ts';
import { buildEvidence, type Bound } from '../evidence/build.ts';
import type { CheckResult } from '../evidence/statement.ts';
import { verifyEvidence } from '../evidence/verify.ts';
import { projectRoot } from '../paths.ts';
import { VerificationError } from '../schema/errors.ts';
import { signerFromConfig } from '../signing/from-config.ts';
import { fileWitness, witnessPath } from '../audit/witness.ts';
import { openDatabase } from '../store/db.ts';
import { UsageError } from './args.ts';
import { trustFromArgs } from './audit-command.ts';
import { runInvariantSuite } from './invariants-command.ts';
import { runSpecs } from './specs-command.ts';

export const evidenceUsage = `  interlock evidence build --out evidence.json [--from SEQ|ISO-TIME] [--to SEQ|ISO-TIME] [--config F] [--db URL]
                          [--sources DIR] [--skip-policy-tests] [--invariant-results F] [--spec-results F]
      Sign an in-toto statement (DSSE, Sigstore bundle): source digests, test and model-check results,
      decision cards and audit checkpoints for the window.
  interlock evidence verify FILE --key PUB.pem [--sources DIR] [--json]
      Check it offline; with --sources, also each subject's digest against the files in DIR.`;

function parseBound(value: string | undefined, flag: string): Bound | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return { seq: Number(value) };
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(`${flag} takes a record sequence number or an ISO 8601 time`);
  return { time: new Date(t).toISOString() };
}

/** A results file from another checker: at least whether it passed and a one-line summary. */
const ResultsFileSchema = z.looseObject({ ok: z.boolean(), summary: z.string().optional() });

async function resultsFrom(
  file: string | undefined,
  what: string,
  folder: string,
  root: string,
): Promise<CheckResult> {
  if (!file) {
    return {
      status: 'not_run',
      reason: existsSync(path.join(root, folder))
        ? `no ${what} results were given (--${folder === 'specs' ? 'spec' : 'invariant'}-results)`
        : `this project has no ${folder}/ folder`,
    };
  }
  const parsed = ResultsFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success)
    throw new UsageError(`${file}: expected a JSON object with "ok" (boolean) and "summary"`);
  return {
    status: parsed.data.ok ? 'passed' : 'failed',
    summary: parsed.data.summary ?? `${what}: ${parsed.data.ok ? 'passed' : 'failed'}`,
    report: parsed.data,
  };
}

/** Runs the invariants' property tests now (100 scenarios each) for the evidence. */
async function invariantSuiteResult(root: string): Promise<CheckResult> {
  const r = await runInvariantSuite(path.join(root, 'invariants'), path.join(root, 'policies'), {
    runs: 100,
  });
  return {
    status: r.ok ? 'passed' : 'failed',
    summary: r.summary,
    report: {
      bundle: r.bundle,
      results: r.results.map((x) => ({
        id: x.id,
        ok: x.ok,
        runs: x.runs,
        decisions: x.decisions,
        ...(x.failure ? { failure: x.failure.problem } : {}),
      })),
    },
  };
}

/** Model-checks the specs now with TLC for the evidence. */
async function specResult(root: string): Promise<CheckResult> {
  const r = await runSpecs(path.join(root, 'specs'), { mutants: false });
  return {
    status: r.ok ? 'passed' : 'failed',
    summary: r.summary,
    report: r.results.map(({ violation, ...rest }) => ({
      ...rest,
      ...(violation ? { violation: { property: violation.property, kind: violation.kind } } : {}),
    })),
  };
}

export async function runEvidenceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
      sources: { type: 'string' },
      'skip-policy-tests': { type: 'boolean' },
      'invariant-results': { type: 'string' },
      'spec-results': { type: 'string' },
      key: { type: 'string', multiple: true },
      'trusted-root': { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });

  switch (sub) {
    case 'build': {
      if (!values.out) throw new UsageError('--out FILE is required');
      const config = loadConfig(values.config);
      const root = path.resolve(values.sources ?? projectRoot);
      const from = parseBound(values.from, '--from');
      const to = parseBound(values.to, '--to');
      const { signer } = signerFromConfig(config.audit.signing);
      const { db, sqlite, close } = await openDatabase(values.db ?? config.database.url);
      try {
        const { statement, bundle } = await buildEvidence({
          db,
          ...(sqlite ? { sqlite } : {}),
          signer,
          witness: fileWitness(config.audit.witness ?? witnessPath(config.audit.signing)),
          sourcesRoot: root,
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          policyTests: values['skip-policy-tests']
            ? { status: 'not_run', reason: 'skipped (--skip-policy-tests)' }
            : 'run',
          invariantTests:
            values['invariant-results'] || !existsSync(path.join(root, 'invariants'))
              ? await resultsFrom(
                  values['invariant-results'],
                  'invariant property test',
                  'invariants',
                  root,
                )
              : await invariantSuiteResult(root),
          modelChecks:
            values['spec-results'] || !existsSync(path.join(root, 'specs'))
              ? await resultsFrom(values['spec-results'], 'TLA+ model check', 'specs', root)
              : await specResult(root),
          checkpointEvery: config.audit.checkpoint.every,
        });
        // Written whole or not at all.
        const tmp = `${values.out}.tmp-${process.pid}`;
        await writeFile(tmp, `${JSON.stringify(bundle, null, 2)}\n`);
        await rename(tmp, values.out);
        const p = statement.predicate;
        console.log(
          `evidence written to ${values.out}: records ${p.window.from_seq}–${p.window.to_seq}, ${p.decisions.length} decision cards, ${p.checkpoints.length} checkpoints, ${statement.subject.length} subjects; signed by ${signer.identity}`,
        );
      } finally {
        await close();
      }
      return 0;
    }
    case 'verify': {
      const file = positionals[0];
      if (!file) throw new UsageError('evidence verify needs the evidence file');
      const trust = await trustFromArgs(values.key, values['trusted-root']);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new VerificationError(
          `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        );
      }
      const report = await verifyEvidence(
        text,
        trust,
        values.sources ? path.resolve(values.sources) : undefined,
      );
      const p = report.statement.predicate;
      if (values.json) {
        console.log(
          JSON.stringify({
            ok: true,
            window: p.window,
            summary: p.summary,
            results: p.results,
            subjects: report.statement.subject.length,
            subjectsChecked: report.subjectsChecked,
          }),
        );
      } else {
        const results = Object.entries(p.results)
          .map(
            ([k, r]) => `${k.replace('_', ' ')}: ${r.status === 'not_run' ? 'not run' : r.summary}`,
          )
          .join('; ');
        console.log(
          `evidence valid: records ${p.window.from_seq}–${p.window.to_seq} (${p.window.from_ts ?? '?'} to ${p.window.to_ts ?? '?'}), ${p.decisions.length} decision cards, ${p.checkpoints.length} signed checkpoints; ${results}; ` +
            (report.subjectsChecked === null
              ? `${report.statement.subject.length} subjects (not compared with files; pass --sources DIR)`
              : `all ${report.subjectsChecked} subjects match ${values.sources}`),
        );
      }
      return 0;
    }
    default:
      throw new UsageError(`usage:\n${evidenceUsage}`);
  }
}
