/**
 * Invariants → generated policy sources: the Rego package, a data file with the manifest the
 * gateway reads (which windowed counts and last values to supply), and the YAML files
 * themselves, so their digest is part of the bundle digest.
 */
import path from 'node:path';
import { mergePolicyData } from '../policy/load-data.ts';
import { readPolicySources, type PolicySource } from '../policy/sources.ts';
import type { PolicyData } from '../schema/policy-data.ts';
import { checkInvariants } from './check.ts';
import {
  InvariantErrors,
  loadInvariants,
  readInvariantSources,
  type InvariantSource,
  type LoadedInvariant,
} from './load.ts';
import { invalidRe2Patterns } from './re2.ts';
import { translateInvariants, type InvariantManifest } from './translate.ts';

export interface CompiledInvariants {
  loaded: LoadedInvariant[];
  rego: string;
  manifest: InvariantManifest;
  sources: PolicySource[];
}

/** Parses, checks and translates; throws one PolicyCompileError naming every file:line:col. */
export async function compileInvariants(
  files: readonly InvariantSource[],
  data: PolicyData,
  displayDir = 'invariants',
): Promise<CompiledInvariants> {
  const loaded = loadInvariants(files, displayDir);
  const errors = new InvariantErrors();
  checkInvariants(loaded, data, errors);
  for (const p of await invalidRe2Patterns(errors.patterns)) {
    errors.add(
      p.file,
      p,
      p.pattern.includes('\u0000')
        ? `bad regex: ${JSON.stringify(p.pattern)} holds a raw NUL, where the bundle's RE2 would stop reading it; write \\x00`
        : `bad regex: ${JSON.stringify(p.pattern)} does not compile in RE2, the engine the bundle runs (no lookaround, no backreferences)`,
    );
  }
  errors.throwIfAny();
  const { rego, manifest } = translateInvariants(loaded, data);
  const sources: PolicySource[] = [
    ...files.map((f): PolicySource => ({
      path: `${displayDir}/${f.path}`,
      kind: 'invariant',
      content: f.content,
    })),
  ];
  if (loaded.length > 0) {
    sources.push({ path: 'invariants.gen/invariants.rego', kind: 'rego', content: rego });
    sources.push({
      // At the root, so that it merges as `data.invariant_manifest` (data sits at its folder's
      // path); only the gateway reads it, never Rego.
      path: 'invariant-manifest.gen.yaml',
      kind: 'data',
      content: JSON.stringify({ invariant_manifest: manifest }),
    });
  }
  return { loaded, rego, manifest, sources };
}

/** The policy engine's generate hook: reads both trees afresh on every reload. */
export async function invariantSources(
  invariantsDir: string,
  policyDir: string,
): Promise<PolicySource[]> {
  const files = await readInvariantSources(invariantsDir);
  if (files.length === 0) return [];
  const data = mergePolicyData(await readPolicySources(policyDir));
  return (await compileInvariants(files, data, path.basename(invariantsDir))).sources;
}
