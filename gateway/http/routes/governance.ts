/** Circuit breakers, readiness, the governance cycle and expansion proposals; `/metrics`. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  listEvents,
  listRules,
  patchRule,
  resolveEvent,
  RulePatchSchema,
} from '../../governance/breakers.ts';
import {
  approveProposal,
  getReport,
  listProposals,
  listReports,
  rejectProposal,
  runCycle,
} from '../../governance/cycle.ts';
import { assessReadiness, attest, AttestationBodySchema } from '../../governance/readiness.ts';
import { InterlockError } from '../../schema/errors.ts';
import { requireRole } from '../auth.ts';
import { optionalBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';
import {
  BreakerEventViewSchema,
  errors,
  IdParamSchema,
  json,
  OptionalReasonSchema,
  ReasonSchema,
} from '../schemas.ts';

const admin = requireRole('administer');
const observers = requireRole('observe');

const Obj = z.record(z.string(), z.unknown());
const RuleSchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    condition: z.string(),
    window: z.string(),
    action: z.string(),
    severity: z.string(),
    description: z.string(),
    updatedBy: z.string(),
    updatedAt: z.string(),
  })
  .openapi('BreakerRule');
const EventSchema = BreakerEventViewSchema;
const RuleParamSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'name', in: 'path' } }),
});
const EventsQuerySchema = z.object({
  unresolved: z.enum(['true', 'false']).optional(),
  target: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const TargetQuerySchema = z.object({ target: z.string().min(1).max(128) });
const CycleBodySchema = z.strictObject({ target: z.string().min(1).max(128) });

export function governanceRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  breakerRoutes(app, s);
  readinessRoutes(app, s);
  expansionRoutes(app, s);
}

/** Prometheus metrics, circuit-breaker rules and their events. */
function breakerRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  const g = s.governance;
  app.get('/metrics', async (c) => {
    c.header('content-type', g.metrics.registry.contentType);
    return c.body(await g.metrics.registry.metrics());
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/breakers/rules',
      summary: 'Circuit breaker rules',
      middleware: [observers],
      responses: { 200: json(z.object({ rules: z.array(RuleSchema) }), 'The rules'), ...errors },
    }),
    async (c) => c.json({ rules: await listRules(s.deps.db) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/breakers/rules/{name}',
      summary: 'One rule',
      middleware: [observers],
      request: { params: RuleParamSchema },
      responses: { 200: json(RuleSchema, 'The rule'), ...errors },
    }),
    async (c) => {
      const rule = (await listRules(s.deps.db)).find((r) => r.name === c.req.valid('param').name);
      if (!rule)
        throw new InterlockError('not_found', `no breaker rule ${c.req.valid('param').name}`, {
          field: 'name',
        });
      return c.json(rule, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/breakers/rules/{name}',
      summary: 'Change a rule',
      description:
        'The condition is an expression over windowed metrics: executions, completed, failures, blocked, error_rate, success_rate, max_kind_failures, rollbacks, rollback_rate, critical_incidents, estop_drills.',
      middleware: [admin],
      request: {
        params: RuleParamSchema,
        body: { content: { 'application/json': { schema: RulePatchSchema } }, required: true },
      },
      responses: { 200: json(RuleSchema, 'The rule as changed'), ...errors },
    }),
    async (c) =>
      c.json(
        await patchRule(s.deps, c.get('principal'), c.req.valid('param').name, c.req.valid('json')),
        200,
      ),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/breakers/events',
      summary: 'Breaker events, newest first',
      middleware: [observers],
      request: { query: EventsQuerySchema },
      responses: { 200: json(z.object({ events: z.array(EventSchema) }), 'The events'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(
        {
          events: await listEvents(s.deps.db, {
            ...(q.unresolved ? { unresolved: q.unresolved === 'true' } : {}),
            ...(q.target ? { target: q.target } : {}),
            ...(q.limit ? { limit: q.limit } : {}),
          }),
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/breakers/events/{id}/resolve',
      summary: 'Resolve an event',
      description:
        'Lifts a pause it caused; a lowered level stays lowered until raised on its own.',
      middleware: [admin],
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: ReasonSchema } }, required: true },
      },
      responses: { 200: json(EventSchema, 'The resolved event'), ...errors },
    }),
    async (c) =>
      c.json(
        await resolveEvent(
          s.deps,
          c.get('principal'),
          c.req.valid('param').id,
          c.req.valid('json').reason,
        ),
        200,
      ),
  );
}

