/**
 * Full offline verification of an audit log: the hash chain, every signed checkpoint (signature,
 * order, link to the previous checkpoint, Merkle root, chain head) and the coverage of the
 * records by checkpoints. The log comes from any source (the database, an export file), so the
 * same code judges both. The report names the first bad sequence number and what is wrong.
 */
import { chainHash, GENESIS_HASH } from './chain.ts';
import { canonicalJson } from '../schema/canonical-json.ts';
import { checkpointDigest, CheckpointBodySchema, type Checkpoint } from './checkpoint.ts';
import { leafHash, merkleRoot } from './merkle.ts';
import { verifyBlobBundle, type TrustPolicy } from '../signing/verify.ts';
import { VerificationError } from '../schema/errors.ts';

/** One stored record with its canonical JSON form (what the chain and the Merkle leaf hash). */
export interface StoredRecord {
  seq: number;
  canonical: string;
  prevHash: string;
  hash: string;
}

export type Problem =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'rewritten'
  | 'bad_signature'
  | 'bad_checkpoint'
  | 'unsigned'
  | 'empty';

export type LogReport =
  | {
      ok: true;
      records: number;
      firstSeq: number;
      lastSeq: number;
      checkpoints: number;
      /** The last record a verified checkpoint covers (0 when none). */
      signedThrough: number;
      /** Records after signedThrough: chained, but no signature covers them yet. */
      unsignedTail: number;
      /** The timestamp of the first unsigned record, when there is a tail. */
      tailStartsAt?: string;
      /**
       * Whether the record the last checkpoint ends at is in this log and matched it, so the tail
       * links to signed records.
       */
      tailLinked?: boolean;
      head: string;
    }
  | {
      ok: false;
      seq: number;
      problem: Problem;
      message: string;
      records: number;
      checkpoints: number;
    };

export interface LogSource {
  /** Checkpoints in index order. */
  checkpoints(): Promise<Checkpoint[]>;
  /** Records in storage order, in pages. */
  records(): AsyncIterable<StoredRecord[]>;
  /** True when the source starts at the genesis record (a full log, not a slice). */
  complete: boolean;
}

export interface Failure {
  seq: number;
  problem: Problem;
  message: string;
}

/**
 * Checks the checkpoints among themselves (signatures, order, links); returns the first failure.
 */
export function checkCheckpoints(
  list: Checkpoint[],
  trust: TrustPolicy,
  complete: boolean,
): { valid: Checkpoint[]; failure?: Failure } {
  const valid: Checkpoint[] = [];
  let prev: Checkpoint | undefined;
  for (const cp of list) {
    const parsed = CheckpointBodySchema.safeParse(cp.body);
    const at =
      typeof cp.body?.from_seq === 'number' ? cp.body.from_seq : (prev?.body.to_seq ?? 0) + 1;
    // The signed bytes must be exactly the canonical form of the body the verifier reads.
    let canonical = '';
    try {
      canonical = canonicalJson(cp.body);
    } catch {
      canonical = '';
    }
    if (!parsed.success || canonical !== cp.bodyText) {
      return {
        valid,
        failure: {
          seq: at,
          problem: 'bad_checkpoint',
          message: `checkpoint ${String(cp.body?.index)} is malformed`,
        },
      };
    }
    const b = parsed.data;
    try {
      verifyBlobBundle(cp.bundle, Buffer.from(cp.bodyText), trust);
    } catch (err) {
      const why = err instanceof VerificationError ? err.message : String(err);
      return {
        valid,
        failure: {
          seq: b.from_seq,
          problem: 'bad_signature',
          message: `checkpoint ${b.index} (records ${b.from_seq}–${b.to_seq}): ${why}`,
        },
      };
    }
    if (b.tree_size !== b.to_seq - b.from_seq + 1)
      return {
        valid,
        failure: {
          seq: b.from_seq,
          problem: 'bad_checkpoint',
          message: `checkpoint ${b.index}: tree size does not match its range`,
        },
      };
    if (prev) {
      if (b.index !== prev.body.index + 1 || b.prev !== checkpointDigest(prev.bodyText)) {
        return {
          valid,
          failure: {
            seq: prev.body.to_seq + 1,
            problem: 'deleted',
            message: `checkpoint ${b.index} does not follow checkpoint ${prev.body.index}: a checkpoint between them is missing or was replaced`,
          },
        };
      }
      if (b.from_seq !== prev.body.to_seq + 1)
        return {
          valid,
          failure: {
            seq: prev.body.to_seq + 1,
            problem: 'bad_checkpoint',
            message: `checkpoint ${b.index} does not start where checkpoint ${prev.body.index} ends`,
          },
        };
    } else if (complete && (b.index !== 1 || b.from_seq !== 1 || b.prev !== GENESIS_HASH)) {
      return {
        valid,
        failure: {
          seq: 1,
          problem: 'deleted',
          message: `the first checkpoint is #${b.index}, not #1: earlier checkpoints are missing`,
        },
      };
    }
    valid.push(cp);
    prev = cp;
  }
  return { valid };
}

