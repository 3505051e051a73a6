/** Lays policy sources and merged data out in a temporary folder for the opa CLI. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PolicyData } from '../schema/policy-data.ts';
import type { SourceLocation } from '../schema/errors.ts';
import { runOpa } from './opa-cli.ts';
import type { PolicySource } from './sources.ts';

export interface StagedPolicy {
  /** Root of the staged tree: the .rego files at their relative paths plus data.json. */
  dir: string;
  remove(): Promise<void>;
  /** Maps an opa message's staged paths back to the policy tree's. */
  unstage(text: string): string;
}

/** stagePolicy writes the sources (tests only when asked) and data.json to a new temp folder. */
export async function stagePolicy(
  sources: readonly PolicySource[],
  data: PolicyData,
  options: { includeTests: boolean },
): Promise<StagedPolicy> {
  const root = await mkdtemp(path.join(tmpdir(), 'interlock-policy-'));
  const dir = path.join(root, 'src');
  for (const s of sources) {
    if (
      s.kind === 'data' ||
      s.kind === 'invariant' ||
      (s.kind === 'rego_test' && !options.includeTests)
    )
      continue;
    const file = path.join(dir, s.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, s.content);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'data.json'), JSON.stringify(data));
  const prefix = dir + path.sep;
  return {
    dir,
    remove: () => rm(root, { recursive: true, force: true }),
    unstage: (text) => text.split(prefix).join(''),
  };
}

/** parseOpaLocations extracts `file.rego:line[:col]: message` entries from opa's error output. */
export function parseOpaLocations(text: string): SourceLocation[] {
  const locs: SourceLocation[] = [];
  for (const m of text.matchAll(/([^\s:]+\.rego):(\d+)(?::(\d+))?: ([^\n]+)/g)) {
    locs.push({
      file: m[1] ?? '',
      line: Number(m[2]),
      ...(m[3] ? { column: Number(m[3]) } : {}),
      message: (m[4] ?? '').trim(),
    });
  }
  return locs;
}

/**
 * wasmCapabilities writes opa's current capabilities restricted to the builtins the
 * JavaScript Wasm host implements, so a policy using any other builtin fails to build
 * instead of failing at decision time.
 */
export async function writeWasmCapabilities(file: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const hostCaps = JSON.parse(
    await readFile(
      path.join(
        path.dirname(require.resolve('@open-policy-agent/opa-wasm')),
        '..',
        'capabilities.json',
      ),
      'utf8',
    ),
  ) as { builtins: { name: string }[] };
  const supported = new Set(hostCaps.builtins.map((b) => b.name));
  const current = await runOpa(['capabilities', '--current']);
  if (current.exitCode !== 0) throw new Error(`opa capabilities failed: ${current.stderr}`);
  const caps = JSON.parse(current.stdout) as { builtins: { name: string }[] };
  caps.builtins = caps.builtins.filter((b) => supported.has(b.name));
  await writeFile(file, JSON.stringify(caps));
}
