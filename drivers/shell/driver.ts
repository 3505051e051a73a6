/**
 * shell: runs `shell.exec` actions (the shell-batch document) as argv, never through a shell.
 * Binaries are allowlisted by absolute path; the working directory is jailed under a root;
 * the environment is scrubbed to a fixed PATH; a wall-time limit kills the process; output
 * is capped; stdout and stderr are returned with their sha256 so the audit can bind them.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { CommandBook } from '../command-book.ts';
import { DriverRejectedError, type CommandStatus, type Driver, type DriverCommand, type ExecutionResult, type TargetState, type WriteOptions } from '../../gateway/schema/driver.ts';

export const ShellOptionsSchema = z.strictObject({
  /** Absolute paths of the binaries that may run. */
  allow: z.array(z.string().refine((p) => path.isAbsolute(p), 'an absolute path')).min(1),
  /** Every command runs inside this directory (or below it). */
  workdir: z.string().refine((p) => path.isAbsolute(p), 'an absolute path'),
  timeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
  maxOutputBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** The only environment a command sees (besides HOME set to the workdir). */
  path: z.string().default('/usr/local/bin:/usr/bin:/bin'),
});
export type ShellOptions = z.input<typeof ShellOptionsSchema>;

/** What would run: the parsed argv, the binary it resolves to, and the directory. */
export type ShellPlan = {
  argv: string[];
  binary: string;
  cwd: string;
};

const OPERATORS = /^(\||\|\||&&|;|&|>|>>|<|<<|\$\(|`)$/;

/** Splits a command line into words, honouring quotes; refuses shell syntax rather than guessing. */
export function splitArgv(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let had = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < command.length) cur += command[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      had = true;
    } else if (/\s/.test(ch)) {
      if (cur || had) words.push(cur);
      cur = '';
      had = false;
    } else if ('|;&<>`$'.includes(ch) && !(ch === '$' && command[i + 1] !== '(')) {
      throw new DriverRejectedError(`shell syntax (${ch}) is not run: commands run as one argv, never through a shell`);
    } else if (ch === '\\' && i + 1 < command.length) {
      cur += command[++i];
    } else {
      cur += ch;
    }
  }
  if (quote) throw new DriverRejectedError('unbalanced quote in the command');
  if (cur || had) words.push(cur);
  for (const w of words) if (OPERATORS.test(w)) throw new DriverRejectedError(`shell operator ${w} is not run`);
  if (words.length === 0) throw new DriverRejectedError('empty command');
  return words;
}

const sha256 = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

export class ShellDriver implements Driver {
  readonly name = 'shell';
  readonly #o: z.output<typeof ShellOptionsSchema>;
  readonly #root: string;
  #connected = false;
  readonly #book = new CommandBook();

  constructor(options: ShellOptions) {
    this.#o = ShellOptionsSchema.parse(options);
    this.#root = path.resolve(this.#o.workdir);
  }

  get connected(): boolean {
    return this.#connected;
  }

  async connect(): Promise<void> {
    if (!existsSync(this.#root)) throw new Error(`workdir ${this.#root} does not exist`);
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    this.#connected = false;
  }

  async readState(): Promise<TargetState> {
    return { mode: 'READY', workdir: this.#root, running: this.#book.runningCount };
  }

  /** The plan for a command, or a DriverRejectedError saying why it would not run. */
  plan(params: Record<string, unknown>): ShellPlan {
    if (typeof params.command !== 'string') throw new DriverRejectedError('params.command must be a string');
    const argv = splitArgv(params.command);
    const name = argv[0]!;
    const binary = path.isAbsolute(name) ? name : this.#o.allow.find((b) => path.basename(b) === name);
    if (!binary || !this.#o.allow.includes(binary)) throw new DriverRejectedError(`${name} is not an allowed binary (allowed: ${this.#o.allow.join(', ')})`);
    const wanted = typeof params.cwd === 'string' ? path.resolve(this.#root, params.cwd) : this.#root;
    // Resolve symlinks too: a link inside the jail must not lead out of it.
    const real = existsSync(wanted) ? realpathSync(wanted) : wanted;
    const rootReal = realpathSync(this.#root);
    if (real !== rootReal && !real.startsWith(rootReal + path.sep)) throw new DriverRejectedError(`working directory ${String(params.cwd)} is outside ${this.#root}`);
    if (!existsSync(real)) throw new DriverRejectedError(`working directory ${String(params.cwd)} does not exist`);
    return { argv, binary, cwd: real };
  }

  async writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult> {
    if (!this.#connected) throw new Error('not connected');
    const known = this.#book.completed(cmd.id);
    if (known) return known;
    if (this.#book.isRunning(cmd.id)) throw new DriverRejectedError(`command ${cmd.id} is already running`);
    const plan = this.plan(cmd.params);
    const { controller: ac, end } = this.#book.begin(cmd.id, options.signal);
    try {
      const r = await execa(plan.binary, plan.argv.slice(1), {
        cwd: plan.cwd,
        env: { PATH: this.#o.path, HOME: plan.cwd },
        extendEnv: false,
        shell: false,
        reject: false,
        timeout: this.#o.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: this.#o.maxOutputBytes,
        cancelSignal: ac.signal,
        stdin: 'ignore',
        stripFinalNewline: false,
      });
      const stdout = String(r.stdout ?? '');
      const stderr = String(r.stderr ?? '');
      const output = { argv: plan.argv, cwd: plan.cwd, exit_code: r.exitCode ?? null, stdout_sha256: sha256(stdout), stderr_sha256: sha256(stderr), stdout: stdout.slice(0, 4096), stderr: stderr.slice(0, 4096) };
      if (r.isCanceled) {
        this.#book.settle(cmd.id, { status: 'aborted' });
        return { status: 'aborted', message: 'killed: the action was aborted' };
      }
      if (r.timedOut) {
        const message = `killed after ${this.#o.timeoutMs} ms (wall-time limit)`;
        this.#book.settle(cmd.id, { status: 'failed', message });
        return { status: 'failed', message, output };
      }
      if (r.isMaxBuffer) {
        const message = `output exceeded ${this.#o.maxOutputBytes} bytes; the process was stopped`;
        this.#book.settle(cmd.id, { status: 'failed', message });
        return { status: 'failed', message, output };
      }
      if (r.exitCode !== 0) {
        const message = `exited with code ${r.exitCode ?? 'none'}${r.signal ? ` (${r.signal})` : ''}`;
        this.#book.settle(cmd.id, { status: 'failed', message });
        return { status: 'failed', message, output };
      }
      this.#book.settle(cmd.id, { status: 'completed', output });
      return { status: 'completed', output };
    } finally {
      end();
    }
  }

  async abortCommand(commandId: string): Promise<void> {
    this.#book.abort(commandId);
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    return this.#book.status(commandId);
  }

  /** The kill switch: every running command is killed. */
  async safeState(): Promise<void> {
    this.#book.abortAll('emergency stop');
  }
}
