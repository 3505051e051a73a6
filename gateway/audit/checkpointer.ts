/**
 * Makes checkpoints on schedule: as soon as `every` records are waiting, or when `intervalMs`
 * has passed since the last one and anything is waiting. A cheap poll of the chain head
 * decides; on stop, whatever is waiting is signed.
 */
import type { Db } from '../store/db.ts';
import type { Signer } from '../signing/signer.ts';
import { checkWitness, createCheckpoint, lastCheckpoint } from './checkpoint.ts';
import { VerificationError } from '../schema/errors.ts';
import type { CheckpointWitness } from './witness.ts';
import { headRow, MissingHeadError, requireHeadSeq } from '../store/audit-log.ts';

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
  private lastError: string | undefined;
  /**
   * The chain heads this process saw (seq → hash) that no checkpoint covers yet. A record
   * written once never changes, so each must still be there when it is signed: rewriting the
   * unsigned records (after stalling the signer, say) is caught while this process lives.
   */
  private readonly observed = new Map<number, string>();
  private highestSeen = 0;

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
      await this.signWaiting(force);
      this.lastError = undefined;
    } catch (err) {
      // Another replica may have signed the same range first: pick up its checkpoint and go on.
      // Never for a verification problem (a forged or missing checkpoint, a witness that cannot
      // be written): that is reported, even though the newest row may look further along.
      const last = await lastCheckpoint(this.db).catch(() => undefined);
      if (!(err instanceof VerificationError) && last && last.body.to_seq > this.signedTo) {
        this.signedTo = last.body.to_seq;
        return;
      }
      // Once per distinct problem, not every poll.
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) this.options.onError?.(err);
      this.lastError = message;
    }
  }

  /** Checks the witness (every poll), then signs whatever is due. */
  private async signWaiting(force: boolean): Promise<void> {
    // Every poll, not only when signing: a replica remembers what the others signed within
    // one poll, so deleting their newest checkpoints cannot go unnoticed here either.
    await this.observeHead();
    if (this.options.witness) await checkWitness(this.db, this.signer, this.options.witness);
    for (;;) {
      const waiting = (await requireHeadSeq(this.db)) - this.signedTo;
      if (waiting <= 0) return;
      const due =
        force ||
        waiting >= this.options.every ||
        this.now() - this.signedAt >= this.options.intervalMs;
      if (!due) return;
      const made = await createCheckpoint(this.db, this.signer, {
        maxRecords: this.options.every,
        observed: this.observed,
        ...(this.options.now ? { now: this.options.now } : {}),
        ...(this.options.witness ? { witness: this.options.witness } : {}),
      });
      if (!made) return;
      this.signedTo = made.body.to_seq;
      for (const seq of this.observed.keys())
        if (seq <= made.body.to_seq) this.observed.delete(seq);
      this.signedAt = this.now();
    }
  }

  /** Remembers the head; the same seq with another hash is a rewrite, reported at once. */
  private async observeHead(): Promise<void> {
    const head = await headRow(this.db);
    if (!head) throw new VerificationError(new MissingHeadError().message);
    const seq = head.seq;
    const before = this.observed.get(seq);
    if (before !== undefined && before !== head.hash)
      throw new VerificationError(
        `the head of the audit log (record ${seq}) changed its hash: records were rewritten; not signing`,
      );
    // The log only grows: a head below one already seen means records were deleted.
    if (seq < this.highestSeen)
      throw new VerificationError(
        `the head of the audit log went back from record ${this.highestSeen} to ${seq}: records were deleted; not signing`,
      );
    this.highestSeen = seq;
    if (seq > this.signedTo) this.observed.set(seq, head.hash);
    // Bounded: between checkpoints a poll adds at most one entry.
    if (this.observed.size > 10_000) this.observed.delete(this.observed.keys().next().value!);
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    if (timer) clearTimeout(timer);
    await this.running;
    await this.tick(true);
  }
}
