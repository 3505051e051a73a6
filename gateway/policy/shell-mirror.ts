/** What decides whether the host may analyse shell lines for a bundle. */
import { createHash } from 'node:crypto';
import type { PolicySource } from './sources.ts';

// Packages whose files can define rules of interlock.lib.shell or interlock.lib.command:
// those two and their parents (a ref head such as `lib.shell.f(x)` in package interlock).
const ANALYSIS_PACKAGE =
  /^package\s+(interlock|interlock\.lib|interlock\.lib\.(shell|command)(\.[\w.]+)?)\s*$/m;

/** shellAnalysisSources maps path → sha256 of every non-test Rego source in those packages. */
export function shellAnalysisSources(sources: readonly PolicySource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sources) {
    if (s.kind !== 'rego' || !ANALYSIS_PACKAGE.test(s.content)) continue;
    out.set(s.path, createHash('sha256').update(s.content).digest('hex'));
  }
  return out;
}
