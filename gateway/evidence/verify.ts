/**
 * `interlock evidence verify`: offline check of an evidence bundle — the DSSE signature, the
 * statement's shape, every embedded checkpoint signature and link, and, given a directory,
 * the subject digests against the files in it.
 */
import { canonicalJson } from '../schema/canonical-json.ts';
import { checkpointDigest } from '../audit/checkpoint.ts';
import { VerificationError } from '../schema/errors.ts';
import { verifyBlobBundle, verifyEnvelopeBundle, type TrustPolicy } from '../signing/verify.ts';
import { IN_TOTO_PAYLOAD_TYPE, StatementSchema, type EvidenceStatement } from './statement.ts';
import { checkSubjects, type SubjectMismatch } from './subjects.ts';

export interface EvidenceReport {
  statement: EvidenceStatement;
  /** Subjects compared with files, when a sources directory was given. */
  subjectsChecked: number | null;
}

export async function verifyEvidence(
  text: string,
  trust: TrustPolicy,
  sourcesRoot?: string,
): Promise<EvidenceReport> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VerificationError(
      `the evidence file is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const { payload, payloadType } = verifyEnvelopeBundle(json, trust);
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new VerificationError(`the envelope carries ${payloadType}, not an in-toto statement`);
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new VerificationError('the signed payload is not JSON');
  }
  const parsed = StatementSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new VerificationError(
      `the signed statement is not an Interlock evidence statement: ${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'invalid'}`,
    );
  }
  const statement = parsed.data;
  const p = statement.predicate;

  let prev: { index: number; digest: string } | undefined;
  for (const cp of p.checkpoints) {
    const bodyText = canonicalJson(cp.body);
    try {
      verifyBlobBundle(cp.bundle, Buffer.from(bodyText), trust);
    } catch (err) {
      throw new VerificationError(
        `audit checkpoint ${cp.body.index} in the evidence: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (prev && (cp.body.index !== prev.index + 1 || cp.body.prev !== prev.digest))
      throw new VerificationError(
        `audit checkpoint ${cp.body.index} does not follow checkpoint ${prev.index}`,
      );
    prev = { index: cp.body.index, digest: checkpointDigest(bodyText) };
  }
  const { from_seq: from, to_seq: to } = p.window;
  const covered =
    p.checkpoints.length > 0 &&
    p.checkpoints[0]!.body.from_seq <= from &&
    p.checkpoints[p.checkpoints.length - 1]!.body.to_seq >= to;
  if (p.window.records > 0 && !covered)
    throw new VerificationError(
      `the window (records ${from}–${to}) is not covered by the signed checkpoints in the evidence`,
    );
  for (const card of p.decisions) {
    const outside = card.records.find((s) => s < from || s > to);
    if (outside !== undefined)
      throw new VerificationError(
        `decision card for action ${card.action_id} cites record ${outside}, outside the window ${from}–${to}`,
      );
  }

  let subjectsChecked: number | null = null;
  if (sourcesRoot !== undefined) {
    const problems = await checkSubjects(statement.subject, sourcesRoot);
    if (problems.length > 0)
      throw new VerificationError(
        `sources in ${sourcesRoot} do not match the evidence: ${describeMismatches(problems)}`,
      );
    subjectsChecked = statement.subject.length;
  }
  return { statement, subjectsChecked };
}

function describeMismatches(problems: SubjectMismatch[]): string {
  const what = {
    missing: 'missing',
    changed: 'digest differs (changed since the evidence was built)',
    unlisted: 'not listed in the evidence',
  };
  const shown = problems.slice(0, 5).map((m) => `${m.name}: ${what[m.problem]}`);
  return shown.join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
}
