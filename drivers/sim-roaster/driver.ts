/**
 * The sim-roaster driver: the simulated roaster behind the Driver contract. With a journal
 * file it remembers, across restarts, which commands it received and applied, the way a
 * real controller's command log does; that is what lets the gateway reconcile after a crash.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  DriverRejectedError,
  TransientDriverError,
  type CommandStatus,
  type Driver,
  type DriverCommand,
  type ExecutionResult,
  type TargetState,
  type WriteOptions,
} from '../../gateway/schema/driver.ts';
import {
  advance,
  apply,
  HardwareRefusal,
  initialState,
  safe,
  withSetpoints,
  type RoasterState,
} from './model.ts';

const KEEP_CHECKPOINTS = 256;
const ROLLBACK_KIND = 'roaster.rollback';

export const SimRoasterOptionsSchema = z.strictObject({
  /** The mode the roaster starts in when it has no journal. */
  mode: z.enum(['OFF', 'PREHEATING', 'RUNNING', 'COOLING']).default('OFF'),
  /** Simulated seconds per real second. */
  timeScale: z.number().positive().max(1000).default(1),
  /** How long the controller takes to apply a command. */
  latencyMs: z.number().int().nonnegative().max(600_000).default(0),
  /** JSON-lines command journal; without it the roaster forgets everything on restart. */
  journalFile: z.string().min(1).optional(),
  /** Fault injection, for drills: the controller fails to reach its safe state. */
  faults: z
    .strictObject({
      safeState: z.boolean().default(false),
      /** The first N command writes fail with a transient error (a flaky link). */
      transientWrites: z.number().int().min(0).max(100).default(0),
      /**
       * The first N command writes are refused by the controller (a fault it reports, not retried).
       */
      rejectWrites: z.number().int().min(0).max(100).default(0),
    })
    .prefault({}),
});

export type SimRoasterOptions = z.input<typeof SimRoasterOptionsSchema>;

type JournalEntry =
  | { id: string; event: 'received'; at: number }
  | { id: string; event: 'applied'; at: number; state: RoasterState }
  | { id: string; event: 'failed'; at: number; message: string }
  | { id: string; event: 'aborted'; at: number }
  | { id: string; event: 'safe_state'; at: number; state: RoasterState };

export class SimRoasterDriver implements Driver {
  readonly name = 'sim-roaster';
  readonly #options: z.output<typeof SimRoasterOptionsSchema>;
  #state: RoasterState;
  #clock: number;
  #connected = false;
  readonly #commands = new Map<string, CommandStatus>();
  readonly #inFlight = new Map<string, AbortController>();
  readonly #now: () => number;
  #transientLeft: number;
  #rejectLeft: number;