export interface VerifyOptions {
  /**
   * Accept records after the last signed checkpoint (a live log between checkpoints), and
   * report how many. Without it a log passes only when signatures cover it up to its head:
   * a chain alone can be recomputed by anyone who can write the database. Even with it, a
   * tail is accepted only behind at least one signed checkpoint, and only as long and as old
   * as a running signer would leave it (the bounds below).
   */
  allowUnsignedTail?: boolean;
  /** The most unsigned records accepted (default 1,000: the gateway signs at least that often). */
  maxUnsignedRecords?: number;
  /** The oldest first unsigned record accepted, in ms before `now` (default 5 minutes). */
  maxUnsignedAgeMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_UNSIGNED_RECORDS = 1000;
export const DEFAULT_MAX_UNSIGNED_AGE_MS = 5 * 60_000;

/**
 * judgeCoverage turns a chain-intact report into the verdict: an empty log, or one whose head
 * no signed checkpoint covers, fails unless the caller accepts an unsigned tail.
 */
export function judgeCoverage(report: LogReport, options: VerifyOptions): LogReport {
  if (!report.ok) return report;
  const base = { records: report.records, checkpoints: report.checkpoints };
  if (report.records === 0)
    return {
      ok: false,
      seq: 1,
      problem: 'empty',
      message: 'the log has no records: there is nothing to verify',
      ...base,
    };
  if (report.unsignedTail === 0) return report;
  const from = report.lastSeq - report.unsignedTail + 1;
  const unsigned = (why: string): LogReport => ({
    ok: false,
    seq: from,
    problem: 'unsigned',
    message: `records ${from}–${report.lastSeq} are chained but not signed: ${why}`,
    ...base,
  });
  if (!options.allowUnsignedTail) {
    const signed =
      report.checkpoints === 0
        ? 'no signed checkpoint covers any record'
        : `signed checkpoints end at record ${report.signedThrough}`;
    return unsigned(
      `${signed} (sign them with \`interlock audit checkpoint\`, or accept a live gateway's short tail with --allow-unsigned-tail)`,
    );
  }
  if (report.checkpoints === 0)
    return unsigned(
      'no signed checkpoint covers any record, and a tail is accepted only behind one',
    );
  if (report.tailLinked !== true)
    return unsigned(
      `they do not follow a signed checkpoint in this log (the record checkpoint #${report.checkpoints} ends at is not here to link them to)`,
    );
  const maxRecords = options.maxUnsignedRecords ?? DEFAULT_MAX_UNSIGNED_RECORDS;
  if (report.unsignedTail > maxRecords)
    return unsigned(
      `${report.unsignedTail} records is more than a running signer leaves (at most ${maxRecords}, --max-unsigned)`,
    );
  const maxAge = options.maxUnsignedAgeMs ?? DEFAULT_MAX_UNSIGNED_AGE_MS;
  const startedAt = report.tailStartsAt ? Date.parse(report.tailStartsAt) : Number.NaN;
  const age = (options.now ?? Date.now)() - startedAt;
  // A tail dated in the future is as suspect as an old one (a minute of clock skew allowed).
  if (age < -60_000)
    return unsigned(
      `the first unsigned record is dated ${Math.round(-age / 1000)} s in the future`,
    );
  if (!(age <= maxAge))
    return unsigned(
      `the first unsigned record is ${Number.isNaN(age) ? 'of unknown age' : `${Math.round(age / 1000)} s old`}, older than a running signer leaves it (at most ${Math.round(maxAge / 1000)} s, --max-unsigned-age)`,
    );
  return report;
}

/** verifyLog walks the whole source once; memory is bounded by one checkpoint's leaves. */
export async function verifyLog(
  source: LogSource,
  trust: TrustPolicy,
  options: VerifyOptions = {},
): Promise<LogReport> {
  return judgeCoverage(await verifyChainAndCheckpoints(source, trust), options);
}

async function verifyChainAndCheckpoints(
  source: LogSource,
  trust: TrustPolicy,
): Promise<LogReport> {
  const all = await source.checkpoints();
  const { valid, failure: checkpointFailure } = checkCheckpoints(all, trust, source.complete);
  let cpIndex = 0;
  let leaves: Buffer[] = [];

  let expected = source.complete ? 1 : -1;
  let prevHash = source.complete ? GENESIS_HASH : '';
  let firstSeq = 0;
  let count = 0;
  // The hash of record e-2, to tell an inserted record from a modified one.
  let prevPrevHash = '';
  let pending: StoredRecord | undefined;
  // The first record after the last valid checkpoint: its time bounds an accepted unsigned tail.
  const coveredThrough = valid.at(-1)?.body.to_seq ?? 0;
  let tailStartsAt: string | undefined;
  let checkedThrough = 0;

  const fail = (f: Failure): LogReport => {
    const first = checkpointFailure && checkpointFailure.seq < f.seq ? checkpointFailure : f;
    return { ok: false, ...first, records: count, checkpoints: valid.length };
  };

  const step = (row: StoredRecord, next: StoredRecord | undefined): Failure | undefined => {
    if (expected === -1) {
      // A slice of the log: its first link points outside it and is taken as given.
      expected = row.seq;
      prevHash = row.prevHash;
      while (cpIndex < valid.length && valid[cpIndex]!.body.to_seq < row.seq) cpIndex++;
    }
    if (firstSeq === 0) firstSeq = row.seq;
    const e = expected;
    // Sequence numbers start at 1: a record below that is outside the chain, whatever it holds.
    if (row.seq < 1)
      return {
        seq: row.seq,
        problem: 'inserted',
        message: `record ${row.seq} lies outside the chain: sequence numbers start at 1`,
      };
    if (row.seq < e)
      return {
        seq: row.seq,
        problem: 'reordered',
        message: `record ${row.seq} appears after record ${e - 1}: records are out of order or duplicated`,
      };
    if (row.seq > e) {
      if (next?.seq === e)
        return {
          seq: e,
          problem: 'reordered',
          message: `record ${row.seq} appears before record ${e}: records are out of order`,
        };
      return {
        seq: e,
        problem: 'deleted',
        message:
          row.seq === e + 1
            ? `record ${e} is missing (deleted)`
            : `records ${e}–${row.seq - 1} are missing (deleted)`,
      };
    }
    // A link that skips exactly one record: the record before this one does not belong.
    if (row.prevHash !== prevHash && prevPrevHash !== '' && row.prevHash === prevPrevHash) {
      return {
        seq: e - 1,
        problem: 'inserted',
        message: `record ${e - 1} was inserted: record ${e} links past it to record ${e - 2}`,
      };
    }
    const self = chainHash(row.prevHash, row.canonical);
    if (self !== row.hash) {
      if (next && next.prevHash === prevHash)
        return {
          seq: e,
          problem: 'reordered',
          message: `record ${e} holds another record's content and record ${e + 1} links to record ${e - 1}: records were reordered`,
        };
      if (row.prevHash === prevHash)
        return {
          seq: e,
          problem: 'modified',
          message: `record ${e} was modified (its content no longer matches its hash)`,
        };
      return {
        seq: e,
        problem: 'deleted',
        message: `record ${e} does not link to record ${e - 1} and holds renumbered content: a record was deleted here`,
      };
    }
    if (row.prevHash !== prevHash) {
      return {
        seq: e - 1,
        problem: 'modified',
        message: `record ${e - 1} was modified and re-hashed: record ${e} still links to its original hash`,
      };
    }
    prevPrevHash = count > 0 ? prevHash : '';
    prevHash = row.hash;
    expected = e + 1;
    count++;
    if (tailStartsAt === undefined && e > coveredThrough) tailStartsAt = recordTime(row.canonical);

    const cp = valid[cpIndex];
    if (cp && e >= cp.body.from_seq) {
      leaves.push(leafHash(row.canonical));
      if (e === cp.body.to_seq) {
        const b = cp.body;
        const wholeRange = leaves.length === b.tree_size;
        if (
          row.hash !== b.chain_head ||
          (wholeRange && merkleRoot(leaves).toString('hex') !== b.root)
        ) {
          return {
            seq: b.from_seq,
            problem: 'rewritten',
            message: `records ${b.from_seq}–${b.to_seq} do not match signed checkpoint ${b.index}: one of them was modified, inserted or deleted and the chain recomputed`,
          };
        }
        checkedThrough = b.to_seq;
        cpIndex++;
        leaves = [];
      }
    }
    return undefined;
  };

  for await (const page of source.records()) {
    for (const row of page) {
      if (pending) {
        const f = step(pending, row);
        if (f) return fail(f);
      }
      pending = row;
    }
  }
  if (pending) {
    const f = step(pending, undefined);
    if (f) return fail(f);
  }
  if (checkpointFailure) return fail(checkpointFailure);

  const lastSeq = expected - 1;
  const lastCp = valid[valid.length - 1];
  if (lastCp && lastCp.body.to_seq > lastSeq) {
    return fail({
      seq: lastSeq + 1,
      problem: 'truncated',
      message: `the log ends at record ${lastSeq}, but signed checkpoint ${lastCp.body.index} covers records up to ${lastCp.body.to_seq}: records ${lastSeq + 1}–${lastCp.body.to_seq} were truncated`,
    });
  }
  const signedThrough = lastCp?.body.to_seq ?? 0;
  const unsignedTail = count === 0 ? 0 : lastSeq - Math.max(signedThrough, firstSeq - 1);
  return {
    ok: true,
    records: count,
    firstSeq,
    lastSeq,
    checkpoints: valid.length,
    signedThrough,
    unsignedTail,
    ...(unsignedTail > 0 && tailStartsAt ? { tailStartsAt } : {}),
    ...(unsignedTail > 0
      ? { tailLinked: signedThrough > 0 && checkedThrough === signedThrough }
      : {}),
    head: prevHash,
  };
}

function recordTime(canonical: string): string | undefined {
  try {
    const ts = (JSON.parse(canonical) as { ts?: unknown }).ts;
    return typeof ts === 'string' ? ts : undefined;
  } catch {
    return undefined;
  }
}
