/** Aborting an executing action, from the API or the console: wherever it runs. */
import type { Deps } from '../lifecycle/deps.ts';
import { loadAction } from '../lifecycle/propose.ts';
import { InterlockError } from '../schema/errors.ts';
import type { Executor } from './executor.ts';

/**
 * Signals this process's executor if the action runs here; otherwise (another replica, an orphan)
 * tells the driver directly.
 */
export async function abortExecuting(
  deps: Deps,
  executor: Pick<Executor, 'abort'>,
  id: string,
): Promise<Awaited<ReturnType<typeof loadAction>>> {
  const { action } = await loadAction(deps, id);
  if (action.status !== 'EXECUTING')
    throw new InterlockError(
      'conflict',
      `action ${id} is ${action.status}, not EXECUTING: nothing to abort (cancel it instead)`,
      { field: 'status' },
    );
  if (!executor.abort(id)) await deps.targets.get(action.target)?.driver.abortCommand(id);
  return loadAction(deps, id);
}
