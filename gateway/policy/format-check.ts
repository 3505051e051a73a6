/**
 * Rego exactly as `opa fmt` writes it: what compliance teams' editors write on save, so a
 * pull request's diff shows what changed and not how it was laid out.
 */
import path from 'node:path';
import { runOpa } from './opa-cli.ts';

/** The .rego files under `dir` that `opa fmt` would change (paths as OPA prints them). */
export async function unformattedRego(dir: string): Promise<string[]> {
  const r = await runOpa(['fmt', '--list', '--fail', dir]);
  const listed = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.endsWith('.rego'));
  // A file opa fmt cannot format (or parse) fails the check too, with OPA's own message.
  if (r.exitCode !== 0 && listed.length === 0) {
    throw new Error(
      `opa fmt failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? 'no output'}`,
    );
  }
  return listed.map((f) => path.resolve(f));
}
