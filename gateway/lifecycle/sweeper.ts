/**
 * The clock's part of the lifecycle: pending approvals expire; veto windows that pass unvetoed
 * approve.
 */
import { dueForSweep } from '../store/actions.ts';
import { inTx, type Deps } from './deps.ts';
import { transition } from './transition.ts';

export interface SweepResult {
  expired: number;
  approved: number;
}

export async function sweep(deps: Deps): Promise<SweepResult> {
  const now = deps.now();
  const { expiring, vetoPassed } = await dueForSweep(deps.db, now, 500);
  let expired = 0;
  let approved = 0;
  for (const id of expiring) {
    const moved = await inTx(deps, (trx, events) =>
      transition(
        trx,
        {
          id,
          from: 'PENDING_APPROVAL',
          to: 'EXPIRED',
          actor: 'system',
          reason: 'approval timed out',
          at: now,
        },
        events,
      ),
    );
    if (moved) expired++;
  }
  for (const id of vetoPassed) {
    const moved = await inTx(deps, (trx, events) =>
      transition(
        trx,
        {
          id,
          from: 'PENDING_VETO',
          to: 'APPROVED',
          actor: 'system',
          reason: 'veto window passed without a veto',
          set: { approved_at: now },
          at: now,
        },
        events,
      ),
    );
    if (moved) approved++;
  }
  return { expired, approved };
}

/** A repeating timer that never overlaps itself and never lets an error escape. */
export function every(
  ms: number,
  task: () => Promise<unknown>,
  onError: (err: unknown) => void,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}
