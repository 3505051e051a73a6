// Sealed policy: `interlock ci --sign-bundle` seals a tree that passed, and a gateway with
// `policy.requireSignature` loads only a tree a trusted key sealed exactly. An unsigned tree,
// a tree changed after signing and a tree sealed by another key are refused at start (no bundle:
// every decision denies) and at reload (422, the running bundle keeps serving); each refusal is
// audited; the signer is in GET /v1/policies, in every decision's audit record and in evidence.
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { buildEvidence } from '../gateway/evidence/build.ts';
import { invariantSources } from '../gateway/invariants/compile.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { defaultCacheDir, projectRoot } from '../gateway/paths.ts';
import { generateSigningKey } from '../gateway/signing/keys.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { sealTree } from './helpers/seal.ts';

const bin = path.join(projectRoot, 'bin', 'interlock.js');

let work: string;
let policies: string;
let invariants: string;
let sealFile: string;
let goodSeal: string;
let ciKey: { privatePath: string; publicPath: string; hint: string };
let otherKey: { privatePath: string; publicPath: string; hint: string };

interface PolicyStatus {
  digest: string | null;
  signature: {
    required: boolean;
    trusted: string[];
    seal: { signer: string; digest: string; wasmMatches: boolean; allowLoosening: boolean } | null;
  };
  lastReload: { ok: boolean; error?: { code: string; message: string } } | null;
}
interface AuditPage {
  records: { type: string; actor: string; payload: Record<string, unknown> }[];
}
type Refusal = {
  ok: false;
  digest: string | null;
  candidate?: string;
  error: { code: string; message: string };
};

const gatewayWith = (trusted: string[]) =>
  startTestGateway({
    policyDir: policies,
    invariantsDir: invariants,
    policy: { requireSignature: { keys: trusted } },
  });

