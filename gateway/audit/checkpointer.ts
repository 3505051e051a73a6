/**
 * Makes checkpoints on schedule: as soon as `every` records are waiting, or when `intervalMs`
 * has passed since the last one and anything is waiting. A cheap poll of the chain head
 * decides; on stop, whatever is waiting is signed.
 */
import type { Db } from '../store/db.ts';
import type { Signer } from '../signing/signer.ts';
import { createCheckpoint, lastCheckpoint } from './checkpoint.ts';
import type { CheckpointWitness } from './witness.ts';

export interface CheckpointerOptions {
  every: number;
  intervalMs: number;
  pollMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
  witness?: CheckpointWitness;
}

export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private signedTo = -1;
  private signedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly signer: Signer,
    private readonly options: CheckpointerOptions,
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    const last = await lastCheckpoint(this.db);
    this.signedTo = last?.body.to_seq ?? 0;
    this.signedAt = last ? Date.parse(last.body.signed_at) : this.now();
    const poll = (): void => {
      void this.tick(false).finally(() => {
        if (this.timer) this.timer = setTimeout(poll, this.options.pollMs ?? 250);
      });
    };
    this.timer = setTimeout(poll, this.options.pollMs ?? 250);
  }

  /** One scheduling decision; `force` signs whatever is waiting. */
  tick(force: boolean): Promise<void> {
    // Never two signers at once in this process; a racing replica loses on the primary key.
    this.running ??= this.run(force).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(force: boolean): Promise<void> {
    try {
      for (;;) {
        const head = await this.db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow();
        const waiting = Number(head.seq) - this.signedTo;
        if (waiting <= 0) return;
        const due = force || waiting >= this.options.every || this.now() - this.signedAt >= this.options.intervalMs;
        if (!due) return;
        const made = await createCheckpoint(this.db, this.signer, { maxRecords: this.options.every, ...(this.options.now ? { now: this.options.now } : {}), ...(this.options.witness ? { witness: this.options.witness } : {}) });
        if (!made) return;
        this.signedTo = made.body.to_seq;
        this.signedAt = this.now();
      }
    } catch (err) {
      // Another replica may have signed the same range first: pick up its checkpoint and go on.
      const last = await lastCheckpoint(this.db).catch(() => undefined);
      if (last && last.body.to_seq > this.signedTo) {
        this.signedTo = last.body.to_seq;
        return;
      }
      this.options.onError?.(err);
    }
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    if (timer) clearTimeout(timer);
    await this.running;
    await this.tick(true);
  }
}
