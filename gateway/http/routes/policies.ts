/** The policy bundle in force, and reloading it on request. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { OverlaySchema, candidateEvaluator, withOverlay } from '../../impact/candidate.ts';
import { analyseImpact, impactGate } from '../../impact/replay.ts';
import { windowOf } from '../../impact/window.ts';
import { recordAudit } from '../../lifecycle/audit.ts';
import { InterlockError, PolicyCompileError } from '../../schema/errors.ts';
import { shellAnalysisOf } from '../../policy/wasm-policy.ts';
import { requireRole } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';
import { errors, json } from '../schemas.ts';

const LocationSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int().optional(),
  message: z.string(),
});

const ReloadedSchema = z
  .object({
    ok: z.literal(true),
    digest: z.string(),
    changed: z.boolean(),
    fromCache: z.boolean(),
    durationMs: z.number(),
    shellAnalysis: z.enum(['host', 'policy']),
  })
  .openapi('PolicyReloaded');

const ReloadFailedSchema = z
  .object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), locations: z.array(LocationSchema) }),
    /** The bundle that stays in force (null when none has ever loaded). */
    digest: z.string().nullable(),
    durationMs: z.number(),
  })
  .openapi('PolicyReloadFailed');

const PolicyStatusSchema = z
  .object({
    digest: z.string().nullable(),
    shellAnalysis: z.enum(['host', 'policy']).nullable(),
    lastReload: z.union([ReloadedSchema, ReloadFailedSchema]).nullable(),
  })
  .openapi('PolicyStatus');

const ImpactRequestSchema = z
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

const CountsSchema = z.object({
  loosened: z.number().int(),
  tightened: z.number().int(),
  changed: z.number().int(),
});

const ImpactSchema = z
  .looseObject({
    candidate: z.object({ digest: z.string().nullable() }),
    decisions: z.number().int(),
    truncated: z.boolean(),
    replayed: z.number().int(),
    unchanged: z.number().int(),
    totals: CountsSchema,
    byTransition: z.record(z.string(), z.number().int()),
    byKind: z.record(z.string(), CountsSchema),
    byTarget: z.record(z.string(), CountsSchema),
    gate: z.object({ ok: z.boolean(), problems: z.array(z.string()) }),
  })
  .openapi('PolicyImpact');

/** One replay at a time per gateway: it is CPU work on the process that serves decisions. */
let impactRunning = false;

export function policyRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  impactRoute(app, s);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/policies',
      summary: 'The policy bundle in force',
      middleware: [requireRole('read')],
      responses: {
        200: json(
          PolicyStatusSchema,
          'Its digest, who analyses shell lines, and the latest reload',
        ),
        ...errors,
      },
    }),
    (c) => {
      const current = s.policy.current;
      return c.json(
        {
          digest: current?.digest ?? null,
          shellAnalysis: current ? shellAnalysisOf(current) : null,
          lastReload: s.policy.lastReload ?? null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/policies/reload',
      summary: 'Recompile the policy tree and swap it in',
      description:
        'Compiles policies and invariants afresh. On success the new bundle serves every later decision; on a compile error the running bundle keeps serving and the answer (422) lists each error at file:line. Either way the attempt is audited.',
      middleware: [requireRole('administer')],
      responses: {
        200: json(ReloadedSchema, 'The bundle now in force'),
        422: json(
          ReloadFailedSchema,
          'The tree does not compile; the previous bundle stays in force',
        ),
        400: errors[400],
        401: errors[401],
        403: errors[403],
      },
    }),
    async (c) => {
      const before = s.policy.current?.digest ?? null;
      const result = await s.policy.reload();
      const at = s.deps.now();
      const payload = result.ok
        ? { ok: true, before, digest: result.digest, changed: result.changed }
        : {
            ok: false,
            before,
            digest: result.digest,
            error: result.error.message,
            locations: result.error.locations,
          };
      await recordAudit(s.deps, [
        { type: 'policy.reload', actor: c.get('principal').id, at, payload },
      ]);
      return result.ok ? c.json(result, 200) : c.json(result, 422);
    },
  );
}

function impactRoute(app: OpenAPIHono<AppEnv>, s: Services): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/policies/impact',
      summary: 'What a policy change would decide differently',
      description:
        'Replays the recorded decisions of the window (each with the input the engine saw) through the running tree with the given files changed, and reports every decision whose effect, stage, rules or approval count would change. Nothing is loaded or swapped. A candidate that does not compile answers 422 with its errors. One replay runs at a time (409 otherwise); it yields between pages of 250 decisions. Audited.',
      middleware: [requireRole('administer')],
      request: {
        body: { content: { 'application/json': { schema: ImpactRequestSchema } }, required: true },
      },
      responses: {
        200: json(ImpactSchema, 'The changes, by direction, kind, target and transition'),
        422: json(ReloadFailedSchema, 'The candidate does not compile, or the body is invalid'),
        409: errors[409],
        400: errors[400],
        401: errors[401],
        403: errors[403],
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const now = s.deps.now();
      const window = windowOf(
        { field: 'from', value: body.from },
        { field: 'to', value: body.to },
        now,
      );
      if (impactRunning)
        throw new InterlockError('conflict', 'a policy impact analysis is already running');
      impactRunning = true;
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
          return c.json(
            {
              ok: false as const,
              error: {
                code: err.code,
                message: err.message,
                locations: err instanceof PolicyCompileError ? err.locations : [],
              },
              digest: s.policy.current?.digest ?? null,
              durationMs: Math.round(performance.now() - started),
            },
            422,
          );
        }
        const report = await analyseImpact({
          db: s.deps.db,
          evaluator,
          window,
          examples: body.examples,
          limit: body.limit,
          pageSize: 250,
        });
        const gate = impactGate(report, false);
        await recordAudit(s.deps, [
          {
            type: 'policy.impact',
            actor: c.get('principal').id,
            at: s.deps.now(),
            payload: {
              candidate: report.candidate.digest,
              running: s.policy.current?.digest ?? null,
              files: {
                policies: Object.keys(body.policies ?? {}),
                invariants: Object.keys(body.invariants ?? {}),
              },
              window: report.window,
              decisions: report.decisions,
              totals: report.totals,
              mismatched: report.mismatched.count,
            },
          },
        ]);
        return c.json({ ...report, gate }, 200);
      } finally {
        impactRunning = false;
      }
    },
  );
}

function isPolicyDataError(err: unknown): err is InterlockError {
  return err instanceof InterlockError && err.code === 'policy_data_invalid';
}
