/**
 * shell: runs `shell.exec` actions as exactly the decided argv, never through a shell and never
 * re-split. `params = { argv, cwd? }`; argv[0] is an absolute path on the allowlist. Before
 * anything runs, the action digest is recomputed and must equal the decided one. Commands run
 * inside bubblewrap (sandbox.ts): read-only root, private /dev, /proc and /tmp, the workdir as
 * the only writable place, no network unless the target allows it, own PID namespace. The
 * environment is PATH and HOME only; a wall-time limit, an abort or the kill switch kills the
 * whole sandbox; stdout and stderr are capped and hashed in full (output.ts, run.ts).
 */
import { chownSync, existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CommandBook } from '../command-book.ts';
import { actionDigest } from '../../gateway/schema/canonical-json.ts';
import {
  DriverRejectedError,
  type CommandStatus,
  type Driver,
  type DriverCommand,
  type ExecutionResult,
  type TargetState,
  type WriteOptions,
} from '../../gateway/schema/driver.ts';
import { runVector, type RunResult } from './run.ts';
import {
  probeBwrap,
  resolveBwrap,
  spawnVector,
  type SandboxConfig,
  type SandboxMode,
  type SpawnVector,
} from './sandbox.ts';

export { spawnVector, SandboxUnavailableError, type SpawnVector } from './sandbox.ts';

const absolute = z.string().refine((p) => path.isAbsolute(p), 'an absolute path');
const capBytes = z
  .number()
  .int()
  .min(1024)
  .max(64 * 1024 * 1024);

export const ShellOptionsSchema = z
  .strictObject({
    /** Absolute paths of the binaries that may run: argv[0] must be one of them, exactly. */
    allow: z.array(absolute).min(1),
    /**
     * Every command runs inside this directory (or below it); under bwrap the only writable place.
     */
    workdir: absolute,
    timeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
    /**
     * Bytes kept per stream (stdout, stderr); the full stream is still read and hashed. Default 64
     * KiB.
     */
    outputCapBytes: capBytes.optional(),
    /** Older name of outputCapBytes, still read so existing target files load. */
    maxOutputBytes: capBytes.optional(),
    /** The only environment a command sees (besides HOME set to its working directory). */
    path: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    /**
     * `none` is the explicit opt-out: argv runs directly on the host (what that gives up: see
     * #run).
     */
    sandbox: z.enum(['bwrap', 'none']).default('bwrap'),
    /**
     * Whether commands keep the host network (bwrap only; otherwise they get an empty network
     * namespace).
     */
    network: z.boolean().default(false),
    /** The bwrap binary; by default the first bwrap on PATH. */
    bwrapPath: absolute.optional(),
    /**
     * Host paths a command may read besides the system directories (bwrap only). Nothing else
     * of the host is visible: not /home, /root, /var, /run, /srv, /opt nor the gateway's own files.
     */
    readOnlyPaths: z.array(absolute).default([]),
    /**
     * The host user commands run as. Default: 65534:65534 (nobody) when the gateway runs as
     * root, else the gateway's own user. Root is refused: a command as uid 0 owns /proc/sys
     * and every root-only file, capabilities or not.
     */
    runAs: z
      .strictObject({ uid: z.number().int().min(1), gid: z.number().int().min(1) })
      .optional(),
  })
  .refine(
    (o) =>
      o.outputCapBytes === undefined ||
      o.maxOutputBytes === undefined ||
      o.outputCapBytes === o.maxOutputBytes,
    {
      message: 'outputCapBytes and its older name maxOutputBytes disagree; set one',
      path: ['maxOutputBytes'],
    },
  );
export type ShellOptions = z.input<typeof ShellOptionsSchema>;

export const DEFAULT_OUTPUT_CAP = 64 * 1024;

/** What a sandboxed command can read of the host: the system, read-only. */
/** The unprivileged user commands run as when the gateway is root. */
const NOBODY = { uid: 65534, gid: 65534 };

const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

/** Credentials inside those that stay hidden even from a gateway running as root. */
const HIDDEN_PATHS = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssh',
  '/etc/ssl/private',
  '/etc/security/opasswd',
  '/etc/krb5.keytab',
  '/etc/machine-id',
];

const noNul = (s: string): boolean => !s.includes('\0');
// A lone surrogate has no UTF-8 form: exec would get U+FFFD instead of what was decided.
const wellFormed = (s: string): boolean => !/\p{Surrogate}/u.test(s);

export const ShellParamsSchema = z.strictObject({
  argv: z
    .array(z.string().refine(noNul, 'no NUL character').refine(wellFormed, 'well-formed Unicode'))
    .min(1, 'at least the binary'),
  cwd: z
    .string()
    .refine(noNul, 'no NUL character')
    .refine(wellFormed, 'well-formed Unicode')
    .optional(),
});

