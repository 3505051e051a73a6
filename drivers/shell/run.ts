/**
 * Running one spawn vector to its end: no shell, stdin closed, both outputs captured under a
 * cap, a wall-time limit, an abort signal, and a kill that reaches the whole process tree.
 *
 * The child is spawned detached, so it leads its own process group. Killing means SIGKILL to
 * that group and to every process found below the child in /proc at that moment. Under bwrap
 * the child is the outer bwrap; below it, the sandbox's PID 1 (bwrap's init), which carries
 * PR_SET_PDEATHSIG from --die-with-parent; when that init dies the kernel kills everything
 * left in the PID namespace, including setsid and double-forked descendants.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { StreamCapture, type CapturedStream } from './output.ts';
import type { SpawnVector } from './sandbox.ts';

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  capBytes: number;
  signal: AbortSignal;
  /**
   * How long to wait for the pipes to close once the child has exited (a leftover may hold them).
   */
  drainMs?: number;
}

export interface RunResult {
  /**
   * How it ended: on its own, killed at the wall-time limit, killed by an abort, or never started.
   */
  ended: 'exit' | 'timeout' | 'abort' | 'spawn_error';
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: CapturedStream;
  stderr: CapturedStream;
  /** Set when the process could not be started. */
  error?: Error;
  durationMs: number;
}

/** Parent pid of every process in /proc (a process that vanishes while being read is skipped). */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

/** Every process below `pid` in the process tree right now. */
export function descendantsOf(pid: number): number[] {
  const children = parentMap();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

const killQuietly = (pid: number): void => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/** SIGKILL for the process group led by `pid` and for every descendant of `pid`. */
export function killTree(pid: number): void {
  const below = descendantsOf(pid);
  killQuietly(-pid);
  for (const p of below) killQuietly(p);
}

export async function runVector(v: SpawnVector, o: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const out = new StreamCapture(o.capBytes);
  const err = new StreamCapture(o.capBytes);
  const result = (
    ended: RunResult['ended'],
    exitCode: number | null,
    signal: NodeJS.Signals | null,
    error?: Error,
  ): RunResult => ({
    ended,
    exitCode,
    signal,
    stdout: out.result(),
    stderr: err.result(),
    ...(error ? { error } : {}),
    durationMs: performance.now() - started,
  });
  if (o.signal.aborted) return result('abort', null, null);

  const child = spawn(v.file, v.args, {
    ...(v.runAs ?? {}),
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    shell: false,
    windowsHide: true,
  });
  const pid = child.pid;
  let killedFor: 'timeout' | 'abort' | undefined;
  const kill = (why: 'timeout' | 'abort'): void => {
    if (killedFor || pid === undefined || child.exitCode !== null || child.signalCode !== null)
      return;
    killedFor = why;
    killTree(pid);
  };
  const timer = setTimeout(() => kill('timeout'), o.timeoutMs);
  const onAbort = (): void => kill('abort');
  o.signal.addEventListener('abort', onAbort, { once: true });

  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const closed = (s: NodeJS.ReadableStream & { closed?: boolean }): Promise<void> =>
    new Promise((resolve) => {
      if (s.closed) resolve();
      else s.once('close', () => resolve());
    });
  const pipesClosed = Promise.all([closed(child.stdout), closed(child.stderr)]);

  try {
    const exit = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      error?: Error;
    }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => {
        // Whatever is left in the child's process group goes with it (under bwrap the kernel has
        // already emptied the PID namespace by now; without it, this is the best there is).
        if (pid !== undefined) killQuietly(-pid);
        resolve({ code, signal });
      });
    });
    // A leftover holding the pipes open must not hold the result: wait a little, then stop reading.
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      pipesClosed,
      new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, o.drainMs ?? 250))),
    ]);
    clearTimeout(drainTimer);
    child.stdout.destroy();
    child.stderr.destroy();
    if (exit.error) return result('spawn_error', null, null, exit.error);
    return result(killedFor ?? 'exit', exit.code, exit.signal);
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
  }
}
