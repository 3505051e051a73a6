/** The audit payload of a policy load, whatever started it: one shape for every trigger. */
import type { ReloadResult, ReloadTrigger } from './engine.ts';

export function reloadAuditPayload(
  result: ReloadResult,
  before: string | null,
  trigger: ReloadTrigger,
): Record<string, unknown> {
  if (result.ok)
    return {
      ok: true,
      trigger,
      before,
      digest: result.digest,
      changed: result.changed,
      ...(result.seal ? { seal: result.seal } : {}),
    };
  return {
    ok: false,
    trigger,
    before,
    // The bundle that stays in force, and the refused one.
    digest: result.digest,
    ...(result.candidate ? { candidate: result.candidate } : {}),
    code: result.error.code,
    error: result.error.message,
    locations: result.error.locations,
  };
}
