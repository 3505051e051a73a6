/** The policy bundle in force, and reloading it on request. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { recordAudit } from '../../lifecycle/audit.ts';
import { ImpactRequestSchema, liveImpact } from '../impact-run.ts';
import { shellAnalysisOf } from '../../policy/wasm-policy.ts';
import { reloadAuditPayload } from '../../policy/reload-audit.ts';
import { PolicySealInfoSchema } from '../../schema/policy-seal.ts';
import { requireRole } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';
import { ErrorSchema, errors, json } from '../schemas.ts';

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
    seal: PolicySealInfoSchema.optional(),
  })
  .openapi('PolicyReloaded');

const ReloadFailedSchema = z
  .object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), locations: z.array(LocationSchema) }),
    /** The bundle that stays in force (null when none has ever loaded). */
    digest: z.string().nullable(),
    /** The refused tree's digest, when its sources could be read. */
    candidate: z.string().optional(),
    durationMs: z.number(),
  })
  .openapi('PolicyReloadFailed');

const PolicyStatusSchema = z
  .object({
    digest: z.string().nullable(),
    shellAnalysis: z.enum(['host', 'policy']).nullable(),
    /**
     * Whether the gateway loads only sealed trees (`policy.requireSignature`), whom it trusts,
     * and the seal of the bundle in force.
     */
    signature: z.object({
      required: z.boolean(),
      trusted: z.array(z.string()),
      seal: PolicySealInfoSchema.nullable(),
    }),
    lastReload: z.union([ReloadedSchema, ReloadFailedSchema]).nullable(),
  })
  .openapi('PolicyStatus');

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
          'Its digest and seal, who analyses shell lines, and the latest reload',
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
          signature: {
            required: s.policySignature !== undefined,
            trusted: s.policySignature?.trusted ?? [],
            seal: s.policy.seal ?? null,
          },
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
      const result = await s.policy.reload('request');
      await recordAudit(s.deps, [
        {
          type: 'policy.reload',
          actor: c.get('principal').id,
          at: s.deps.now(),
          payload: reloadAuditPayload(result, before, 'request'),
        },
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
        422: json(
          z.union([ReloadFailedSchema, ErrorSchema]),
          'The candidate does not compile (with its locations), or a field failed validation',
        ),
        409: errors[409],
        413: errors[413],
        400: errors[400],
        401: errors[401],
        403: errors[403],
      },
    }),
    async (c) => {
      const r = await liveImpact(s, c.get('principal').id, c.req.valid('json'));
      return r.ok ? c.json(r.report, 200) : c.json(r.failure, 422);
    },
  );
}
