/** Batches, the emergency stop and autonomy levels. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { approveBatch, cancelBatch, getBatch, proposeBatch } from '../../lifecycle/batches.ts';
import { visibleTo } from '../../lifecycle/visibility.ts';
import { getAutonomy, setAutonomy } from '../../lifecycle/autonomy.ts';
import { engage, estopStatus, rearm } from '../../lifecycle/estop.ts';
import { requireRole } from '../auth.ts';
import { optionalBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';
import {
  AutonomySchema,
  BatchBodySchema,
  BatchSchema,
  errors,
  EstopSchema,
  IdParamSchema,
  json,
  OptionalReasonSchema,
  ReasonSchema,
  SetAutonomySchema,
  TargetParamSchema,
} from '../schemas.ts';

const proposers = requireRole('propose');
const deciders = requireRole('decide');
const anyone = requireRole('read');

export function controlRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  batchRoutes(app, s);
  stopAndLevelRoutes(app, s);
}

/** Batches: propose, read, cancel, approve. */
function batchRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batches',
      summary: 'Propose a sequence of actions',
      description:
        'Each member is decided and recorded on its own; one denied member blocks the batch. At most `batches.maxActions` (default 10) members.',
      middleware: [proposers],
      request: {
        body: { content: { 'application/json': { schema: BatchBodySchema } }, required: true },
      },
      responses: { 201: json(BatchSchema, 'The batch and its members'), ...errors },
    }),
    async (c) => c.json(await proposeBatch(s.deps, c.get('principal'), c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/batches/{id}',
      summary: 'One batch',
      middleware: [anyone],
      request: { params: IdParamSchema },
      responses: { 200: json(BatchSchema, 'The batch'), ...errors },
    }),
    async (c) => {
      const batch = await getBatch(s.deps, c.req.valid('param').id);
      const reader = c.get('principal');
      return c.json({ ...batch, actions: batch.actions.map((a) => visibleTo(reader, a)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batches/{id}/cancel',
      summary: 'Cancel a batch: the kill switch',
      description:
        'Members not started are cancelled (skipped); the member running is aborted and its process killed. The proposer, an operator or an admin may cancel.',
      middleware: [proposers],
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: ReasonSchema } }, required: true },
      },
      responses: { 200: json(BatchSchema, 'The batch after cancelling'), ...errors },
    }),
    async (c) =>
      c.json(
        await cancelBatch(
          s.deps,
          s.executor,
          c.get('principal'),
          c.req.valid('param').id,
          c.req.valid('json').reason,
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batches/{id}/approve',
      summary: 'Approve every pending member of a batch',
      middleware: [deciders],
      request: {
        params: IdParamSchema,
        body: {
          content: { 'application/json': { schema: OptionalReasonSchema } },
          required: false,
        },
      },
      responses: { 200: json(BatchSchema, 'The batch after approval'), ...errors },
    }),
    async (c) => {
      const body = await optionalBody(c.req, OptionalReasonSchema);
      return c.json(
        await approveBatch(s.deps, c.get('principal'), c.req.valid('param').id, body.reason),
        200,
      );
    },
  );
}

/** The emergency stop and the autonomy level of each target. */
function stopAndLevelRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/estop',
      summary: 'Emergency stop status',
      middleware: [anyone],
      responses: { 200: json(EstopSchema, 'Status'), ...errors },
    }),
    async (c) => c.json(await estopStatus(s.deps), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/estop',
      summary: 'Engage the emergency stop',
      description:
        'No approval needed. Cancels pending actions, aborts executing ones, drives every target to its safe state.',
      middleware: [deciders],
      request: {
        body: { content: { 'application/json': { schema: ReasonSchema } }, required: true },
      },
      responses: { 200: json(EstopSchema, 'Engaged; per-target safe-state report'), ...errors },
    }),
    async (c) => {
      const started = performance.now();
      return c.json(
        await engage(s.deps, s.executor, c.get('principal'), c.req.valid('json').reason, started),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/estop/rearm',
      summary: 'Rearm after an emergency stop',
      description: 'Needs a reason; every target’s level is capped at L3.',
      middleware: [deciders],
      request: {
        body: { content: { 'application/json': { schema: ReasonSchema } }, required: true },
      },
      responses: { 200: json(EstopSchema, 'Rearmed'), ...errors },
    }),
    async (c) => c.json(await rearm(s.deps, c.get('principal'), c.req.valid('json').reason), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/autonomy/{target}',
      summary: 'The level in force for a target',
      middleware: [anyone],
      request: { params: TargetParamSchema },
      responses: { 200: json(AutonomySchema, 'Level'), ...errors },
    }),
    async (c) => c.json(await getAutonomy(s.deps, c.req.valid('param').target), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/autonomy/{target}',
      summary: 'Change a target’s level',
      description:
        'Operators may lower a level; raising needs admin. Aliases (semi_auto, …) are accepted.',
      middleware: [deciders],
      request: {
        params: TargetParamSchema,
        body: { content: { 'application/json': { schema: SetAutonomySchema } }, required: true },
      },
      responses: { 200: json(AutonomySchema, 'The level now in force'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        await setAutonomy(
          s.deps,
          c.get('principal'),
          c.req.valid('param').target,
          body.level,
          body.reason,
        ),
        200,
      );
    },
  );
}
