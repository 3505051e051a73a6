/**
 * The in-toto subjects of an evidence bundle: the policy bundle digest (the same digest the
 * gateway stamps on each decision) and every source file of the policies, invariants and
 * specs, by sha256. Checking them against a directory tells whether those files are the ones
 * the evidence speaks for.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { invariantSources } from '../invariants/compile.ts';
import { loadSources } from '../policy/compile.ts';
import { sourcesDigest } from '../policy/sources.ts';

export interface Subject {
  name: string;
  digest: { sha256: string };
}

/** The subject that names the compiled policy version rather than one file. */
export const POLICY_BUNDLE_SUBJECT = 'policy-bundle';

/** The folders, relative to the sources root, whose files become subjects. */
export const SUBJECT_DIRS = ['policies', 'invariants', 'specs'] as const;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function filesUnder(root: string, dir: string): Promise<string[]> {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  const entries = await readdir(abs, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * The digest the gateway stamps on decisions: the policies plus the invariants compiled with them.
 */
export async function policyBundleDigest(root: string): Promise<string> {
  const policyDir = path.join(root, 'policies');
  const sources = await loadSources({
    policyDir,
    cacheDir: '',
    extraSources: await invariantSources(path.join(root, 'invariants'), policyDir),
  });
  return sourcesDigest(sources);
}

export async function collectSubjects(root: string): Promise<Subject[]> {
  const subjects: Subject[] = [
    { name: POLICY_BUNDLE_SUBJECT, digest: { sha256: await policyBundleDigest(root) } },
  ];
  for (const dir of SUBJECT_DIRS) {
    for (const file of await filesUnder(root, dir))
      subjects.push({
        name: file,
        digest: { sha256: sha256(await readFile(path.join(root, file))) },
      });
  }
  return subjects;
}

export interface SubjectMismatch {
  name: string;
  problem: 'missing' | 'changed' | 'unlisted';
}

/**
 * Compares subjects with the files under `root`: changed, missing, and files the evidence does not
 * list.
 */
export async function checkSubjects(
  subjects: readonly Subject[],
  root: string,
): Promise<SubjectMismatch[]> {
  const problems: SubjectMismatch[] = [];
  const listed = new Set(subjects.map((s) => s.name));
  for (const s of subjects) {
    if (s.name === POLICY_BUNDLE_SUBJECT) {
      if (!existsSync(path.join(root, 'policies')))
        problems.push({ name: s.name, problem: 'missing' });
      else if ((await policyBundleDigest(root)) !== s.digest.sha256)
        problems.push({ name: s.name, problem: 'changed' });
      continue;
    }
    // Subject names are relative paths; one that climbs out of the root is not ours to read.
    const file = path.resolve(root, s.name);
    if (!file.startsWith(path.resolve(root) + path.sep) || !existsSync(file)) {
      problems.push({ name: s.name, problem: 'missing' });
      continue;
    }
    if (sha256(await readFile(file)) !== s.digest.sha256)
      problems.push({ name: s.name, problem: 'changed' });
  }
  for (const dir of SUBJECT_DIRS) {
    for (const file of await filesUnder(root, dir))
      if (!listed.has(file)) problems.push({ name: file, problem: 'unlisted' });
  }
  return problems;
}
