/**
 * What one principal may read of an action. An action's output (a shell command's stdout, an
 * MCP tool's result: a file's content, an API's answer) belongs to whoever proposed it and to
 * the people who run the gateway: another agent reads that it ran, its params and the output's
 * digests, not the output itself. Without this, one agent could read through /v1/actions what
 * another agent's tools returned.
 */
import type { Principal } from '../schema/principal.ts';
import type { ActionView } from '../schema/views.ts';

export const WITHHELD_OUTPUT = "withheld: the output of another agent's action";

export function visibleTo(reader: Principal, view: ActionView): ActionView {
  if (reader.role !== 'agent' || view.proposer === reader.id) return view;
  const outcome = view.outcome;
  if (!outcome || !('output' in outcome)) return view;
  return { ...view, outcome: { ...outcome, output: WITHHELD_OUTPUT } };
}
