/**
 * `interlock evidence build`: assemble, check and sign the evidence statement for an audit window.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RawSqlite } from '../store/audit-raw.ts';
import type { SerializedBundle } from '@sigstore/bundle';
import { rowToCheckpoint, signPending } from '../audit/checkpoint.ts';
import type { CheckpointWitness } from '../audit/witness.ts';
import { databaseSource } from '../audit/sources.ts';
import { verifyLog } from '../audit/verify-log.ts';
import { canonicalJson } from '../schema/canonical-json.ts';
import { projectRoot } from '../paths.ts';
import { runPolicyTests } from '../policy/test-runner.ts';
import { invariantSources } from '../invariants/compile.ts';
import { InterlockError, VerificationError } from '../schema/errors.ts';
import type { Signer } from '../signing/signer.ts';
import type { Db } from '../store/db.ts';
import { decisionCards } from './cards.ts';
import { collectSubjects, POLICY_BUNDLE_SUBJECT } from './subjects.ts';
import {
  EVIDENCE_PREDICATE_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  STATEMENT_TYPE,
  type CheckResult,
  type DecisionCard,
  type EvidencePredicate,
  type EvidenceStatement,
} from './statement.ts';
import {
  checkpointsOverlapping,
  recordEnds,
  requireHeadSeq,
  seqAtTime,
} from '../store/audit-log.ts';

/** A window bound: a record sequence number or an ISO 8601 time. */
export type Bound = { seq: number } | { time: string };

export interface BuildOptions {
  db: Db;
  /** The SQLite handle, for the fast read of the log's verification. */
  sqlite?: RawSqlite;
  signer: Signer;
  /** The folder holding policies/, invariants/ and specs/. */
  sourcesRoot: string;
  from?: Bound;
  to?: Bound;
  /** 'run' runs `opa test` on the policies now. */
  policyTests: CheckResult | 'run';
  invariantTests: CheckResult;
  modelChecks: CheckResult;
  checkpointEvery: number;
  /** The signer's record of its last checkpoint (gateway/audit/witness.ts). */
  witness?: CheckpointWitness;
  now?: () => number;
}

async function resolveWindow(
  db: Db,
  from: Bound | undefined,
  to: Bound | undefined,
): Promise<{ fromSeq: number; toSeq: number }> {
  const head = await requireHeadSeq(db);
  const seqAt = async (b: Bound, side: 'from' | 'to'): Promise<number> => {
    if ('seq' in b) return b.seq;
    return (await seqAtTime(db, b.time, side)) ?? (side === 'from' ? head + 1 : 0);
  };
  const fromSeq = from ? await seqAt(from, 'from') : 1;
  const toSeq = Math.min(to ? await seqAt(to, 'to') : head, head);
  // An empty log (a CI job with no gateway history) gives evidence about sources and checks only.
  if (head === 0 && !from && !to) return { fromSeq: 1, toSeq: 0 };
  if (toSeq < fromSeq)
    throw new InterlockError(
      'validation_failed',
      `the window holds no audit records (from seq ${fromSeq}, to seq ${toSeq}, head ${head})`,
      { field: '--from' },
    );
  return { fromSeq, toSeq };
}

async function policyTestResult(sourcesRoot: string): Promise<CheckResult> {
  const policyDir = path.join(sourcesRoot, 'policies');
  const r = await runPolicyTests({
    policyDir,
    threshold: 0,
    extraSources: await invariantSources(path.join(sourcesRoot, 'invariants'), policyDir),
  });
  return {
    status: r.failed === 0 ? 'passed' : 'failed',
    summary: `${r.passed} passed, ${r.failed} failed; coverage ${r.coverage.toFixed(1)} %`,
    report: {
      passed: r.passed,
      failed: r.failed,
      coverage: r.coverage,
      cases: r.cases.map((c) => ({ name: `${c.package}.${c.name}`, passed: c.passed })),
    },
  };
}

