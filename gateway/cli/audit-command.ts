/** `interlock audit verify|export|prove|verify-proof|checkpoint` and `interlock keys generate`. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';
import { signPending } from '../audit/checkpoint.ts';
import { fileWitness, witnessPath } from '../audit/witness.ts';
import { exportAudit } from '../audit/export.ts';
import { proveRecord, verifyInclusionProof } from '../audit/proof.ts';
import { databaseSource, exportFileSource } from '../audit/sources.ts';
import { verifyLog, type LogReport, type VerifyOptions } from '../audit/verify-log.ts';
import { durationMs } from '../invariants/check.ts';
import { verifyLogParallel } from '../audit/verify-parallel.ts';
import { VerificationError } from '../schema/errors.ts';
import { signerFromConfig } from '../signing/from-config.ts';
import { generateSigningKey, loadTrustedKey } from '../signing/keys.ts';
import type { TrustPolicy } from '../signing/verify.ts';
import { openDatabase } from '../store/db.ts';
import { readInput, UsageError } from './args.ts';

export const auditUsage = `  interlock keys generate [--out ./var/keys/audit.key]
      Write an ECDSA P-256 key pair (private key mode 0600, public key <name>.pub.pem); never overwrites.
  interlock audit verify --key PUB.pem [--key …] [--db URL | --export FILE] [--allow-unsigned-tail [--max-unsigned N] [--max-unsigned-age 5m]] [--json]
      Recompute the hash chain and every signed checkpoint; exit 1 naming the first bad seq.
      Signed checkpoints must cover the log up to its head. --allow-unsigned-tail accepts a live
      gateway's records after the last checkpoint (reported), if there is a checkpoint at all and
      the tail is at most N records (default 1000) and its first record at most 5 minutes old.
  interlock audit export [--from SEQ] [--to SEQ] [--db URL]   > audit.jsonl
      Records of the range plus the checkpoints that end inside it, as JSON lines.
  interlock audit prove --seq N [--db URL]                     > proof.json
      An inclusion proof: the record, its signed checkpoint and the Merkle path.
  interlock audit verify-proof FILE|- --key PUB.pem
      Check one record against its signed checkpoint, without the rest of the log.
  interlock audit checkpoint [--config F] [--db URL]
      Sign every record not yet covered by a checkpoint, now.`;

/** Public keys (and, for keyless bundles, a trusted root) from the command line. */
export async function trustFromArgs(
  keys: string[] | undefined,
  trustedRoot: string | undefined,
): Promise<TrustPolicy> {
  if ((!keys || keys.length === 0) && !trustedRoot)
    throw new UsageError('--key PUB.pem is required (the public key the gateway signs with)');
  return {
    keys: (keys ?? []).map(loadTrustedKey),
    ...(trustedRoot ? { trustedRoot: JSON.parse(await readInput(trustedRoot)) as unknown } : {}),
  };
}

