/** Proposals, dry-run decisions, and the verdicts on one action. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../auth.ts';
import { abortExecuting } from '../../executor/abort.ts';
import { dryRun, loadAction, propose } from '../../lifecycle/propose.ts';
import { approve, end } from '../../lifecycle/verdicts.ts';
import { listActions } from '../../lifecycle/queries.ts';
import { visibleTo } from '../../lifecycle/visibility.ts';
import { InterlockError } from '../../schema/errors.ts';
import { optionalBody } from '../body.ts';
import type { Services } from '../services.ts';
import {
  ActionListSchema,
  ApproveBodySchema,
  DecisionSchema,
  EnvelopeSchema,
  errors,
  IdParamSchema,
  json,
  ListActionsQuerySchema,
  OptionalReasonSchema,
  ProposeResponseSchema,
  ReasonSchema,
  VerdictSchema,
} from '../schemas.ts';

const proposers = requireRole('propose');
const deciders = requireRole('decide');
const anyone = requireRole('read');

export function actionRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  proposalRoutes(app, s);
  verdictRoutes(app, s);
}

/** Proposing and dry-running actions, and reading them. */
function proposalRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/actions',
      summary: 'Propose an action',
      description:
        'Decides the action and records it. An `Idempotency-Key` header (or `idempotencyKey` field) makes a retry return the same action.',
      middleware: [proposers],
      request: {
        body: { content: { 'application/json': { schema: EnvelopeSchema } }, required: true },
      },
      responses: {
        201: json(ProposeResponseSchema, 'The action and its decision'),
        200: json(
          ProposeResponseSchema,
          'A retry with the same Idempotency-Key: the earlier action',
        ),
        ...errors,
      },
    }),
    async (c) => {
      const key = c.req.header('idempotency-key');
      if (key !== undefined && (key.length === 0 || key.length > 200)) {
        throw new InterlockError('validation_failed', 'Idempotency-Key must be 1–200 characters', {
          field: 'Idempotency-Key',
        });
      }
      const result = await propose(s.deps, c.get('principal'), c.req.valid('json'), key);
      if (result.decision.retryAfterSeconds !== undefined)
        c.header('Retry-After', String(result.decision.retryAfterSeconds));
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(
        { action: result.action, decision: result.decision },
        result.replayed ? 200 : 201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/decisions',
      summary: 'Dry-run decision',
      description:
        'Decides as a proposal would, against the live context; stores nothing but an audit record.',
      middleware: [proposers],
      request: {
        body: { content: { 'application/json': { schema: EnvelopeSchema } }, required: true },
      },
      responses: { 200: json(DecisionSchema, 'The decision'), ...errors },
    }),
    async (c) => c.json(await dryRun(s.deps, c.get('principal'), c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/actions',
      summary: 'List actions, newest first',
      middleware: [anyone],
      request: { query: ListActionsQuerySchema },
      responses: { 200: json(ActionListSchema, 'A page of actions'), ...errors },
    }),
    async (c) => {
      const page = await listActions(s.deps, c.req.valid('query'));
      const reader = c.get('principal');
      return c.json({ ...page, actions: page.actions.map((a) => visibleTo(reader, a)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/actions/{id}',
      summary: 'One action and its decision',
      middleware: [anyone],
      request: { params: IdParamSchema },
      responses: {
        200: json(ProposeResponseSchema, 'The action'),
        ...errors,
      },
    }),
    async (c) => {
      const loaded = await loadAction(s.deps, c.req.valid('param').id);
      return c.json({ ...loaded, action: visibleTo(c.get('principal'), loaded.action) }, 200);
    },
  );
}

/** Approving, rejecting, vetoing, cancelling and aborting an action. */
function verdictRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/actions/{id}/approve',
      summary: 'Approve a pending action',
      description:
        'Counts once per person; the proposer cannot approve. With `digest`, the approval is refused unless it matches the action.',
      middleware: [deciders],
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: ApproveBodySchema } }, required: false },
      },
      responses: { 200: json(VerdictSchema, 'The verdict was recorded'), ...errors },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const body = await optionalBody(c.req, ApproveBodySchema);
      const verdict = await approve(s.deps, c.get('principal'), id, body);
      return c.json(
        {
          ...verdict,
          action: visibleTo(c.get('principal'), (await loadAction(s.deps, id)).action),
        },
        200,
      );
    },
  );

  for (const how of ['reject', 'veto'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/actions/{id}/${how}`,
        summary: how === 'reject' ? 'Reject a pending action' : 'Veto an action in its veto window',
        middleware: [deciders],
        request: {
          params: IdParamSchema,
          body: { content: { 'application/json': { schema: ReasonSchema } }, required: true },
        },
        responses: { 200: json(VerdictSchema, 'The verdict was recorded'), ...errors },
      }),
      async (c) => {
        const id = c.req.valid('param').id;
        const verdict = await end(s.deps, c.get('principal'), id, how, c.req.valid('json'));
        return c.json(
          {
            ...verdict,
            action: visibleTo(c.get('principal'), (await loadAction(s.deps, id)).action),
          },
          200,
        );
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/actions/{id}/cancel',
      summary: 'Cancel an action that has not started',
      description: 'The proposer may cancel its own action; operators and admins any.',
      middleware: [proposers],
      request: {
        params: IdParamSchema,
        body: {
          content: { 'application/json': { schema: OptionalReasonSchema } },
          required: false,
        },
      },
      responses: { 200: json(VerdictSchema, 'Cancelled'), ...errors },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const body = await optionalBody(c.req, OptionalReasonSchema);
      const verdict = await end(s.deps, c.get('principal'), id, 'cancel', body);
      return c.json(
        {
          ...verdict,
          action: visibleTo(c.get('principal'), (await loadAction(s.deps, id)).action),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/actions/{id}/abort',
      summary: 'Abort an executing action',
      middleware: [deciders],
      request: {
        params: IdParamSchema,
        body: {
          content: { 'application/json': { schema: OptionalReasonSchema } },
          required: false,
        },
      },
      responses: {
        202: json(ProposeResponseSchema, 'The abort was signalled; the outcome follows'),
        ...errors,
      },
    }),
    async (c) => c.json(await abortExecuting(s.deps, s.executor, c.req.valid('param').id), 202),
  );
}
