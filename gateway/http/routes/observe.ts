/** The audit log, the live event stream, tokens, health and readiness. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { authenticate, createToken } from '../../auth/tokens.ts';
import { revokeToken, rotateToken, tokenEnded } from '../../lifecycle/tokens.ts';
import { bearerOf } from '../auth.ts';
import { auditPage } from '../../lifecycle/queries.ts';
import { requireRole } from '../auth.ts';
import { eventStream } from '../event-stream.ts';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';
import {
  AuditPageSchema,
  AuditQuerySchema,
  errors,
  json,
  RevokedTokenSchema,
  TokenBodySchema,
  TokenNameParamSchema,
  TokenSchema,
} from '../schemas.ts';

export function observeRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit',
      summary: 'Audit records in order',
      middleware: [requireRole('audit')],
      request: { query: AuditQuerySchema },
      responses: {
        200: json(AuditPageSchema, 'A page of records; pass nextCursor as cursor for the next'),
        ...errors,
      },
    }),
    async (c) => c.json(await auditPage(s.deps, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tokens',
      summary: 'Create a bearer token',
      description: 'The token is shown once in the response and stored only as its hash.',
      middleware: [requireRole('administer')],
      request: {
        body: { content: { 'application/json': { schema: TokenBodySchema } }, required: true },
      },
      responses: { 201: json(TokenSchema, 'The new token'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await createToken(s.deps.db, body.name, body.role, c.get('principal').id), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tokens/{name}',
      summary: 'Revoke a token',
      description:
        'The token stops authenticating at once; its console sessions and event streams end. Audited as token.revoked.',
      middleware: [requireRole('administer')],
      request: { params: TokenNameParamSchema },
      responses: { 200: json(RevokedTokenSchema, 'The revoked token'), ...errors },
    }),
    async (c) =>
      c.json(
        await revokeToken(
          s.deps.db,
          s.deps.events,
          c.req.valid('param').name,
          c.get('principal').id,
          s.deps.now(),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tokens/{name}/rotate',
      summary: 'Give a token a new secret',
      description:
        'The old secret stops authenticating at once and its console sessions and event streams end; the new one is shown once. Audited as token.rotated.',
      middleware: [requireRole('administer')],
      request: { params: TokenNameParamSchema },
      responses: { 200: json(TokenSchema, 'The token with its new secret'), ...errors },
    }),
    async (c) =>
      c.json(
        await rotateToken(
          s.deps.db,
          s.deps.events,
          c.req.valid('param').name,
          c.get('principal').id,
          s.deps.now(),
        ),
        200,
      ),
  );

  app.get('/v1/events', requireRole('observe'), (c) =>
    eventStream(c, s.deps.events, {
      now: s.deps.now,
      encode: (e) => ({ event: e.type, data: JSON.stringify(e) }),
      // Revoked or rotated through this process: at once. Through another (the CLI, a replica): at
      // the next idle check.
      endsOn: tokenEnded(c.get('principal').id),
      stillValid: async () =>
        (await authenticate(s.deps.db, bearerOf(c.req.header('authorization')))) !== undefined,
    }),
  );
}
