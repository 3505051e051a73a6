/**
 * Compiles a policy tree (Rego + YAML data) to one Wasm module with `opa build -t wasm`, cached by
 * digest.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { PolicyCompileError } from '../schema/errors.ts';
import type { PolicyData } from '../schema/policy-data.ts';
import { formatLocations, mergePolicyData } from './load-data.ts';
import { runOpa } from './opa-cli.ts';
import { byPath, readPolicySources, sourcesDigest, type PolicySource } from './sources.ts';
import { parseOpaLocations, stagePolicy, writeWasmCapabilities } from './stage.ts';

/** The one Wasm entrypoint: every step's findings for one action. */
export const DECISION_ENTRYPOINT = 'interlock/decision/result';

/**
 * The Rego shell analysis alone, compiled in on request (tests compare the host's copy with it).
 */
export const SHELL_REFERENCE_ENTRYPOINT = 'interlock/lib/command/reference';

export interface CompiledBundle {
  digest: string;
  wasm: Uint8Array;
  data: PolicyData;
  sources: PolicySource[];
  fromCache: boolean;
}

export interface CompileOptions {
  policyDir: string;
  cacheDir: string;
  /** Sources produced by other compilers (the invariants' generated Rego). */
  extraSources?: PolicySource[];
  /** Entrypoints besides the decision, such as SHELL_REFERENCE_ENTRYPOINT. */
  extraEntrypoints?: string[];
}

/** loadSources reads the policy tree plus any generated sources. */
export async function loadSources(options: CompileOptions): Promise<PolicySource[]> {
  const own = await readPolicySources(options.policyDir);
  return [...own, ...(options.extraSources ?? [])].sort(byPath);
}

/**
 * compilePolicy builds (or reuses from the cache) the Wasm bundle of a policy tree; given
 * `sources`, it builds those (already read and checked) instead of reading the tree again.
 */
export async function compilePolicy(
  options: CompileOptions,
  preloaded?: PolicySource[],
  /**
   * The module a seal says CI compiled: a cached module that is not this one is not trusted
   * (the cache folder may have been written by someone else), so the sources are compiled afresh.
   */
  expectedWasmSha256?: string,
): Promise<CompiledBundle> {
  const sources = preloaded ?? (await loadSources(options));
  const data = mergePolicyData(sources);
  const digest = sourcesDigest(sources);
  const extra = [...new Set(options.extraEntrypoints ?? [])].sort();
  // The same sources built with other entrypoints are another module.
  const key = extra.length
    ? `${digest}+${createHash('sha256').update(extra.join('\n')).digest('hex').slice(0, 16)}`
    : digest;
  const cached = path.join(options.cacheDir, 'bundles', key, 'policy.wasm');
  if (existsSync(cached)) {
    const wasm = await readFile(cached);
    if (
      expectedWasmSha256 === undefined ||
      createHash('sha256').update(wasm).digest('hex') === expectedWasmSha256
    )
      return { digest, wasm, data, sources, fromCache: true };
  }

  const staged = await stagePolicy(sources, data, { includeTests: false });
  try {
    const work = path.dirname(staged.dir);
    const caps = path.join(work, 'capabilities.json');
    await writeWasmCapabilities(caps);
    const bundle = path.join(work, 'bundle.tar.gz');
    const built = await runOpa([
      'build',
      '-t',
      'wasm',
      ...[DECISION_ENTRYPOINT, ...extra].flatMap((e) => ['-e', e]),
      '--capabilities',
      caps,
      '-o',
      bundle,
      staged.dir,
    ]);
    if (built.exitCode !== 0) {
      const text = staged.unstage(built.stderr || built.stdout);
      const locs = parseOpaLocations(text);
      throw new PolicyCompileError(
        locs.length
          ? formatLocations('policy does not compile', locs)
          : `policy does not compile:\n${text}`,
        locs,
      );
    }
    const out = path.join(work, 'out');
    await mkdir(out);
    await execa('tar', ['-xzf', bundle, '-C', out]);
    const wasm = await readFile(path.join(out, 'policy.wasm'));

    // Publish to the cache atomically: a half-written module is never picked up.
    const dest = path.dirname(cached);
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.tmp`;
    await mkdir(tmp, { recursive: true });
    await writeFile(path.join(tmp, 'policy.wasm'), wasm);
    if (existsSync(dest)) await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest).catch(async () => rm(tmp, { recursive: true, force: true }));
    return { digest, wasm, data, sources, fromCache: false };
  } finally {
    await staged.remove();
  }
}