/** The tree as it is now, sealed by `key`. */
const sealWith = (key: string): Promise<string> => sealTree(policies, invariants, key);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'interlock-seal-'));
  policies = path.join(work, 'policies');
  invariants = path.join(work, 'invariants');
  await cp(path.join(projectRoot, 'policies'), policies, { recursive: true });
  await cp(path.join(projectRoot, 'invariants'), invariants, { recursive: true });
  ciKey = generateSigningKey(path.join(work, 'keys', 'ci.key'));
  otherKey = generateSigningKey(path.join(work, 'keys', 'other.key'));
  // A real CI run seals the tree (the model checks take most of its ~20 s).
  const ci = await execa(
    'node',
    [
      bin,
      'ci',
      '--policies',
      policies,
      '--invariants',
      invariants,
      '--runs',
      '5',
      '--out',
      path.join(work, 'ci-out'),
      '--sign-bundle',
      ciKey.privatePath,
    ],
    { reject: false, cwd: projectRoot },
  );
  expect(ci.exitCode, ci.stdout + ci.stderr).toBe(0);
  sealFile = path.join(policies, 'policy.sigstore.json');
  expect(ci.stdout).toContain(`sealed bundle `);
  expect(ci.stdout).toContain(sealFile);
  goodSeal = await readFile(sealFile, 'utf8');
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('sealed policy', () => {
  let t: TestGateway;
  afterAll(async () => {
    await t?.close();
  });

  it('loads the sealed tree and names its signer in GET /v1/policies, decisions and their audit records', async () => {
    t = await gatewayWith([ciKey.publicPath]);
    const status = await t.api<PolicyStatus>(t.tokens.auditor, 'GET', '/v1/policies');
    expect(status.status).toBe(200);
    expect(status.body.signature.required).toBe(true);
    expect(status.body.signature.trusted).toEqual([`key:${ciKey.hint}`]);
    expect(status.body.signature.seal).toMatchObject({
      signer: `key:${ciKey.hint}`,
      digest: status.body.digest,
      allowLoosening: false,
      // The gateway compiled the same Wasm CI did.
      wasmMatches: true,
    });
    const r = await t.api<{ effect: string; policyDigest: string; policySigner: string }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 5 } },
    );
    expect(r.status).toBe(200);
    expect(r.body.policySigner).toBe(`key:${ciKey.hint}`);
    const proposed = await t.api<{ action: { id: string } }>(
      t.tokens.agent,
      'POST',
      '/v1/actions',
      {
        kind: 'roaster.set_fan',
        target: 'roaster-1',
        params: { value: 4 },
      },
    );
    expect(proposed.status).toBe(201);
    const audit = await t.api<AuditPage>(
      t.tokens.auditor,
      'GET',
      `/v1/audit?action_id=${proposed.body.action.id}`,
    );
    const decision = audit.body.records.find((x) => x.type === 'decision.proposal');
    expect(decision?.payload).toMatchObject({
      policy_digest: status.body.digest,
      policy_signer: `key:${ciKey.hint}`,
    });
    // Evidence over the window names the signer on each decision card and per bundle in force.
    const notRun = { status: 'not_run' as const, reason: 'not part of this test' };
    const { statement } = await buildEvidence({
      db: t.gw.services.deps.db,
      signer: t.gw.services.governance.signer,
      sourcesRoot: work,
      policyTests: notRun,
      invariantTests: notRun,
      modelChecks: notRun,
      checkpointEvery: 1000,
    });
    const card = statement.predicate.decisions.find((c) => c.action_id === proposed.body.action.id);
    expect(card?.decision?.policy_signer).toBe(`key:${ciKey.hint}`);
    expect(statement.predicate.policy_bundle.in_force).toEqual([
      { digest: status.body.digest, signer: `key:${ciKey.hint}`, decisions: 1 },
    ]);
    const start = await t.api<AuditPage>(t.tokens.auditor, 'GET', '/v1/audit?type=policy.reload');
    expect(start.body.records[0]).toMatchObject({
      actor: 'gateway',
      payload: { ok: true, trigger: 'start', seal: { signer: `key:${ciKey.hint}` } },
    });
  });

  it('refuses at reload a changed source, another key, a missing or altered seal (422, audited) and keeps serving', async () => {
    const before = (await t.api<PolicyStatus>(t.tokens.auditor, 'GET', '/v1/policies')).body;
    const reload = () => t.api<Refusal>(t.tokens.admin, 'POST', '/v1/policies/reload');
    const autonomy = path.join(policies, 'autonomy.yaml');
    const original = await readFile(autonomy, 'utf8');

    // 1. A source changed after signing: named in the answer.
    await writeFile(autonomy, `${original}# widened after review\n`);
    const changed = await reload();
    expect(changed.status).toBe(422);
    expect(changed.body.error.code).toBe('policy_seal_mismatch');
    expect(changed.body.error.message).toContain('changed autonomy.yaml');
    expect(changed.body.digest).toBe(before.digest);
    expect(changed.body.candidate).not.toBe(before.digest);
    await writeFile(autonomy, original);

    // 2. A new file the seal does not list (checked before anything compiles).
    const extra = path.join(policies, 'interlock', 'extra.rego');
    await writeFile(extra, 'package interlock.extra\n');
    const added = await reload();
    expect(added.body.error.code).toBe('policy_seal_mismatch');
    expect(added.body.error.message).toContain('added interlock/extra.rego');
    await unlink(extra);

    // 3. The same sources sealed by a key the gateway does not trust.
    await writeFile(sealFile, await sealWith(otherKey.privatePath));
    const foreign = await reload();
    expect(foreign.body.error.code).toBe('policy_seal_untrusted');
    expect(foreign.body.error.message).toContain(otherKey.hint.slice(0, 16));

    // 4. No seal at all.
    await unlink(sealFile);
    const unsigned = await reload();
    expect(unsigned.body.error.code).toBe('policy_unsigned');

    // 5. The good seal with its signed payload altered: the signature no longer holds.
    const altered = JSON.parse(goodSeal) as { dsseEnvelope: { payload: string } };
    const payload = JSON.parse(Buffer.from(altered.dsseEnvelope.payload, 'base64').toString()) as {
      predicate: { ci: { allow_loosening: boolean } };
    };
    payload.predicate.ci.allow_loosening = true;
    altered.dsseEnvelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    await writeFile(sealFile, JSON.stringify(altered));
    const tampered = await reload();
    expect(tampered.body.error.code).toBe('policy_seal_untrusted');

    // Through all of it the sealed bundle kept deciding.
    const still = await t.api<{ policyDigest: string; policySigner: string }>(
      t.tokens.agent,
      'POST',
      '/v1/decisions',
      { kind: 'roaster.set_fan', target: 'roaster-1', params: { value: 5 } },
    );
    expect(still.body.policyDigest).toBe(before.digest);
    expect(still.body.policySigner).toBe(`key:${ciKey.hint}`);

    const audit = await t.api<AuditPage>(t.tokens.auditor, 'GET', '/v1/audit?type=policy.reload');
    const refusals = audit.body.records.filter((x) => x.payload.ok === false);
    expect(refusals.map((x) => x.payload.code)).toEqual([
      'policy_seal_mismatch',
      'policy_seal_mismatch',
      'policy_seal_untrusted',
      'policy_unsigned',
      'policy_seal_untrusted',
    ]);
    expect(refusals[0]).toMatchObject({
      actor: 'admin',
      payload: { trigger: 'request', digest: before.digest },
    });

    // The signed seal back: it loads again.
    await writeFile(sealFile, goodSeal);
    const ok = await t.api<{ ok: boolean; seal: { signer: string } }>(
      t.tokens.admin,
      'POST',
      '/v1/policies/reload',
    );
    expect(ok.status).toBe(200);
    expect(ok.body.seal.signer).toBe(`key:${ciKey.hint}`);
  });

  it('refuses a genuine seal older than one it already loaded (rollback), at reload and at the next start', async () => {
    const yesterday = await sealTree(
      policies,
      invariants,
      ciKey.privatePath,
      Date.now() - 86_400_000,
    );
    await writeFile(sealFile, yesterday);
    const stale = await t.api<Refusal>(t.tokens.admin, 'POST', '/v1/policies/reload');
    expect(stale.status).toBe(422);
    expect(stale.body.error.code).toBe('policy_seal_stale');
    // A gateway starting on the same database remembers the newest seal loaded there.
    const g = await startTestGateway(
      {
        policyDir: policies,
        invariantsDir: invariants,
        policy: { requireSignature: { keys: [ciKey.publicPath] } },
        database: { url: t.config.database.url },
      },
      {},
    );
    try {
      const status = await g.api<PolicyStatus>(t.tokens.auditor, 'GET', '/v1/policies');
      expect(status.body.digest).toBeNull();
      expect(status.body.lastReload?.error?.code).toBe('policy_seal_stale');
    } finally {
      await g.close();
    }
    await writeFile(sealFile, goodSeal);
    expect((await t.api(t.tokens.admin, 'POST', '/v1/policies/reload')).status).toBe(200);
  });

  it('refuses at start an unsigned tree, a changed one and one sealed by another key: no bundle, every decision denies, audited', async () => {
    const autonomy = path.join(policies, 'autonomy.yaml');
    const original = await readFile(autonomy, 'utf8');
    const cases: [string, () => Promise<void>, () => Promise<void>][] = [
      ['policy_unsigned', () => unlink(sealFile), () => writeFile(sealFile, goodSeal)],
      [
        'policy_seal_mismatch',
        () => writeFile(autonomy, `${original}# edited on the host\n`),
        () => writeFile(autonomy, original),
      ],
      [
        'policy_seal_untrusted',
        async () => writeFile(sealFile, await sealWith(otherKey.privatePath)),
        () => writeFile(sealFile, goodSeal),
      ],
    ];
    for (const [code, spoil, restore] of cases) {
      await spoil();
      const g = await gatewayWith([ciKey.publicPath]);
      try {
        const status = await g.api<PolicyStatus>(g.tokens.auditor, 'GET', '/v1/policies');
        expect(status.body.digest, code).toBeNull();
        expect(status.body.lastReload?.error?.code).toBe(code);
        const ready = await g.api<{ ready: boolean }>(undefined, 'GET', '/ready');
        expect(ready.body.ready).toBe(false);
        const d = await g.api<{ effect: string }>(g.tokens.agent, 'POST', '/v1/decisions', {
          kind: 'roaster.set_fan',
          target: 'roaster-1',
          params: { value: 5 },
        });
        expect(d.body.effect).toBe('deny');
        const audit = await g.api<AuditPage>(
          g.tokens.auditor,
          'GET',
          '/v1/audit?type=policy.reload',
        );
        expect(audit.body.records[0]).toMatchObject({
          actor: 'gateway',
          payload: { ok: false, trigger: 'start', code, digest: null },
        });
      } finally {
        await g.close();
        await restore();
      }
    }
  });

  it('does not trust a cached module that is not the one sealed: it compiles the sealed sources afresh and replaces it', async () => {
    // A tree of its own (a comment makes its digest unique), so its cache slot is this test's.
    const tree = path.join(work, 'cache-tree');
    await cp(policies, path.join(tree, 'policies'), { recursive: true });
    await unlink(path.join(tree, 'policies', 'policy.sigstore.json')).catch(() => undefined);
    const autonomy = path.join(tree, 'policies', 'autonomy.yaml');
    await writeFile(autonomy, `${await readFile(autonomy, 'utf8')}# ${Math.random()}\n`);
    const sealedText = await sealTree(path.join(tree, 'policies'), invariants, ciKey.privatePath);
    await writeFile(path.join(tree, 'policies', 'policy.sigstore.json'), sealedText);
    // Someone with write access to the cache plants a module without the baseline checks.
    const evil = path.join(work, 'evil');
    await cp(path.join(tree, 'policies'), evil, { recursive: true });
    const decisionRego = path.join(evil, 'interlock', 'decision', 'decision.rego');
    const rego = await readFile(decisionRego, 'utf8');
    await writeFile(
      decisionRego,
      rego.replace('[f | some f in data.interlock.baseline.deny]', '[]'),
    );
    const evilBundle = await compilePolicy({
      policyDir: evil,
      cacheDir: path.join(work, 'evil-cache'),
      extraSources: await invariantSources(invariants, evil),
    });
    const digest = (
      await compilePolicy({
        policyDir: path.join(tree, 'policies'),
        cacheDir: defaultCacheDir,
        extraSources: await invariantSources(invariants, path.join(tree, 'policies')),
      })
    ).digest;
    const slot = path.join(defaultCacheDir, 'bundles', digest, 'policy.wasm');
    await writeFile(slot, evilBundle.wasm);

    const g = await startTestGateway({
      policyDir: path.join(tree, 'policies'),
      invariantsDir: invariants,
      policy: { requireSignature: { keys: [ciKey.publicPath] } },
    });
    try {
      const status = await g.api<PolicyStatus & { lastReload: { fromCache: boolean } }>(
        g.tokens.auditor,
        'GET',
        '/v1/policies',
      );
      expect(status.body.digest).toBe(digest);
      // opa build is not byte-reproducible: a fresh module of the same sources is not CI's.
      expect(status.body.signature.seal?.wasmMatches).toBe(false);
      expect(status.body.lastReload.fromCache).toBe(false);
      // The baseline still denies a preheat while the roaster is RUNNING.
      const d = await g.api<{ effect: string; stage: string }>(
        g.tokens.agent,
        'POST',
        '/v1/decisions',
        {
          kind: 'roaster.preheat',
          target: 'roaster-1',
          params: { target_temp: 200 },
        },
      );
      expect(d.body).toMatchObject({ effect: 'deny', stage: 'baseline' });
      expect(
        createHash('sha256')
          .update(await readFile(slot))
          .digest('hex'),
      ).not.toBe(createHash('sha256').update(evilBundle.wasm).digest('hex'));
    } finally {
      await g.close();
    }
  });

  it('trusts only the configured keys: the same seal is refused by a gateway that trusts another key', async () => {
    const g = await gatewayWith([otherKey.publicPath]);
    try {
      const status = await g.api<PolicyStatus>(g.tokens.auditor, 'GET', '/v1/policies');
      expect(status.body.digest).toBeNull();
      expect(status.body.lastReload?.error?.code).toBe('policy_seal_untrusted');
    } finally {
      await g.close();
    }
  });
});
