/**
 * Group commit: concurrent requests' transactions commit together. Each request's work runs in
 * its own savepoint inside one shared transaction, so one request's failure undoes only its
 * own writes; the transaction commits once for all of them, which on SQLite with
 * synchronous=FULL is one fsync of the log instead of one per request, and on PostgreSQL one
 * hold of the audit head row per group instead of one per proposal (audit-log.ts, holdHead).
 *
 * A request is answered only after the commit that contains it returned: when the commit (or
 * the database) fails, every member of the group fails with it, including members whose own
 * work succeeded, because none of it is durable.
 */
import { sql } from 'kysely';
import { holdHead, releaseHead, restoreHead, headMark } from './audit-log.ts';
import type { Tx } from './conn.ts';
import type { Db } from './db.ts';

export interface GroupCommitOptions {
  /** How long the first request of a group waits for others to join (0: none). */
  maxWaitMs: number;
  /** At most this many requests commit together; a full group commits at once. */
  maxBatch: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Member {
  work: (trx: Tx) => Promise<unknown>;
  settle: (outcome: Outcome) => void;
}

export interface GroupCommitStats {
  groups: number;
  members: number;
  largest: number;
}

export class GroupCommitter {
  readonly #db: Db;
  readonly #options: GroupCommitOptions;
  #queue: Member[] = [];
  /** Cancels the pending flush (a timer, or an immediate when groups do not wait). */
  #cancelPending: (() => void) | undefined;
  #flushing = false;
  readonly stats: GroupCommitStats = { groups: 0, members: 0, largest: 0 };

  constructor(db: Db, options: GroupCommitOptions) {
    this.#db = db;
    this.#options = options;
  }

  /**
   * run resolves with `work`'s result once the group holding it has committed. `work` must not
   * itself wait on this committer (inGroupTx, recordAudit) nor read through the database handle
   * instead of `trx`: either waits for the group it is part of, and every later request with
   * it. (A guard through AsyncLocalStorage cost a third of the proposal throughput on Node 20,
   * whose promise hooks it switches on.)
   */
  run<T>(work: (trx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        settle: (o) => (o.ok ? resolve(o.value as T) : reject(o.error)),
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#flushing) return; // the running flush picks the queue up when it ends
    if (this.#queue.length >= this.#options.maxBatch) {
      this.#startFlush();
      return;
    }
    if (this.#cancelPending) return;
    const flush = () => {
      this.#cancelPending = undefined;
      this.#startFlush();
    };
    if (this.#options.maxWaitMs > 0) {
      const timer = setTimeout(flush, this.#options.maxWaitMs);
      this.#cancelPending = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(flush);
      this.#cancelPending = () => clearImmediate(immediate);
    }
  }

  #startFlush(): void {
    this.#cancelPending?.();
    this.#cancelPending = undefined;
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const members = this.#queue.splice(0, this.#options.maxBatch);
    void this.#commit(members).finally(() => {
      this.#flushing = false;
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  async #commit(members: Member[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        await holdHead(trx);
        if (members.length === 1) {
          // Alone, the member's failure may roll the whole transaction back: no savepoint.
          outcomes.push({ ok: true, value: await members[0]!.work(trx) });
        } else {
          for (const member of members) outcomes.push(await inSavepoint(trx, member.work));
        }
        await releaseHead(trx);
      });
    } catch (error) {
      // A lone member's own failure lands here too: it gets its own error.
      for (const member of members) member.settle({ ok: false, error });
      return;
    } finally {
      this.stats.groups += 1;
      this.stats.members += members.length;
      this.stats.largest = Math.max(this.stats.largest, members.length);
    }
    members.forEach((member, i) => member.settle(outcomes[i]!));
  }
}

async function inSavepoint(trx: Tx, work: (trx: Tx) => Promise<unknown>): Promise<Outcome> {
  const mark = headMark(trx);
  await sql`savepoint member`.execute(trx);
  try {
    const value = await work(trx);
    await sql`release savepoint member`.execute(trx);
    return { ok: true, value };
  } catch (error) {
    // If this rollback fails the database is gone: the whole group fails (the caller's catch).
    await sql`rollback to savepoint member`.execute(trx);
    await sql`release savepoint member`.execute(trx);
    restoreHead(trx, mark);
    return { ok: false, error };
  }
}
