/**
 * The candidate bundle an impact analysis replays through: a policy tree and its invariants
 * compiled as the gateway compiles them, or the running tree with some files replaced, added or
 * removed (the API and the console send only what they change).
 */
import { cp, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { invariantSources } from '../invariants/compile.ts';
import { defaultCacheDir } from '../paths.ts';
import { compilePolicy } from '../policy/compile.ts';
import { loadEvaluator } from '../policy/wasm-policy.ts';
import { ValidationError } from '../schema/errors.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';

export interface PolicyTree {
  policyDir: string;
  invariantsDir: string;
}

/** A policy tree and the invariants folder beside it, as `interlock ci` and the CLI lay them out. */
export function treeBeside(policyDir: string): PolicyTree {
  const resolved = path.resolve(policyDir);
  return { policyDir: resolved, invariantsDir: path.join(path.dirname(resolved), 'invariants') };
}

/** candidateEvaluator compiles a tree (policies and invariants) into a loaded bundle. */
export async function candidateEvaluator(tree: PolicyTree): Promise<PolicyEvaluator> {
  const extraSources = await invariantSources(tree.invariantsDir, tree.policyDir);
  const bundle = await compilePolicy({
    policyDir: tree.policyDir,
    cacheDir: defaultCacheDir,
    extraSources,
  });
  return loadEvaluator(bundle);
}

/**
 * A relative path inside a tree: plain segments of letters, digits, dot, dash and underscore,
 * none of them `.` or `..`, ending in a file type the compilers read.
 */
const TreePathSchema = z
  .string()
  .max(200)
  .regex(
    /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.(?:rego|ya?ml|json)$/,
    'a relative path of plain segments ending in .rego, .yaml, .yml or .json',
  )
  .refine((p) => !p.split('/').some((seg) => seg === '.' || seg === '..'), 'no . or .. segments');

const MAX_FILE_BYTES = 1_048_576;

/** File contents by relative path; null removes the file. */
export const OverlaySchema = z
  .record(TreePathSchema, z.string().max(MAX_FILE_BYTES).nullable())
  .refine((o) => Object.keys(o).length <= 64, 'at most 64 files');

export type Overlay = z.infer<typeof OverlaySchema>;

/**
 * withOverlay copies the tree to a temporary folder, applies the changes, and hands the copy to
 * `use`; the copy is removed afterwards whatever happens.
 */
export async function withOverlay<T>(
  tree: PolicyTree,
  changes: { policies?: Overlay; invariants?: Overlay },
  use: (candidate: PolicyTree) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'interlock-candidate-'));
  try {
    const candidate = {
      policyDir: path.join(dir, 'policies'),
      invariantsDir: path.join(dir, 'invariants'),
    };
    // Symlinks are copied as what they point to, so a change cannot be written through one.
    await cp(tree.policyDir, candidate.policyDir, { recursive: true, dereference: true });
    await mkdir(candidate.invariantsDir, { recursive: true });
    await cp(tree.invariantsDir, candidate.invariantsDir, {
      recursive: true,
      dereference: true,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await apply(candidate.policyDir, 'policies', changes.policies ?? {});
    await apply(candidate.invariantsDir, 'invariants', changes.invariants ?? {});
    return await use(candidate);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function apply(root: string, field: string, overlay: Overlay): Promise<void> {
  for (const [rel, content] of Object.entries(overlay)) {
    // Validated by OverlaySchema; resolved again so nothing can land outside the copy.
    const file = path.resolve(root, rel);
    const refuse = (message: string) =>
      new ValidationError(`${field}.${rel}: ${message}`, [{ field: `${field}.${rel}`, message }]);
    if (!file.startsWith(`${root}${path.sep}`)) throw refuse('outside the tree');
    try {
      if (content === null) await rm(file, { force: true });
      else {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    } catch (err) {
      // A path through an existing file, or onto a folder: the tree cannot take it.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR')
        throw refuse('collides with a file or folder of the tree');
      throw err;
    }
  }
}
