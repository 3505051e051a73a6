/** Runs the OPA CLI that scripts/setup.sh builds into the tools folder. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ToolchainMissingError } from '../schema/errors.ts';
import { toolsDir } from '../paths.ts';

export interface OpaRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** opaBinary is the path of the opa executable (INTERLOCK_OPA overrides it). */
export function opaBinary(): string {
  const bin = process.env.INTERLOCK_OPA ?? path.join(toolsDir, 'opa');
  if (!existsSync(bin)) throw new ToolchainMissingError('opa', bin);
  return bin;
}

/**
 * runOpa runs opa with args and returns its exit code and output; it never throws on a non-zero
 * exit.
 */
export async function runOpa(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<OpaRun> {
  const r = await execa(opaBinary(), args, {
    reject: false,
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
    stripFinalNewline: true,
  });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
