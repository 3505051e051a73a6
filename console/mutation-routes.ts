/**
 * State changes, as the logged-in person: the same lifecycle functions and body schemas as the
 * HTTP API (gateway/schema/bodies.ts), so the two doors cannot disagree.
 */
import { abortExecuting } from '../gateway/executor/abort.ts';
import { resolveEvent } from '../gateway/governance/breakers.ts';
import { optionalBody } from '../gateway/http/body.ts';
import type { Services } from '../gateway/http/services.ts';
import { acknowledge, acknowledgeMany } from '../gateway/lifecycle/acknowledge.ts';
import { setAutonomy } from '../gateway/lifecycle/autonomy.ts';
import { approveBatch } from '../gateway/lifecycle/batches.ts';
import { engage, rearm } from '../gateway/lifecycle/estop.ts';
import { loadAction } from '../gateway/lifecycle/propose.ts';
import { proposeRollback } from '../gateway/lifecycle/rollback.ts';
import { approve, end } from '../gateway/lifecycle/verdicts.ts';
import {
  AcknowledgeManyBodySchema,
  ApproveBodySchema,
  OptionalReasonBodySchema,
  ReasonBodySchema,
  SetAutonomyBodySchema,
} from '../gateway/schema/bodies.ts';
import { actionId, requireAdmin, requireDecider, type ConsoleApp } from './route-helpers.ts';

export function mutationRoutes(app: ConsoleApp, s: Services): void {
  const deps = s.deps;
  const withAction = async (id: string, verdict: object) => ({
    ...verdict,
    action: (await loadAction(deps, id)).action,
  });

  app.post('/api/actions/:id/approve', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    const id = actionId(c.req.param('id'));
    const body = await optionalBody(c.req, ApproveBodySchema);
    return c.json(await withAction(id, await approve(deps, p, id, body)));
  });
  for (const how of ['reject', 'veto'] as const) {
    app.post(`/api/actions/:id/${how}`, async (c) => {
      const p = c.get('session').principal;
      requireDecider(p);
      const id = actionId(c.req.param('id'));
      const body = await optionalBody(c.req, ReasonBodySchema);
      return c.json(await withAction(id, await end(deps, p, id, how, body)));
    });
  }
  app.post('/api/actions/:id/cancel', async (c) => {
    const p = c.get('session').principal;
    const id = actionId(c.req.param('id'));
    const body = await optionalBody(c.req, OptionalReasonBodySchema);
    return c.json(await withAction(id, await end(deps, p, id, 'cancel', body)));
  });
  app.post('/api/actions/:id/abort', async (c) => {
    requireDecider(c.get('session').principal);
    const id = actionId(c.req.param('id'));
    await optionalBody(c.req, OptionalReasonBodySchema);
    return c.json(await abortExecuting(deps, s.executor, id), 202);
  });
  app.post('/api/actions/:id/acknowledge', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    const body = await optionalBody(c.req, OptionalReasonBodySchema);
    return c.json(await acknowledge(deps, p, actionId(c.req.param('id')), body.reason));
  });
  // A group of repeats, all or none: a pending action among them refuses the whole request.
  app.post('/api/actions/acknowledge', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    const body = await optionalBody(c.req, AcknowledgeManyBodySchema);
    return c.json(await acknowledgeMany(deps, p, body.ids, body.reason));
  });
  // As on the API: resolving a breaker is an administrator's call, with a reason.
  app.post('/api/breakers/:id/resolve', async (c) => {
    const p = c.get('session').principal;
    requireAdmin(p);
    const body = await optionalBody(c.req, ReasonBodySchema);
    return c.json(await resolveEvent(deps, p, actionId(c.req.param('id')), body.reason));
  });
  // A proposal like any other, by the person who asked: it is decided by policy.
  app.post('/api/actions/:id/rollback', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    await optionalBody(c.req, OptionalReasonBodySchema);
    return c.json(await proposeRollback(deps, p, actionId(c.req.param('id'))));
  });
  app.post('/api/batches/:id/approve', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    const body = await optionalBody(c.req, OptionalReasonBodySchema);
    return c.json(await approveBatch(deps, p, actionId(c.req.param('id')), body.reason));
  });
  app.post('/api/estop', async (c) => {
    const started = performance.now();
    const p = c.get('session').principal;
    requireDecider(p);
    const body = await optionalBody(c.req, ReasonBodySchema);
    return c.json(await engage(deps, s.executor, p, body.reason, started));
  });
  app.post('/api/estop/rearm', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    const body = await optionalBody(c.req, ReasonBodySchema);
    return c.json(await rearm(deps, p, body.reason));
  });
  app.post('/api/autonomy/:target', async (c) => {
    const p = c.get('session').principal;
    requireDecider(p);
    const body = await optionalBody(c.req, SetAutonomyBodySchema);
    return c.json(await setAutonomy(deps, p, c.req.param('target'), body.level, body.reason));
  });
}
