/**
 * Evidence bundles end to end: a scripted session on a real gateway, `interlock evidence build`
 * as a CI job or auditor runs it (real opa test, real signing), then offline verification —
 * by our CLI and by sigstore-js's public verifier with nothing but the public key.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Writable } from 'node:stream';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../gateway/schema/canonical-json.ts';
import { StatementSchema } from '../gateway/evidence/statement.ts';
import { verifyEvidence } from '../gateway/evidence/verify.ts';
import { projectRoot, toolsDir } from '../gateway/paths.ts';
import { VerificationError } from '../gateway/schema/errors.ts';
import { loadSigningKey, loadTrustedKey, type TrustedKey } from '../gateway/signing/keys.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { scriptedSession, type SessionResult } from './helpers/session.ts';

const bin = path.join(projectRoot, 'bin', 'interlock.js');
const interlock = (args: string[]) =>
  execa('node', [bin, ...args], { reject: false, cwd: projectRoot });

let t: TestGateway;
let session: SessionResult;
let work: string;
let sources: string;
let evidenceFile: string;
let evidenceText: string;
let pub: TrustedKey;
let pubFile: string;
let configFile: string;
const logLines: string[] = [];
const apiBodies: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  t = await startTestGateway(
    { audit: { checkpoint: { every: 25, intervalMs: 3_600_000 } } },
    undefined,
    { log: pino({ level: 'trace' }, sink) },
  );
  session = await scriptedSession(t, 4);
  for (const url of [
    '/v1/audit?limit=500',
    '/v1/estop',
    '/ready',
    '/openapi.json',
    `/v1/actions/${session.executed[0]}`,
  ]) {
    apiBodies.push(JSON.stringify((await t.api(t.tokens.auditor, 'GET', url)).body));
  }
  await t.gw.stop();

  work = mkdtempSync(path.join(tmpdir(), 'interlock-evidence-'));
  sources = path.join(work, 'sources');
  cpSync(path.join(projectRoot, 'policies'), path.join(sources, 'policies'), { recursive: true });
  cpSync(path.join(projectRoot, 'invariants'), path.join(sources, 'invariants'), {
    recursive: true,
  });
  cpSync(path.join(projectRoot, 'specs'), path.join(sources, 'specs'), { recursive: true });
  pubFile = path.join(t.dir, 'keys', 'audit.pub.pem');
  pub = loadTrustedKey(pubFile);
  configFile = path.join(work, 'interlock.yaml');
  writeFileSync(
    configFile,
    `database:\n  url: ${t.config.database.url}\naudit:\n  signing:\n    type: key\n    key: ${path.join(t.dir, 'keys', 'audit.key')}\n    generate: false\n`,
  );
  evidenceFile = path.join(work, 'evidence.json');
  const built = await interlock([
    'evidence',
    'build',
    '--out',
    evidenceFile,
    '--config',
    configFile,
    '--sources',
    sources,
  ]);
  if (built.exitCode !== 0) throw new Error(`evidence build failed: ${built.stderr}`);
  evidenceText = readFileSync(evidenceFile, 'utf8');
}, 120_000);

afterAll(async () => {
  await t?.close().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

const statementOf = (text: string) => {
  const bundle = JSON.parse(text) as { dsseEnvelope: { payload: string } };
  return StatementSchema.parse(
    JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')),
  );
};

describe('evidence build after a scripted session', () => {
  it('is an in-toto statement with source subjects, test results, decision cards and checkpoints', () => {
    const s = statementOf(evidenceText);
    expect(s._type).toBe('https://in-toto.io/Statement/v1');
    const names = s.subject.map((x) => x.name);
    expect(names).toContain('policy-bundle');
    expect(names.some((n) => n.startsWith('policies/') && n.endsWith('.rego'))).toBe(true);
    const p = s.predicate;
    expect(p.results.policy_tests).toMatchObject({ status: 'passed' });
    expect(p.results.invariant_tests).toMatchObject({
      status: 'passed',
      summary: expect.stringMatching(/^27 of 27 invariants hold/),
    });
    expect(p.results.model_checks).toMatchObject({
      status: 'passed',
      summary: expect.stringMatching(/^5 of 5 specs hold/),
    });
    const card = (id: string) => p.decisions.find((c) => c.action_id === id)!;
    expect(card(session.executed[0]!)).toMatchObject({
      kind: 'roaster.set_power',
      status: 'COMPLETED',
      decision: { effect: 'allow' },
    });
    expect(card(session.approved[0]!).approvers.map((a) => a.actor)).toEqual(['op1']);
    expect(card(session.approved[0]!).outcome).toMatchObject({ result: 'completed' });
    expect(card(session.rejected[0]!)).toMatchObject({
      status: 'REJECTED',
      ended_by: { actor: 'op2', reason: 'not during this phase' },
    });
    expect(card(session.denied[0]!)).toMatchObject({
      status: 'DENIED',
      decision: { effect: 'deny' },
    });
    expect(card(session.pending[0]!).status).toBe('PENDING_APPROVAL');
    expect(p.summary.actions).toBe(4 * 3 + 2);
    expect(p.checkpoints.at(-1)!.body.to_seq).toBeGreaterThanOrEqual(p.window.to_seq);
    // The policy-bundle subject is the digest every decision in the window records.
    expect(card(session.executed[0]!).decision!.policy_digest).toBe(
      s.subject.find((x) => x.name === 'policy-bundle')!.digest.sha256,
    );
  });

  it('verifies offline with the CLI, including every subject against the sources', async () => {
    const r = await interlock([
      'evidence',
      'verify',
      evidenceFile,
      '--key',
      pubFile,
      '--sources',
      sources,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^evidence valid: records 1–\d+ .* 14 decision cards, \d+ signed checkpoints; policy tests: \d+ passed, 0 failed.*all \d+ subjects match/,
    );
  });

  it("verifies with sigstore-js's public Verifier and nothing but the public key", () => {
    const material = toTrustMaterial(
      TrustedRoot.fromJSON({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        certificateAuthorities: [],
        ctlogs: [],
        timestampAuthorities: [],
      }),
      {
        [pub.hint]: { rawBytes: pub.der, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 },
      },
    );
    const verifier = new Verifier(material, {
      tlogThreshold: 0,
      ctlogThreshold: 0,
      timestampThreshold: 0,
    });
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(evidenceText))));
    expect(signer.key.export({ type: 'spki', format: 'der' }).equals(pub.der)).toBe(true);
    // The checkpoints inside are message-signature bundles over their canonical body.
    const cp = statementOf(evidenceText).predicate.checkpoints[0]!;
    expect(() =>
      verifier.verify(
        toSignedEntity(bundleFromJSON(cp.bundle), Buffer.from(canonicalJson(cp.body))),
      ),
    ).not.toThrow();
    expect(() =>
      verifier.verify(
        toSignedEntity(
          bundleFromJSON(cp.bundle),
          Buffer.from(canonicalJson({ ...cp.body, root: '0'.repeat(64) })),
        ),
      ),
    ).toThrow();
  });

  const cosign = path.join(toolsDir, 'cosign');
  it.skipIf(!existsSync(cosign))(
    'cosign (a second, independent verifier) accepts the evidence and a checkpoint',
    async () => {
      const s = statementOf(evidenceText);
      const rego = s.subject.find((x) => x.name.endsWith('.rego'))!.name;
      // With a subject file as the blob, cosign also checks the file's digest is among the
      // subjects.
      const att = await execa(
        cosign,
        [
          'verify-blob-attestation',
          '--key',
          pubFile,
          '--bundle',
          evidenceFile,
          '--type',
          s.predicateType,
          '--insecure-ignore-tlog=true',
          path.join(sources, rego),
        ],
        { reject: false },
      );
      expect(att.exitCode, att.stderr).toBe(0);
      expect(att.stderr).toContain('Verified OK');
      const cp = s.predicate.checkpoints[0]!;
      writeFileSync(path.join(work, 'cp.body'), canonicalJson(cp.body));
      writeFileSync(path.join(work, 'cp.bundle.json'), JSON.stringify(cp.bundle));
      const blob = await execa(
        cosign,
        [
          'verify-blob',
          '--key',
          pubFile,
          '--bundle',
          path.join(work, 'cp.bundle.json'),
          '--insecure-ignore-tlog=true',
          path.join(work, 'cp.body'),
        ],
        { reject: false },
      );
      expect(blob.exitCode, blob.stderr).toBe(0);
      writeFileSync(
        path.join(work, 'cp.body'),
        canonicalJson({ ...cp.body, to_seq: cp.body.to_seq + 1 }),
      );
      const forged = await execa(
        cosign,
        [
          'verify-blob',
          '--key',
          pubFile,
          '--bundle',
          path.join(work, 'cp.bundle.json'),
          '--insecure-ignore-tlog=true',
          path.join(work, 'cp.body'),
        ],
        { reject: false },
      );
      expect(forged.exitCode).not.toBe(0);
    },
    60_000,
  );

  it('flipping one byte anywhere in the file makes verification fail with a clear message', async () => {
    await expect(verifyEvidence(evidenceText, { keys: [pub] })).resolves.toMatchObject({
      subjectsChecked: null,
    });
    const bytes = Buffer.from(evidenceText);
    const payloadStart = evidenceText.indexOf('"payload": "') + 12;
    const payloadEnd = evidenceText.indexOf('"', payloadStart);
    // Every byte outside the (large) signed payload, and a stride through it plus its last
    // characters.
    const positions = [...bytes.keys()].filter(
      (i) => i < payloadStart || i >= payloadEnd - 4 || (i - payloadStart) % 41 === 0,
    );
    expect(positions.length).toBeGreaterThan(500);
    const messages = new Set<string>();
    for (const i of positions) {
      const copy = Buffer.from(bytes);
      copy[i]! ^= 0x01;
      const err = await verifyEvidence(copy.toString('utf8'), { keys: [pub] }).then(
        () =>
          new Error(
            `flipping byte ${i} (${JSON.stringify(String.fromCharCode(bytes[i]!))}) still verified`,
          ),
        (e: unknown) => e,
      );
      expect(err, String(err)).toBeInstanceOf(VerificationError);
      messages.add((err as Error).message.replace(/[0-9a-f]{16,}|\d+/g, '#').slice(0, 60));
    }
    // Every failure names what is wrong, not a generic error.
    for (const m of messages)
      expect(m).toMatch(/JSON|signature|bundle|canonical|key|statement|envelope|payload/i);
  }, 120_000);

  it('a changed, missing or extra subject file fails verification, naming the file', async () => {
    const rego = statementOf(evidenceText).subject.find((s) => s.name.endsWith('.rego'))!.name;
    const file = path.join(sources, rego);
    const original = readFileSync(file);
    const changed = Buffer.from(original);
    changed[10]! ^= 0x01;
    writeFileSync(file, changed);
    const r = await interlock([
      'evidence',
      'verify',
      evidenceFile,
      '--key',
      pubFile,
      '--sources',
      sources,
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${rego}: digest differs`);
    writeFileSync(file, original);
    writeFileSync(path.join(sources, 'policies', 'extra.rego'), 'package extra\n');
    await expect(verifyEvidence(evidenceText, { keys: [pub] }, sources)).rejects.toThrow(
      /policies\/extra.rego: not listed/,
    );
    rmSync(path.join(sources, 'policies', 'extra.rego'));
    await expect(verifyEvidence(evidenceText, { keys: [pub] }, sources)).resolves.toMatchObject({
      subjectsChecked: expect.any(Number),
    });
  });

  it('the wrong public key is refused', async () => {
    const other = path.join(work, 'other.key');
    const made = await interlock(['keys', 'generate', '--out', other]);
    expect(made.exitCode, made.stderr).toBe(0);
    const r = await interlock([
      'evidence',
      'verify',
      evidenceFile,
      '--key',
      path.join(work, 'other.pub.pem'),
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/not among the trusted keys/);
  });
});

/** Every row of every table, as text: PostgreSQL has no single database file to search. */
async function dumpPostgres(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ tablename: string }>(
      `select tablename from pg_tables where schemaname = 'public'`,
    );
    const parts: string[] = [];
    for (const { tablename } of tables.rows)
      parts.push(JSON.stringify((await c.query(`select * from "${tablename}"`)).rows));
    return parts.join('\n');
  } finally {
    await c.end();
  }
}

