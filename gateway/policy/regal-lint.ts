/**
 * Regal, the Rego linter, over a policy tree: the rules compliance teams' editors show them
 * (through the OPA language server), so a tree that passes here shows no squiggles there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { projectRoot, toolsDir } from '../paths.ts';

export interface RegalViolation {
  rule: string;
  description: string;
  file: string;
  line: number;
  column: number;
}

export type RegalOutcome =
  { ran: false; reason: string } | { ran: true; files: number; violations: RegalViolation[] };

const Report = z.object({
  violations: z
    .array(
      z.looseObject({
        title: z.string(),
        description: z.string(),
        location: z.looseObject({
          file: z.string().optional(),
          row: z.number().optional(),
          col: z.number().optional(),
        }),
      }),
    )
    .default([]),
  summary: z.looseObject({ files_scanned: z.number() }),
});

/** The regal executable that scripts/setup.sh builds (INTERLOCK_REGAL overrides it). */
export function regalBinary(): string {
  return process.env.INTERLOCK_REGAL ?? path.join(toolsDir, 'regal');
}

/**
 * The `.regal/config.yaml` nearest above the policy tree (a project of one's own keeps one
 * beside its policies), else Interlock's.
 */
export function regalConfigFor(policyDir: string): string {
  for (let dir = path.resolve(policyDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.regal', 'config.yaml');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.join(projectRoot, '.regal', 'config.yaml');
  }
}

/** lintRego runs `regal lint` on dir; not ran when Regal is not installed. */
export async function lintRego(dir: string, config = regalConfigFor(dir)): Promise<RegalOutcome> {
  const bin = regalBinary();
  if (!existsSync(bin))
    return { ran: false, reason: `regal is not installed at ${bin} (scripts/setup.sh builds it)` };
  const r = await execa(bin, ['lint', '--format', 'json', '--config-file', config, dir], {
    reject: false,
    timeout: 120_000,
  });
  // Exit 3 means violations were found; anything else but 0 is Regal failing to run.
  let parsed: z.infer<typeof Report>;
  try {
    parsed = Report.parse(JSON.parse(String(r.stdout)));
  } catch {
    const why =
      String(r.stderr || r.stdout)
        .trim()
        .split('\n')[0] ?? `exit ${r.exitCode}`;
    throw new Error(`regal lint failed: ${why}`);
  }
  return {
    ran: true,
    files: parsed.summary.files_scanned,
    violations: parsed.violations.map((v) => ({
      rule: v.title,
      description: v.description,
      file: v.location.file ? path.relative(dir, path.resolve(v.location.file)) : '(policy tree)',
      line: v.location.row ?? 0,
      column: v.location.col ?? 0,
    })),
  };
}
