/** Seals a policy tree as it is now, as `interlock ci --sign-bundle` would after a passing run. */
import { invariantSources } from '../../gateway/invariants/compile.ts';
import { defaultCacheDir } from '../../gateway/paths.ts';
import { compilePolicy, loadSources } from '../../gateway/policy/compile.ts';
import { loadSigningKey } from '../../gateway/signing/keys.ts';
import { sealStatement, signSeal } from '../../gateway/signing/policy-seal.ts';
import { localKeySigner } from '../../gateway/signing/signer.ts';

/** The seal file's text: the tree's sources signed by `keyFile`, over a stand-in CI report. */
export async function sealTree(
  policyDir: string,
  invariantsDir: string,
  keyFile: string,
  signedAt = Date.now(),
): Promise<string> {
  const extraSources = await invariantSources(invariantsDir, policyDir);
  const sources = await loadSources({ policyDir, cacheDir: defaultCacheDir, extraSources });
  const bundle = await compilePolicy(
    { policyDir, cacheDir: defaultCacheDir, extraSources },
    sources,
  );
  const statement = sealStatement({
    digest: bundle.digest,
    sources,
    wasm: bundle.wasm,
    ciReport: Buffer.from('{"ok":true}'),
    steps: [{ name: 'opa test', ok: true, summary: 'stand-in' }],
    allowLoosening: false,
    version: 'test',
    now: signedAt,
  });
  return `${JSON.stringify(await signSeal(localKeySigner(loadSigningKey(keyFile)), statement))}\n`;
}