/** The readiness checklist and its attestations. */
function readinessRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  const g = s.governance;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/readiness',
      summary: 'The readiness checklist, scored for a target',
      middleware: [observers],
      request: { query: TargetQuerySchema },
      responses: { 200: json(Obj, 'Score, status, blockers and every item'), ...errors },
    }),
    async (c) => {
      const report = await assessReadiness(s.deps, g.checklist, c.req.valid('query').target);
      g.metrics.readiness.set({ target: report.target }, report.ratio);
      return c.json(report, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/readiness/attestations',
      summary: 'Attest a checklist item',
      description:
        'Only the roles the item lists may attest it. The attestation is signed by the gateway and recorded in the audit log.',
      middleware: [observers],
      request: {
        body: {
          content: { 'application/json': { schema: AttestationBodySchema } },
          required: true,
        },
      },
      responses: { 201: json(Obj, 'The signed attestation'), ...errors },
    }),
    async (c) =>
      c.json(
        await attest(s.deps, g.checklist, g.signer, c.get('principal'), c.req.valid('json')),
        201,
      ),
  );
}

/** The governance cycle, its reports and the expansion proposals it makes. */
function expansionRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  const g = s.governance;
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/governance/run-cycle',
      summary: 'Run the governance cycle for a target',
      middleware: [admin],
      request: {
        body: { content: { 'application/json': { schema: CycleBodySchema } }, required: true },
      },
      responses: { 200: json(Obj, 'The cycle report'), ...errors },
    }),
    async (c) => {
      const report = await runCycle(
        s.deps,
        g.checklist,
        c.get('principal'),
        c.req.valid('json').target,
      );
      g.metrics.readiness.set({ target: report.target }, report.readiness.ratio);
      return c.json(report, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/governance/reports',
      summary: 'Cycle reports, newest first',
      middleware: [observers],
      responses: { 200: json(z.object({ reports: z.array(Obj) }), 'The reports'), ...errors },
    }),
    async (c) =>
      c.json({ reports: (await listReports(s.deps)) as unknown as Record<string, unknown>[] }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/governance/reports/{id}',
      summary: 'One cycle report',
      middleware: [observers],
      request: { params: IdParamSchema },
      responses: { 200: json(Obj, 'The report'), ...errors },
    }),
    async (c) =>
      c.json(
        (await getReport(s.deps, c.req.valid('param').id)) as unknown as Record<string, unknown>,
        200,
      ),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/governance/proposals',
      summary: 'Expansion proposals',
      middleware: [observers],
      responses: { 200: json(z.object({ proposals: z.array(Obj) }), 'The proposals'), ...errors },
    }),
    async (c) =>
      c.json(
        { proposals: (await listProposals(s.deps)) as unknown as Record<string, unknown>[] },
        200,
      ),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/governance/proposals/{id}/approve',
      summary: 'Approve an expansion proposal for your role',
      description:
        'Every required role must approve, each by a different person; refused while a breaker event is unresolved. The last approval raises the level.',
      middleware: [observers],
      request: { params: IdParamSchema },
      responses: { 200: json(Obj, 'The proposal'), ...errors },
    }),
    async (c) => {
      const body = await optionalBody(c.req, OptionalReasonSchema);
      return c.json(
        (await approveProposal(
          s.deps,
          c.get('principal'),
          c.req.valid('param').id,
          body.reason,
        )) as unknown as Record<string, unknown>,
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/governance/proposals/{id}/reject',
      summary: 'Reject an expansion proposal',
      middleware: [observers],
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: ReasonSchema } }, required: true },
      },
      responses: { 200: json(Obj, 'The proposal'), ...errors },
    }),
    async (c) =>
      c.json(
        (await rejectProposal(
          s.deps,
          c.get('principal'),
          c.req.valid('param').id,
          c.req.valid('json').reason,
        )) as unknown as Record<string, unknown>,
        200,
      ),
  );
}