  constructor(options: SimRoasterOptions = {}, now: () => number = Date.now) {
    this.#options = SimRoasterOptionsSchema.parse(options);
    this.#now = now;
    this.#state = initialState(this.#options.mode);
    this.#clock = now();
    this.#transientLeft = this.#options.faults.transientWrites;
    this.#rejectLeft = this.#options.faults.rejectWrites;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async connect(): Promise<void> {
    const file = this.#options.journalFile;
    if (file && existsSync(file)) this.#replay(readFileSync(file, 'utf8'));
    this.#clock = this.#now();
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    for (const controller of this.#inFlight.values()) controller.abort();
    this.#connected = false;
  }

  async readState(): Promise<TargetState> {
    this.#requireConnected();
    this.#tick();
    return { ...this.#state };
  }

  async writeCommand(cmd: DriverCommand, { signal }: WriteOptions): Promise<ExecutionResult> {
    this.#requireConnected();
    if (this.#transientLeft > 0) {
      this.#transientLeft--;
      throw new TransientDriverError('controller link timed out (injected fault)');
    }
    const known = this.#commands.get(cmd.id);
    // A repeat of a command this controller already settled is answered, not re-applied.
    if (known && known.status !== 'not_found' && known.status !== 'in_progress')
      return settled(known);
    this.#record({ id: cmd.id, event: 'received', at: this.#now() });
    const controller = new AbortController();
    this.#inFlight.set(cmd.id, controller);
    const abort = AbortSignal.any([signal, controller.signal]);
    try {
      if (this.#options.latencyMs > 0)
        await sleep(this.#options.latencyMs, undefined, { signal: abort });
      if (abort.aborted) throw abort.reason;
      this.#tick();
      if (this.#rejectLeft > 0) {
        this.#rejectLeft--;
        this.#record({
          id: cmd.id,
          event: 'failed',
          at: this.#now(),
          message: 'controller refused the command (injected fault)',
        });
        throw new DriverRejectedError('controller refused the command (injected fault)');
      }
      let next: RoasterState;
      try {
        next =
          cmd.kind === ROLLBACK_KIND
            ? withSetpoints(this.#state, this.#checkpointed(cmd.params.checkpoint), cmd.params)
            : apply(this.#state, cmd.kind, cmd.params);
      } catch (err) {
        if (!(err instanceof HardwareRefusal)) throw err;
        this.#record({ id: cmd.id, event: 'failed', at: this.#now(), message: err.message });
        throw new DriverRejectedError(err.message);
      }
      this.#state = next;
      this.#record({ id: cmd.id, event: 'applied', at: this.#now(), state: next });
      return { status: 'completed', output: { ...next } };
    } catch (err) {
      if (abort.aborted) {
        this.#record({ id: cmd.id, event: 'aborted', at: this.#now() });
        return { status: 'aborted', message: 'aborted before the roaster applied it' };
      }
      throw err;
    } finally {
      this.#inFlight.delete(cmd.id);
    }
  }

  async abortCommand(commandId: string): Promise<void> {
    this.#inFlight.get(commandId)?.abort();
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    if (this.#inFlight.has(commandId)) return { status: 'in_progress' };
    return this.#commands.get(commandId) ?? { status: 'not_found' };
  }

  async safeState(): Promise<void> {
    this.#requireConnected();
    if (this.#options.faults.safeState)
      throw new Error('controller did not acknowledge the safe-state command (injected fault)');
    for (const controller of this.#inFlight.values()) controller.abort();
    this.#tick();
    this.#state = safe(this.#state);
    this.#record({ id: 'safe-state', event: 'safe_state', at: this.#now(), state: this.#state });
  }

  async checkpoint(): Promise<{ id: string }> {
    const id = `cp-${this.#now()}-${++this.#checkpointSeq}`;
    this.#checkpoints.set(id, { ...this.#state });
    // The executor checkpoints before every write: keep the newest only, as a controller would.
    if (this.#checkpoints.size > KEEP_CHECKPOINTS)
      this.#checkpoints.delete(this.#checkpoints.keys().next().value as string);
    return { id };
  }

  /**
   * The checkpoint's setpoints written out, so the decision is on the values that will be set;
   * undefined when the controller no longer keeps that checkpoint.
   */
  rollbackAction(ref: {
    id: string;
  }): { kind: string; params: Record<string, unknown> } | undefined {
    const cp = this.#checkpoints.get(ref.id);
    if (!cp) return undefined;
    return {
      kind: ROLLBACK_KIND,
      params: {
        checkpoint: ref.id,
        power: cp.power,
        fan: cp.fan,
        drum_rpm: cp.drumRpm,
        airflow: cp.airflow,
      },
    };
  }

  #checkpointed(id: unknown): RoasterState {
    const state = typeof id === 'string' ? this.#checkpoints.get(id) : undefined;
    if (!state)
      throw new HardwareRefusal(
        `no checkpoint ${String(id)}: the controller keeps the newest only`,
      );
    return state;
  }

  async restore(ref: { id: string }): Promise<void> {
    const state = this.#checkpoints.get(ref.id);
    if (!state) throw new DriverRejectedError(`no checkpoint ${ref.id}`);
    this.#state = { ...state };
  }

  readonly #checkpoints = new Map<string, RoasterState>();
  #checkpointSeq = 0;

  #tick(): void {
    const now = this.#now();
    const seconds = ((now - this.#clock) / 1000) * this.#options.timeScale;
    this.#clock = now;
    if (seconds > 0) this.#state = advance(this.#state, Math.min(seconds, 3600));
  }

  #requireConnected(): void {
    if (!this.#connected) throw new Error('sim-roaster is not connected');
  }

  #record(entry: JournalEntry): void {
    this.#remember(entry);
    const file = this.#options.journalFile;
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    // Synchronous on purpose: the journal line must be on disk before the command takes effect.
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
  }

  #remember(entry: JournalEntry): void {
    switch (entry.event) {
      case 'received':
        this.#commands.set(entry.id, { status: 'in_progress' });
        break;
      case 'applied':
        this.#commands.set(entry.id, { status: 'completed', output: { ...entry.state } });
        this.#state = entry.state;
        break;
      case 'failed':
        this.#commands.set(entry.id, { status: 'failed', message: entry.message });
        break;
      case 'aborted':
        this.#commands.set(entry.id, { status: 'aborted' });
        break;
      case 'safe_state':
        this.#state = entry.state;
        break;
    }
  }

  #replay(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        this.#remember(JSON.parse(line) as JournalEntry);
      } catch {
        // A torn last line from a crash mid-write: the command never took effect.
      }
    }
    // A command received but never settled before the crash was not applied.
    for (const [id, status] of this.#commands) {
      if (status.status === 'in_progress') this.#commands.set(id, { status: 'aborted' });
    }
  }
}

function settled(status: CommandStatus): ExecutionResult {
  switch (status.status) {
    case 'completed':
      return { status: 'completed', output: status.output };
    case 'failed':
      return { status: 'failed', message: status.message };
    default:
      return { status: 'aborted' };
  }
}
