/**
 * The action lifecycle: every status and every allowed transition, in one table.
 * The TLA+ spec in specs/ models the same machine.
 */

import { STATUSES, type Status } from '../schema/status.ts';

export { STATUSES, type Status };

export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  // PROPOSED lives only inside the proposal's transaction, which always decides it: nothing
  // else can see, let alone cancel, a PROPOSED action.
  PROPOSED: ['DENIED', 'PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'],
  PENDING_APPROVAL: ['APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED'],
  PENDING_VETO: ['APPROVED', 'VETOED', 'CANCELLED'],
  // CANCELLED from APPROVED: an emergency stop, a cancel, or a failed batch predecessor
  // withdraws an approved action that has not started.
  APPROVED: ['EXECUTING', 'BLOCKED', 'CANCELLED'],
  EXECUTING: ['COMPLETED', 'FAILED', 'ABORTED', 'UNKNOWN'],
  UNKNOWN: ['COMPLETED', 'FAILED', 'ABORTED'],
  DENIED: [],
  REJECTED: [],
  EXPIRED: [],
  VETOED: [],
  CANCELLED: [],
  BLOCKED: [],
  COMPLETED: [],
  FAILED: [],
  ABORTED: [],
};

export const PENDING: readonly Status[] = ['PENDING_APPROVAL', 'PENDING_VETO'];
export const TERMINAL: readonly Status[] = STATUSES.filter((s) => TRANSITIONS[s].length === 0);
/** Statuses an action can still be withdrawn from: pending, or approved and not started. */
export const CANCELLABLE: readonly Status[] = STATUSES.filter((s) =>
  TRANSITIONS[s].includes('CANCELLED'),
);

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}
