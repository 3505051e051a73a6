/**
 * The bubblewrap sandbox a shell command runs in, as pure argument building: the exact
 * file and argument vector handed to spawn, so tests can compare it byte for byte with the
 * decided argv. Plus finding bwrap and probing once that it can really build the namespaces.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

export type SandboxMode = 'bwrap' | 'none';

/** Thrown by connect() when the configured sandbox cannot run here. */
export class SandboxUnavailableError extends Error {
  readonly code = 'sandbox_unavailable';
}

/** What the sandbox needs to know: everything else comes from the plan. */
export interface SandboxConfig {
  mode: SandboxMode;
  /** The bwrap binary (required when mode is bwrap). */
  bwrapPath?: string;
  /** The real path of the jail root: the only writable place inside the sandbox. */
  workdir: string;
  /** Whether the command keeps the host's network namespace. */
  network: boolean;
  /** The PATH the command sees. */
  path: string;
  /** Host paths bound read-only (bwrap): the system directories and the target's readOnlyPaths. */
  visible: readonly string[];
  /** Paths inside those replaced by an empty file or directory (credentials). */
  hidden: readonly { path: string; directory: boolean }[];
  /**
   * The unprivileged host user the command (bwrap itself, under bwrap) runs as. Set when the
   * gateway runs as root: uid 0 without capabilities still owns every root file, including
   * /proc/sys (core_pattern: a way out of any sandbox) and mode-600 secrets under /etc.
   */
  runAs?: { uid: number; gid: number };
}

/** The part of a plan the spawn vector depends on. */
export interface VectorPlan {
  argv: readonly string[];
  cwd: string;
}

export interface SpawnVector {
  file: string;
  args: string[];
  /** The credentials the process is started with (spawn's uid and gid), when not the gateway's. */
  runAs?: { uid: number; gid: number };
}

/**
 * bwrap's options, in order. Mount operations apply in sequence: the system directories
 * read-only first (an empty root, not the host's: no /home, /root, /var, /run and its Unix
 * sockets, nor the gateway's own keys and database), credentials inside them masked, then the
 * private /dev, /proc and /tmp, then the workdir bind, so a workdir under /tmp is bound on top
 * of the private tmpfs instead of being hidden by it.
 */
export function bwrapOptions(c: Omit<SandboxConfig, 'mode' | 'bwrapPath'>, cwd: string): string[] {
  return [
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(c.network ? [] : ['--unshare-net']),
    // bwrap run as root keeps every capability unless told otherwise, and with CAP_SYS_ADMIN
    // the command could simply remount / read-write.
    '--cap-drop',
    'ALL',
    ...c.visible.flatMap((p) => ['--ro-bind', p, p]),
    ...c.hidden.flatMap((h) =>
      h.directory
        ? ['--tmpfs', h.path, '--remount-ro', h.path]
        : ['--ro-bind', '/dev/null', h.path],
    ),
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--bind',
    c.workdir,
    c.workdir,
    // The sandbox's own root (where bwrap made the mount points) is read-only too.
    '--remount-ro',
    '/',
    '--clearenv',
    '--setenv',
    'PATH',
    c.path,
    '--setenv',
    'HOME',
    cwd,
    '--chdir',
    cwd,
  ];
}

/** The exact spawn call for a plan: argv[0] as the file (or after bwrap's `--`), never re-split. */
export function spawnVector(plan: VectorPlan, c: SandboxConfig): SpawnVector {
  const [file, ...args] = plan.argv;
  if (file === undefined) throw new TypeError('empty argv');
  const runAs = c.runAs ? { runAs: c.runAs } : {};
  if (c.mode === 'none') return { file, args, ...runAs };
  if (!c.bwrapPath)
    throw new SandboxUnavailableError('sandbox bwrap needs the path of the bwrap binary');
  return { file: c.bwrapPath, args: [...bwrapOptions(c, plan.cwd), '--', file, ...args], ...runAs };
}

/** The first executable `name` on a PATH-style list, or undefined. */
export function findOnPath(name: string, pathList: string): string | undefined {
  for (const dir of pathList.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const MISSING_HINT =
  'install bubblewrap (Debian: apt-get install bubblewrap); `sandbox: none` in the target options is the explicit opt-out (commands then run unsandboxed)';

/** Resolves the bwrap binary: the explicit option, else the first bwrap on the host PATH. */
export function resolveBwrap(explicit: string | undefined): string {
  if (explicit) {
    if (!existsSync(explicit))
      throw new SandboxUnavailableError(
        `bubblewrap is missing: ${explicit} does not exist; ${MISSING_HINT}`,
      );
    return explicit;
  }
  const found = findOnPath(
    'bwrap',
    `${process.env.PATH ?? ''}${path.delimiter}/usr/bin${path.delimiter}/bin`,
  );
  if (!found)
    throw new SandboxUnavailableError(`bubblewrap is missing: no bwrap on PATH; ${MISSING_HINT}`);
  return found;
}

/**
 * Runs `/bin/true` in exactly the sandbox real commands get, and refuses unless it exits 0:
 * bwrap may be installed yet unable to create namespaces (unprivileged user namespaces off,
 * a container without CAP_SYS_ADMIN).
 */
export async function probeBwrap(c: SandboxConfig, timeoutMs = 10_000): Promise<void> {
  const truePath = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p)) ?? '/bin/true';
  const v = spawnVector({ argv: [truePath], cwd: c.workdir }, c);
  const outcome = await new Promise<{ code: number | null; stderr: string; error?: Error }>(
    (resolve) => {
      let stderr = '';
      const child = spawn(v.file, v.args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH: c.path },
        cwd: '/',
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        ...(v.runAs ?? {}),
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 4096) stderr += d;
      });
      child.on('error', (error) => resolve({ code: null, stderr, error }));
      child.on('close', (code) => resolve({ code, stderr }));
    },
  );
  if (outcome.code !== 0) {
    const why =
      outcome.error?.message ?? (outcome.stderr.trim() || `exit code ${String(outcome.code)}`);
    throw new SandboxUnavailableError(
      `bubblewrap (${c.bwrapPath ?? 'bwrap'}) cannot create the sandbox here: ${why}; ${MISSING_HINT}`,
    );
  }
}
