/**
 * Rolling a target back to the checkpoint taken before an action ran. The driver names the
 * action that does it; that action is proposed by the person asking and decided by policy like
 * any other write, so a rollback can never skip the decision it is meant to undo.
 */
import { InterlockError } from '../schema/errors.ts';
import type { Principal } from '../schema/principal.ts';
import type { Deps } from './deps.ts';
import { loadAction, propose, type ProposeResult } from './propose.ts';

export async function proposeRollback(
  deps: Deps,
  principal: Principal,
  actionId: string,
): Promise<ProposeResult> {
  const { action } = await loadAction(deps, actionId);
  const checkpoint = action.outcome?.checkpoint;
  if (typeof checkpoint !== 'string')
    throw new InterlockError(
      'conflict',
      `action ${actionId} has no checkpoint: it did not run, or its target keeps none`,
      { field: 'id' },
    );
  const driver = deps.targets.get(action.target)?.driver;
  const rollback = driver?.rollbackAction?.({ id: checkpoint });
  if (!rollback)
    throw new InterlockError(
      'conflict',
      `target ${action.target} has no rollback for checkpoint ${checkpoint} (it keeps no checkpoints, or no longer keeps this one)`,
      { field: 'target' },
    );
  return propose(
    deps,
    principal,
    {
      target: action.target,
      kind: rollback.kind,
      params: rollback.params,
      rationale: `Roll ${action.target} back to checkpoint ${checkpoint}, taken before action ${actionId} ran`,
    },
    // A second click within the minute returns the first proposal instead of making another;
    // after that (say the first was rejected) the rollback can be proposed again.
    `rollback-${actionId}-${Math.floor(deps.now() / 60_000)}`,
    actionId,
  );
}
