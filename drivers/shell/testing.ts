/**
 * Test helpers for the shell driver's suites: commands that carry their decided digest, and
 * finding host processes by a marker argument.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { actionDigest } from '../../gateway/schema/canonical-json.ts';
import type { DriverCommand, WriteOptions } from '../../gateway/schema/driver.ts';

export const TARGET = 'workstation';

/** A shell.exec command as the executor sends it: params, target and the decided digest. */
export function shellCommand(id: string, argv: string[], cwd?: string): DriverCommand {
  const params: Record<string, unknown> = cwd === undefined ? { argv } : { argv, cwd };
  return {
    id,
    kind: 'shell.exec',
    target: TARGET,
    params,
    digest: actionDigest('shell.exec', TARGET, params),
  };
}

export const writeOptions = (id: string, signal = new AbortController().signal): WriteOptions => ({
  idempotencyKey: id,
  signal,
});

/** Host pids of the processes with an argument for which `match` holds. */
export function pidsWhere(match: (arg: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.split('\0').some(match)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Polls `check` every 10 ms until it holds; returns the milliseconds it took, or throws after
 * `withinMs`.
 */
export async function waitFor(
  check: () => boolean,
  withinMs: number,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (check()) return performance.now() - t0;
    if (performance.now() - t0 > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A Python program that starts a grandchild, a setsid grandchild and a double-forked daemon,
 * each `sleep <marker><n>`, then sleeps argv[2] seconds: what the kill tests must end.
 * argv: marker, seconds.
 */
export const SPAWNER = `import os, subprocess, sys, time
m = sys.argv[1]
subprocess.Popen(['/usr/bin/sleep', m + '1'])
subprocess.Popen(['/usr/bin/setsid', '/usr/bin/sleep', m + '2'])
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv('/usr/bin/sleep', ['/usr/bin/sleep', m + '3'])
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(float(sys.argv[2]))
`;

let counter = 0;
/** A marker no other process has: sleep reads `47.<digits>` as seconds. */
export const newMarker = (): string => `47.${process.pid}${Date.now() % 1e6}${++counter}`;
/** Host pids of the spawner's three descendants (-1 for one not running). */
export const descendants = (m: string): number[] =>
  [1, 2, 3].map((i) => pidsWhere((a) => a === `${m}${i}`)[0] ?? -1);
/** Every process with the marker in its arguments: the descendants, python, bwrap and its init. */
export const anyWith = (m: string): number[] => pidsWhere((a) => a.startsWith(m));
