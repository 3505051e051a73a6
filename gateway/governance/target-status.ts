/**
 * What a target is doing now, for agents (GET /v1/targets) and the console's Status page: the
 * level in force, the driver and whether it is connected, the state it reports (or why it did
 * not), the work in flight and the breakers open on it.
 */
import { getAutonomy, type AutonomyView } from '../lifecycle/autonomy.ts';
import type { Deps } from '../lifecycle/deps.ts';
import { workInFlight } from '../lifecycle/queries.ts';
import { InterlockError } from '../schema/errors.ts';
import type { BreakerEvent } from '../schema/views.ts';
import { listEvents } from './breakers.ts';

// The target as the lifecycle holds it (governance does not reach the driver registry).
type Target = Deps['targets'] extends Map<string, infer T> ? T : never;

export interface TargetStatus {
  id: string;
  autonomy: AutonomyView;
  driver: string;
  connected: boolean;
  state: Record<string, unknown> | { error: string };
  pending: number;
  executing: number;
  breakers: BreakerEvent[];
}

/** The target's state now, or why it could not be read. */
export async function stateOf(t: Target): Promise<Record<string, unknown> | { error: string }> {
  try {
    return await t.driver.readState();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

type InFlight = Awaited<ReturnType<typeof workInFlight>>;

async function statusOf(
  deps: Deps,
  t: Target,
  counts: InFlight,
  breakers: BreakerEvent[],
): Promise<TargetStatus> {
  const mine = counts.filter((c) => c.target === t.id);
  const sum = (rows: InFlight) => rows.reduce((n, c) => n + Number(c.n), 0);
  return {
    id: t.id,
    autonomy: await getAutonomy(deps, t.id),
    driver: t.driverName,
    connected: t.driver.connected,
    state: await stateOf(t),
    pending: sum(mine.filter((c) => c.status !== 'EXECUTING')),
    executing: sum(mine.filter((c) => c.status === 'EXECUTING')),
    breakers: breakers.filter((b) => b.target === t.id),
  };
}

/** Every configured target, in configuration order. */
export async function targetStatuses(deps: Deps): Promise<TargetStatus[]> {
  const [counts, breakers] = await Promise.all([
    workInFlight(deps),
    listEvents(deps.db, { unresolved: true }),
  ]);
  const out: TargetStatus[] = [];
  for (const t of deps.targets.values()) out.push(await statusOf(deps, t, counts, breakers));
  return out;
}

/** One target; 404 naming the field for an unknown one. */
export async function targetStatus(deps: Deps, id: string): Promise<TargetStatus> {
  const t = deps.targets.get(id);
  if (!t)
    throw new InterlockError(
      'not_found',
      `no target ${id} (known: ${[...deps.targets.keys()].join(', ')})`,
      { field: 'target' },
    );
  const [counts, breakers] = await Promise.all([
    workInFlight(deps),
    listEvents(deps.db, { unresolved: true, target: id }),
  ]);
  return statusOf(deps, t, counts, breakers);
}
