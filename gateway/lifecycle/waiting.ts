/** How many actions wait for a person: the console's title and the pending-approvals gauge. */
import { countInStatus } from '../store/actions.ts';
import type { Deps } from './deps.ts';
import { PENDING } from './states.ts';

/** waitingCount counts actions pending approval or in a veto window. */
export function waitingCount(deps: Pick<Deps, 'db'>): Promise<number> {
  return countInStatus(deps.db, PENDING);
}