describe('private keys stay private', () => {
  it('appear in no log line, API response, audit record, database page or evidence file', async () => {
    const key = loadSigningKey(path.join(t.dir, 'keys', 'audit.key'));
    const jwk = key.privateKey.export({ format: 'jwk' });
    const der = key.privateKey.export({ type: 'pkcs8', format: 'der' });
    const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const secretD = Buffer.from(jwk.d!, 'base64url');
    const needles = [
      jwk.d!,
      secretD.toString('hex'),
      secretD.toString('base64'),
      der.toString('base64').slice(20, 80),
      pem.split('\n')[1]!,
    ];
    const haystacks: [string, string | Buffer][] = [
      ['gateway log', logLines.join('')],
      ['API responses', apiBodies.join('\n')],
      t.config.database.url.startsWith('sqlite:')
        ? ['database file', readFileSync(path.join(t.dir, 'interlock.db'))]
        : ['database rows', await dumpPostgres(t.config.database.url)],
      ['evidence file', evidenceText],
    ];
    // The one log line about the key (its generation) names paths only.
    expect(logLines.some((l) => l.includes('generated an audit signing key'))).toBe(true);
    for (const [where, hay] of haystacks) {
      for (const needle of needles) {
        const found =
          typeof hay === 'string'
            ? hay.includes(needle)
            : hay.includes(Buffer.from(needle)) || hay.includes(secretD);
        expect(found, `private key material in the ${where}`).toBe(false);
      }
    }
  });

  it('keys generate writes the private key 0600 and refuses to overwrite', async () => {
    const file = path.join(work, 'fresh.key');
    const first = await interlock(['keys', 'generate', '--out', file]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).not.toContain('PRIVATE KEY');
    const { statSync } = await import('node:fs');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const before = readFileSync(file, 'utf8');
    const again = await interlock(['keys', 'generate', '--out', file]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/refusing to overwrite/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
