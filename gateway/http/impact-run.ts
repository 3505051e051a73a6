/**
 * Policy impact inside the running gateway, for the API and the console: the running tree with
 * the given files changed, replayed against the live database, one analysis at a time.
 */
import { z } from '@hono/zod-openapi';
import { OverlaySchema, candidateEvaluator, withOverlay } from '../impact/candidate.ts';
import { analyseImpact, impactGate } from '../impact/replay.ts';
import type { LiveImpact } from '../schema/impact.ts';
import { windowOf } from '../impact/window.ts';
import { recordAudit } from '../lifecycle/audit.ts';
import { sha256Hex } from '../schema/canonical-json.ts';
import { InterlockError, PolicyCompileError } from '../schema/errors.ts';
import type { Services } from './services.ts';

export const ImpactRequestSchema = z
  .strictObject({
    policies: OverlaySchema.optional().describe(
      'Files of the policy tree to replace or add (path relative to the tree → content), or remove (null)',
    ),
    invariants: OverlaySchema.optional().describe('The same for the invariants folder'),
    from: z
      .string()
      .max(64)
      .optional()
      .describe('Audit sequence number, duration back from now (7d, 12h) or ISO time; inclusive'),
    to: z.string().max(64).optional().describe('The same, exclusive'),
    examples: z.number().int().min(0).max(100).default(10),
    limit: z.number().int().min(1).max(100_000).default(20_000),
  })
  .openapi('PolicyImpactRequest');

export type ImpactRequest = z.infer<typeof ImpactRequestSchema>;

/** One replay at a time per gateway: it is CPU work on the process that serves decisions. */
let running = false;

/**
 * liveImpact compiles the candidate and replays the window; a candidate that does not compile
 * is a failure with the compiler's locations. Every run that replays is audited.
 */
export async function liveImpact(
  s: Services,
  actor: string,
  body: ImpactRequest,
): Promise<LiveImpact> {
  const window = windowOf(
    { field: 'from', value: body.from },
    { field: 'to', value: body.to },
    s.deps.now(),
  );
  if (running) throw new InterlockError('conflict', 'a policy impact analysis is already running');
  running = true;
  const started = performance.now();
  try {
    const changes = {
      ...(body.policies ? { policies: body.policies } : {}),
      ...(body.invariants ? { invariants: body.invariants } : {}),
    };
    let evaluator;
    try {
      evaluator = await withOverlay(s.policyTree, changes, candidateEvaluator);
    } catch (err) {
      if (!(err instanceof PolicyCompileError || isPolicyDataError(err))) throw err;
      await recordAudit(s.deps, [
        {
          type: 'policy.impact',
          actor,
          at: s.deps.now(),
          payload: { outcome: 'candidate_failed', error: err.code, files: changedFiles(body) },
        },
      ]);
      return {
        ok: false,
        failure: {
          ok: false,
          error: {
            code: err.code,
            message: err.message,
            locations: err instanceof PolicyCompileError ? err.locations : [],
          },
          digest: s.policy.current?.digest ?? null,
          durationMs: Math.round(performance.now() - started),
        },
      };
    }
    // Compared with the bundle in force, on the same inputs: a reload since a decision was
    // recorded is not the candidate's doing.
    const running = s.policy.current;
    const report = await analyseImpact({
      db: s.deps.db,
      evaluator,
      ...(running ? { baseline: running } : {}),
      window,
      examples: body.examples,
      limit: body.limit,
      pageSize: 250,
    });
    const gate = impactGate(report);
    await recordAudit(s.deps, [
      {
        type: 'policy.impact',
        actor,
        at: s.deps.now(),
        payload: {
          candidate: report.candidate.digest,
          running: s.policy.current?.digest ?? null,
          files: changedFiles(body),
          window: report.window,
          decisions: report.decisions,
          truncated: report.truncated,
          replayed: report.replayed,
          not_replayable: report.notReplayable,
          totals: report.totals,
          mismatched: report.mismatched.count,
          caveats: report.caveats.length,
          gate: gate.ok,
        },
      },
    ]);
    return { ok: true, report: { ...report, gate } };
  } finally {
    running = false;
  }
}

/** The files a request changes, each with the sha256 of its new content (null: removed). */
function changedFiles(body: ImpactRequest): Record<string, Record<string, string | null>> {
  const hashed = (o: Record<string, string | null> | undefined) =>
    Object.fromEntries(
      Object.entries(o ?? {}).map(([f, c]) => [f, c === null ? null : sha256Hex(c)]),
    );
  return { policies: hashed(body.policies), invariants: hashed(body.invariants) };
}

function isPolicyDataError(err: unknown): err is InterlockError {
  return err instanceof InterlockError && err.code === 'policy_data_invalid';
}
