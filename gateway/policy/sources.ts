/** Finds a policy tree's sources and computes the digest that names its version. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface PolicySource {
  /** Path relative to the policy directory, with forward slashes. */
  path: string;
  /** `invariant`: a YAML invariant file; it counts in the digest, its Rego is generated. */
  kind: 'rego' | 'rego_test' | 'data' | 'invariant';
  content: string;
}

/** readPolicySources lists every .rego and .yaml/.yml file under dir, sorted by path. */
export async function readPolicySources(dir: string): Promise<PolicySource[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sources: PolicySource[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, abs).split(path.sep).join('/');
    const kind = e.name.endsWith('_test.rego')
      ? 'rego_test'
      : e.name.endsWith('.rego')
        ? 'rego'
        : /\.ya?ml$/.test(e.name)
          ? 'data'
          : undefined;
    if (!kind) continue;
    sources.push({ path: rel, kind, content: await readFile(abs, 'utf8') });
  }
  return sources.sort(byPath);
}

/** byPath orders sources by path, the order the digest is computed in. */
export function byPath(a: PolicySource, b: PolicySource): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * sourcesDigest is sha256 over the sorted (path, content) pairs of the sources a bundle is built
 * from.
 */
export function sourcesDigest(sources: readonly PolicySource[]): string {
  const h = createHash('sha256');
  for (const s of sources) {
    if (s.kind === 'rego_test') continue;
    h.update(s.path).update('\0').update(s.content).update('\0');
  }
  return h.digest('hex');
}
