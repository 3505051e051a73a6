/** Where the project's own folders and the setup script's tools live. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The tools folder scripts/setup.sh fills; INTERLOCK_TOOLS_DIR overrides it. */
export const toolsDir = process.env.INTERLOCK_TOOLS_DIR ?? path.join(projectRoot, '.tools');

export const defaultPolicyDir = path.join(projectRoot, 'policies');
export const defaultCacheDir = path.join(projectRoot, '.cache');
export const defaultInvariantsDir = path.join(projectRoot, 'invariants');
/** Where `interlock invariants rego` writes the invariants' Rego for plain `opa test`. */
export const defaultInvariantsRegoDir = path.join(projectRoot, '.cache', 'invariants-rego');
export const defaultChecklist = path.join(projectRoot, 'governance', 'readiness.yaml');
