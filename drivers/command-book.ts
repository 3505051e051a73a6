/**
 * The commands an in-process driver has run or is running: what a repeat of a completed
 * command is answered with, status lookups, aborting one command, and the kill switch.
 */
import type { CommandStatus, ExecutionResult } from '../gateway/schema/driver.ts';

export class CommandBook {
  readonly #running = new Map<string, AbortController>();
  readonly #settled = new Map<string, CommandStatus>();

  /** The result of a command that completed, to answer a repeat without running it again. */
  completed(id: string): ExecutionResult | undefined {
    const s = this.#settled.get(id);
    return s?.status === 'completed'
      ? { status: 'completed', ...(s.output ? { output: s.output } : {}) }
      : undefined;
  }

  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  /** Tracks a running command; its controller also aborts when the caller's signal does. */
  begin(id: string, signal: AbortSignal): { controller: AbortController; end(): void } {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) controller.abort(signal.reason);
    this.#running.set(id, controller);
    return {
      controller,
      end: () => {
        signal.removeEventListener('abort', onAbort);
        this.#running.delete(id);
      },
    };
  }

  settle(id: string, status: CommandStatus): void {
    this.#settled.set(id, status);
  }

  status(id: string): CommandStatus {
    if (this.#running.has(id)) return { status: 'in_progress' };
    return this.#settled.get(id) ?? { status: 'not_found' };
  }

  abort(id: string, reason = 'aborted'): void {
    this.#running.get(id)?.abort(new Error(reason));
  }

  /** Aborts everything running; returns how many. */
  abortAll(reason: string): number {
    for (const c of this.#running.values()) c.abort(new Error(reason));
    return this.#running.size;
  }

  get runningCount(): number {
    return this.#running.size;
  }
}