/** The (digest, signer) pairs that decided the window's proposals, most decisions first. */
function bundlesInForce(
  cards: readonly DecisionCard[],
): NonNullable<EvidencePredicate['policy_bundle']['in_force']> {
  const seen = new Map<
    string,
    { digest: string | null; signer: string | null; decisions: number }
  >();
  for (const c of cards) {
    if (!c.decision) continue;
    const digest = typeof c.decision.policy_digest === 'string' ? c.decision.policy_digest : null;
    const signer = c.decision.policy_signer ?? null;
    const key = `${digest}\0${signer}`;
    const entry = seen.get(key) ?? { digest, signer, decisions: 0 };
    entry.decisions += 1;
    seen.set(key, entry);
  }
  return [...seen.values()].sort((a, b) => b.decisions - a.decisions);
}

const count = (values: string[]): Record<string, number> =>
  values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});

export async function buildEvidence(
  options: BuildOptions,
): Promise<{ statement: EvidenceStatement; bundle: SerializedBundle }> {
  const { db, signer } = options;
  const { fromSeq, toSeq } = await resolveWindow(db, options.from, options.to);

  // Anchor the window's end in a signed checkpoint, then refuse to vouch for a log that does not
  // verify.
  await signPending(db, signer, {
    maxRecords: options.checkpointEvery,
    through: toSeq,
    ...(options.now ? { now: options.now } : {}),
    ...(options.witness ? { witness: options.witness } : {}),
  });
  if (signer.publicKey) {
    // Records after the window may be waiting for their checkpoint; the window itself was just
    // signed. An empty log gives evidence about sources and checks only.
    const report = await verifyLog(
      databaseSource(db, options.sqlite ? { sqlite: options.sqlite } : {}),
      { keys: [signer.publicKey] },
      { allowUnsignedTail: true },
    );
    if (!report.ok && report.problem !== 'empty')
      throw new VerificationError(
        `the audit log does not verify (seq ${report.seq}: ${report.message}); no evidence is signed over it`,
      );
  }

  const records = await recordEnds(db, [fromSeq, toSeq]);
  const first = records.find((r) => Number(r.seq) === fromSeq);
  const last = records.find((r) => Number(r.seq) === toSeq);
  const checkpointRows = await checkpointsOverlapping(db, fromSeq, toSeq);
  const cards = await decisionCards(db, fromSeq, toSeq);
  const subjects = await collectSubjects(options.sourcesRoot);
  const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
    version: string;
  };

  const statement: EvidenceStatement = {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: EVIDENCE_PREDICATE_TYPE,
    predicate: {
      generator: { name: 'interlock', version: pkg.version },
      built_at: new Date((options.now ?? Date.now)()).toISOString(),
      window: {
        from_seq: fromSeq,
        to_seq: toSeq,
        from_ts: first?.ts ?? null,
        to_ts: last?.ts ?? null,
        records: Math.max(0, toSeq - fromSeq + 1),
        chain_head: last?.hash ?? '',
      },
      policy_bundle: {
        digest: subjects.find((s) => s.name === POLICY_BUNDLE_SUBJECT)!.digest.sha256,
        in_force: bundlesInForce(cards),
      },
      results: {
        policy_tests:
          options.policyTests === 'run'
            ? await policyTestResult(options.sourcesRoot)
            : options.policyTests,
        invariant_tests: options.invariantTests,
        model_checks: options.modelChecks,
      },
      decisions: cards,
      summary: {
        actions: cards.length,
        by_effect: count(cards.map((c) => c.decision?.effect ?? 'none')),
        by_status: count(cards.map((c) => c.status)),
      },
      checkpoints: checkpointRows.map((row) => {
        const cp = rowToCheckpoint(row);
        return { body: cp.body, bundle: cp.bundle as Record<string, unknown> };
      }),
    },
  };
  // Canonical bytes: the signed payload does not depend on key order or whitespace.
  const bundle = await signer.signEnvelope(
    Buffer.from(canonicalJson(statement)),
    IN_TOTO_PAYLOAD_TYPE,
  );
  return { statement, bundle };
}
