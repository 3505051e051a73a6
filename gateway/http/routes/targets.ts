/** For agents as much as people: what each target is doing now, and the catalog of kinds. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { targetStatus, targetStatuses } from '../../governance/target-status.ts';
import { InterlockError } from '../../schema/errors.ts';
import { requireRole } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import type { Services } from '../services.ts';
import {
  CatalogSchema,
  errors,
  json,
  TargetListSchema,
  TargetParamSchema,
  TargetStatusSchema,
} from '../schemas.ts';

export function targetRoutes(app: OpenAPIHono<AppEnv>, s: Services): void {
  const readers = requireRole('read');
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/targets',
      summary: 'Every target: level, state, driver, work in flight, open breakers',
      middleware: [readers],
      responses: { 200: json(TargetListSchema, 'The targets, in configuration order'), ...errors },
    }),
    async (c) => c.json({ targets: await targetStatuses(s.deps) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/targets/{target}',
      summary: 'One target: level, state, driver, work in flight, open breakers',
      description:
        'The state is what the driver reports now (or `{ "error": … }` when it cannot be read); decisions read the same.',
      middleware: [readers],
      request: { params: TargetParamSchema },
      responses: { 200: json(TargetStatusSchema, 'The target'), ...errors },
    }),
    async (c) => c.json(await targetStatus(s.deps, c.req.valid('param').target), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/catalog',
      summary: 'The kinds of action the policy in force knows',
      description:
        'Per kind: its params (types and bounds), risk class, constraints (ramps, the states it requires) and effects, from the policy data of the bundle in force.',
      middleware: [readers],
      responses: { 200: json(CatalogSchema, 'The catalog and the bundle it is from'), ...errors },
    }),
    (c) => {
      const policy = s.deps.policy();
      if (!policy) throw new InterlockError('policy_unavailable', 'no policy bundle is loaded');
      return c.json({ policyDigest: policy.digest, kinds: policy.data.catalog }, 200);
    },
  );
}