/** What would run: the decided argv, its binary, the real working directory, the sandbox. */
export type ShellPlan = {
  argv: string[];
  binary: string;
  cwd: string;
  sandbox: SandboxMode;
};

function paramsError(error: z.ZodError): DriverRejectedError {
  // An unknown key (a `command` string from an older caller) is the clearest thing to name.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `params.${k}`).join(', ');
    return new DriverRejectedError(
      `${keys} is not accepted: shell.exec takes { argv: string[], cwd?: string }`,
    );
  }
  const field = ['params', ...issue.path.map(String)].join('.');
  return new DriverRejectedError(`${field}: ${issue.message}`);
}

function verdict(
  r: RunResult,
  timeoutMs: number,
): { status: ExecutionResult['status']; message?: string } {
  if (r.ended === 'abort') return { status: 'aborted', message: 'killed: the action was aborted' };
  if (r.ended === 'timeout')
    return { status: 'failed', message: `killed after ${timeoutMs} ms (wall-time limit)` };
  if (r.ended === 'spawn_error')
    return { status: 'failed', message: `could not start: ${r.error?.message ?? 'unknown error'}` };
  if (r.exitCode === 0) return { status: 'completed' };
  return {
    status: 'failed',
    message: r.signal ? `killed by ${r.signal}` : `exited with code ${String(r.exitCode)}`,
  };
}

export class ShellDriver implements Driver {
  readonly name = 'shell';
  readonly #o: z.output<typeof ShellOptionsSchema>;
  readonly #root: string;
  readonly #cap: number;
  #connected = false;
  /** Set once connect() has found bwrap and seen it build a sandbox. */
  #bwrap: string | undefined;
  readonly #book = new CommandBook();
  readonly #inflight = new Set<Promise<unknown>>();

  readonly #runAs: { uid: number; gid: number } | undefined;