function parseSeq(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} takes a record sequence number (a positive integer)`);
  return n;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function describeReport(report: LogReport): string {
  if (!report.ok)
    return `audit verification FAILED at seq ${report.seq} (${report.problem}): ${report.message}`;
  const range =
    report.records === 0
      ? 'no records'
      : `${plural(report.records, 'record')} (${report.firstSeq}–${report.lastSeq})`;
  const signed =
    report.checkpoints === 0
      ? 'no signed checkpoints'
      : `${plural(report.checkpoints, 'signed checkpoint')} through seq ${report.signedThrough}`;
  const tail = report.unsignedTail;
  return `audit intact: ${range}, ${signed}${tail > 0 ? `, ${plural(tail, 'later record')} chained but not signed (accepted: --allow-unsigned-tail)` : ''}; head ${report.head.slice(0, 16)}…`;
}

export async function runKeysCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw new UsageError(`usage:\n${auditUsage}`);
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } }, strict: true });
  const made = generateSigningKey(values.out ?? './var/keys/audit.key');
  console.log(
    `private key: ${made.privatePath} (mode 0600; keep it secret)\npublic key:  ${made.publicPath}\nkey id:      ${made.hint}`,
  );
  return 0;
}

export async function runAuditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      key: { type: 'string', multiple: true },
      'trusted-root': { type: 'string' },
      db: { type: 'string' },
      export: { type: 'string' },
      config: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      seq: { type: 'string' },
      json: { type: 'boolean' },
      'allow-unsigned-tail': { type: 'boolean' },
      'max-unsigned': { type: 'string' },
      'max-unsigned-age': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const dbUrl = (): string => values.db ?? loadConfig(values.config).database.url;

  switch (sub) {
    case 'verify': {
      const trust = await trustFromArgs(values.key, values['trusted-root']);
      if (values.db && values.export)
        throw new UsageError('give either --db or --export, not both');
      let report: LogReport;
      const maxRecords = parseSeq(values['max-unsigned'], '--max-unsigned');
      const maxAge =
        values['max-unsigned-age'] === undefined
          ? undefined
          : durationMs(values['max-unsigned-age']);
      if (values['max-unsigned-age'] !== undefined && maxAge === undefined)
        throw new UsageError('--max-unsigned-age takes a duration such as 30s, 5m or 1h');
      const options: VerifyOptions = {
        allowUnsignedTail: values['allow-unsigned-tail'] === true,
        ...(maxRecords !== undefined ? { maxUnsignedRecords: maxRecords } : {}),
        ...(maxAge !== undefined ? { maxUnsignedAgeMs: maxAge } : {}),
      };
      if (values.export) {
        report = await verifyLog(await exportFileSource(values.export), trust, options);
      } else {
        const url = dbUrl();
        const { db, sqlite, close } = await openDatabase(url);
        try {
          report = sqlite
            ? await verifyLogParallel(url.replace(/^sqlite:/, ''), db, sqlite, trust, options)
            : await verifyLog(databaseSource(db), trust, options);
        } finally {
          await close();
        }
      }
      console.log(values.json ? JSON.stringify(report) : describeReport(report));
      return report.ok ? 0 : 1;
    }
    case 'export': {
      const from = parseSeq(values.from, '--from');
      const to = parseSeq(values.to, '--to');
      const { db, close } = await openDatabase(dbUrl());
      try {
        for await (const line of exportAudit(db, {
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        })) {
          if (!process.stdout.write(`${line}\n`))
            await new Promise((r) => process.stdout.once('drain', r));
        }
      } finally {
        await close();
      }
      return 0;
    }
    case 'prove': {
      const seq = parseSeq(values.seq, '--seq');
      if (seq === undefined) throw new UsageError('--seq N is required');
      const { db, close } = await openDatabase(dbUrl());
      try {
        console.log(JSON.stringify(await proveRecord(db, seq), null, 2));
      } finally {
        await close();
      }
      return 0;
    }
    case 'verify-proof': {
      const file = positionals[0];
      if (!file)
        throw new UsageError('verify-proof needs the proof file (or - for standard input)');
      const trust = await trustFromArgs(values.key, values['trusted-root']);
      let doc: unknown;
      try {
        doc = JSON.parse(await readInput(file));
      } catch {
        throw new VerificationError(`${file} is not valid JSON`);
      }
      const record = verifyInclusionProof(doc, trust);
      console.log(
        `proof valid: record ${record.seq} (${record.type}) is included in the signed audit log`,
      );
      return 0;
    }
    case 'checkpoint': {
      const config = loadConfig(values.config);
      const { signer } = signerFromConfig(config.audit.signing);
      const { db, close } = await openDatabase(values.db ?? config.database.url);
      try {
        const { made, through } = await signPending(db, signer, {
          maxRecords: config.audit.checkpoint.every,
          witness: fileWitness(config.audit.witness ?? witnessPath(config.audit.signing)),
        });
        console.log(
          made === 0
            ? 'nothing to sign: every record is covered by a checkpoint'
            : `signed ${made} checkpoint(s) through seq ${through}`,
        );
      } finally {
        await close();
      }
      return 0;
    }
    default:
      throw new UsageError(`usage:\n${auditUsage}`);
  }
}