  constructor(options: ShellOptions) {
    this.#o = ShellOptionsSchema.parse(options);
    this.#runAs = this.#o.runAs ?? (process.getuid?.() === 0 ? NOBODY : undefined);
    this.#root = path.resolve(this.#o.workdir);
    this.#cap = this.#o.outputCapBytes ?? this.#o.maxOutputBytes ?? DEFAULT_OUTPUT_CAP;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Refuses to connect when bwrap is wanted but missing or unable to build the sandbox. */
  async connect(): Promise<void> {
    if (!existsSync(this.#root)) throw new Error(`workdir ${this.#root} does not exist`);
    // The workdir is the target's: its commands, running as runAs, must be able to write there.
    if (this.#runAs && process.getuid?.() === 0)
      chownSync(realpathSync(this.#root), this.#runAs.uid, this.#runAs.gid);
    if (this.#o.sandbox === 'bwrap' && this.#bwrap === undefined) {
      const bwrapPath = resolveBwrap(this.#o.bwrapPath);
      await probeBwrap({ ...this.#sandboxConfig(), bwrapPath });
      this.#bwrap = bwrapPath;
    }
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    this.#connected = false;
  }

  async readState(): Promise<TargetState> {
    return {
      mode: 'READY',
      workdir: this.#root,
      running: this.#book.runningCount,
      sandbox: this.#o.sandbox,
      network: this.#o.network,
    };
  }

  #sandboxConfig(): SandboxConfig {
    return {
      mode: this.#o.sandbox,
      ...(this.#bwrap ? { bwrapPath: this.#bwrap } : {}),
      workdir: realpathSync(this.#root),
      network: this.#o.network,
      path: this.#o.path,
      visible: [...SYSTEM_PATHS, ...this.#o.readOnlyPaths].filter((p) => existsSync(p)),
      hidden: HIDDEN_PATHS.filter((p) => existsSync(p)).map((p) => ({
        path: p,
        directory: statSync(p).isDirectory(),
      })),
      ...(this.#runAs ? { runAs: this.#runAs } : {}),
    };
  }

  /**
   * The allowlisted binary a bare program name runs as, when exactly one entry has that base
   * name. The gateway asks once, while it turns a command line into argv, so the argv it
   * decides on already names the file this driver executes.
   */
  resolveProgram(name: string): string | undefined {
    const found = this.#o.allow.filter((b) => path.basename(b) === name);
    return found.length === 1 ? found[0] : undefined;
  }

  /** The plan for a command, or a DriverRejectedError saying why it would not run. */
  plan(params: Record<string, unknown>): ShellPlan {
    const parsed = ShellParamsSchema.safeParse(params);
    if (!parsed.success) throw paramsError(parsed.error);
    const { argv, cwd } = parsed.data;
    const binary = argv[0]!;
    if (!path.isAbsolute(binary))
      throw new DriverRejectedError(`params.argv.0: ${binary} is not an absolute path`);
    if (!this.#o.allow.includes(binary))
      throw new DriverRejectedError(
        `params.argv.0: ${binary} is not an allowed binary (allowed: ${this.#o.allow.join(', ')})`,
      );
    const wanted = cwd !== undefined ? path.resolve(this.#root, cwd) : this.#root;
    // Resolve symlinks too: a link inside the jail must not lead out of it.
    const real = existsSync(wanted) ? realpathSync(wanted) : wanted;
    const rootReal = realpathSync(this.#root);
    if (real !== rootReal && !real.startsWith(rootReal + path.sep))
      throw new DriverRejectedError(`params.cwd: ${String(cwd)} is outside ${this.#root}`);
    if (!existsSync(real))
      throw new DriverRejectedError(`params.cwd: ${String(cwd)} does not exist`);
    return { argv, binary, cwd: real, sandbox: this.#o.sandbox };
  }

  /**
   * The exact spawn call this driver makes for a plan (bwrap and its options, then `--` and the
   * argv).
   */
  spawnVector(plan: ShellPlan): SpawnVector {
    return spawnVector(plan, this.#sandboxConfig());
  }

  async writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult> {
    if (!this.#connected) throw new Error('not connected');
    const known = this.#book.completed(cmd.id);
    if (known) return known;
    if (this.#book.isRunning(cmd.id))
      throw new DriverRejectedError(`command ${cmd.id} is already running`);
    const mismatch = this.#digestMismatch(cmd);
    if (mismatch) {
      this.#book.settle(cmd.id, { status: 'failed', message: mismatch });
      return { status: 'failed', message: mismatch };
    }
    const plan = this.plan(cmd.params);
    const { controller, end } = this.#book.begin(cmd.id, options.signal);
    const running = this.#run(plan, controller.signal);
    this.#inflight.add(running);
    try {
      const r = await running;
      const output = {
        argv: plan.argv,
        cwd: plan.cwd,
        exit_code: r.exitCode,
        ...(r.signal ? { signal: r.signal } : {}),
        stdout: r.stdout.text,
        stderr: r.stderr.text,
        stdout_truncated: r.stdout.truncated,
        stderr_truncated: r.stderr.truncated,
        stdout_sha256: r.stdout.sha256,
        stderr_sha256: r.stderr.sha256,
        sandbox: plan.sandbox,
      };
      const v = verdict(r, this.#o.timeoutMs);
      if (v.status === 'completed') this.#book.settle(cmd.id, { status: 'completed', output });
      else if (v.status === 'aborted') this.#book.settle(cmd.id, { status: 'aborted' });
      else
        this.#book.settle(cmd.id, {
          status: 'failed',
          ...(v.message ? { message: v.message } : {}),
        });
      return { ...v, output };
    } finally {
      this.#inflight.delete(running);
      end();
    }
  }

  /** Why the command does not match its decided digest, or undefined when it does. */
  #digestMismatch(cmd: DriverCommand): string | undefined {
    const refuse = (why: string): string =>
      `the argv does not match the decided action digest (${why}); nothing was run`;
    if (!cmd.digest) return refuse('no digest was passed');
    if (cmd.target === undefined) return refuse('no target was passed to recompute it');
    let recomputed: string;
    try {
      recomputed = actionDigest(cmd.kind, cmd.target, cmd.params);
    } catch (e) {
      return refuse(`the params have no canonical form: ${(e as Error).message}`);
    }
    return recomputed === cmd.digest
      ? undefined
      : refuse(`recomputed ${recomputed}, decided ${cmd.digest}`);
  }

  #run(plan: ShellPlan, signal: AbortSignal): Promise<RunResult> {
    // `sandbox: none` (the explicit opt-out) runs argv directly: still no shell, still its own
    // process group, still the scrubbed environment and the cwd jail, but it gives up the rest.
    // Writes anywhere the gateway's user may write, network, /tmp shared with the host, and
    // the kill reaches only the process group and whatever is still below the child in the
    // process tree: a double-forked daemon (or one that left the group and was reparented)
    // survives both the kill and a normal exit.
    return runVector(this.spawnVector(plan), {
      // Under bwrap the command's directory is set inside the sandbox (--chdir).
      cwd: this.#o.sandbox === 'bwrap' ? '/' : plan.cwd,
      // bwrap clears and sets the command's environment itself; PWD is what bwrap also sets.
      env: { PATH: this.#o.path, HOME: plan.cwd, PWD: plan.cwd },
      timeoutMs: this.#o.timeoutMs,
      capBytes: this.#cap,
      signal,
    });
  }

  async abortCommand(commandId: string): Promise<void> {
    this.#book.abort(commandId);
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    return this.#book.status(commandId);
  }

  /** The kill switch: every running command's sandbox is killed; resolves once they have ended. */
  async safeState(): Promise<void> {
    this.#book.abortAll('emergency stop');
    await Promise.allSettled([...this.#inflight]);
  }
}
