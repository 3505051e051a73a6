/** The Hono application: middleware order, routes, the OpenAPI document, error mapping. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { recordAudit } from '../lifecycle/audit.ts';
import { describeIssues, fieldIssues } from '../schema/errors.ts';
import { authentication, requireRole } from './auth.ts';
import { frontDoorServer, Waits } from '../mcp/front-door.ts';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { AppEnv } from './env.ts';
import { errorBody, handleError } from './errors.ts';
import { nodeBodyLimit } from './node-body.ts';
import { actionRoutes } from './routes/actions.ts';
import { controlRoutes } from './routes/control.ts';
import { governanceRoutes } from './routes/governance.ts';
import { observeRoutes } from './routes/observe.ts';
import { policyRoutes } from './routes/policies.ts';
import { targetRoutes } from './routes/targets.ts';
import type { Services } from './services.ts';
import { ILL_FORMED_MESSAGE, illFormedField } from '../schema/unicode.ts';
import { finishDocument, methodsByPath, registerPlainRoutes } from './openapi-doc.ts';

/** The methods routes are registered for; any other is answered from the path alone. */
const ROUTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function createApp(s: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Schema failures become 422s naming each field; rejected attempts are audited.
    defaultHook: async (result, c) => {
      if (result.success) return;
      const issues = fieldIssues(result.error.issues);
      const principal = c.get('principal') as AppEnv['Variables']['principal'] | undefined;
      await recordAudit(s.deps, [
        {
          type: 'request.invalid',
          actor: principal?.id ?? 'anonymous',
          payload: { method: c.req.method, path: c.req.path, issues },
        },
      ]);
      return c.json(
        errorBody('validation_failed', describeIssues(issues), issues[0]?.field, issues),
        422,
      );
    },
  });

  const limit = s.deps.config.server.bodyLimitBytes;
  const tooLarge = (c: Context) =>
    c.json(
      errorBody('payload_too_large', `the request body exceeds the ${limit}-byte limit`, '(body)'),
      413,
    );
  const bodies = nodeBodyLimit({
    maxBytes: limit,
    tooLarge,
    readsHere: (path) => path.startsWith('/v1/'),
    otherwise: bodyLimit({ maxSize: limit, onError: tooLarge }),
  });
  app.use('*', bodies.limit);

  app.get('/health', (c) => c.json({ status: 'live' }));
  app.get('/ready', async (c) => {
    const report = await s.ready();
    return c.json(report, report.ready ? 200 : 503);
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
  });
  registerPlainRoutes(app);
  const openApiDocument = () =>
    finishDocument(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Interlock',
          version: '0.1.0',
          description: 'Policy-as-code gateway for actuation',
          license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
        },
        servers: [{ url: 'http://127.0.0.1:8080', description: 'the embedded default' }],
      }),
    );
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  // A method no route serves anywhere (TRACE, QUERY, CONNECT…) is refused before any token is
  // asked for: the answer depends on the path alone. The usual methods pass untouched and meet
  // the not-found handler below when their path does not serve them.
  app.use('*', async (c, next) => {
    if (ROUTED_METHODS.has(c.req.method)) return next();
    return methodNotAllowed(c);
  });

  app.use('/v1/*', authentication(s.deps.db));
  app.use('/v1/*', bodies.read);
  // A lone surrogate anywhere in a JSON body is refused before any route reads it (the Wasm
  // engine is handed UTF-8, which cannot carry one). The parsed body stays cached for the route.
  // After authentication, so only a known token can add the audit record.
  app.use('/v1/*', async (c, next) => {
    if (
      c.req.method === 'GET' ||
      c.req.method === 'HEAD' ||
      !(c.req.header('content-type') ?? '').includes('json')
    )
      return next();
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return next(); // malformed JSON: the route's own validation answers it
    }
    const field = illFormedField(body);
    if (field === undefined) return next();
    const issues = [{ field, message: ILL_FORMED_MESSAGE }];
    const principal = c.get('principal') as AppEnv['Variables']['principal'] | undefined;
    await recordAudit(s.deps, [
      {
        type: 'request.invalid',
        actor: principal?.id ?? 'anonymous',
        payload: {
          method: c.req.method,
          path: c.req.path,
          issues: issues.map((i) => ({ ...i, field: i.field.toWellFormed() })),
        },
      },
    ]);
    return c.json(
      errorBody(
        'validation_failed',
        describeIssues(issues).toWellFormed(),
        field.toWellFormed(),
        issues.map((i) => ({ ...i, field: i.field.toWellFormed() })),
      ),
      422,
    );
  });

  // The MCP front door (Streamable HTTP, stateless: a server per request): every tool call an
  // MCP client makes is a proposal of the token's principal.
  app.use('/mcp', authentication(s.deps.db), requireRole('propose'));
  const mcpWaits = new Waits();
  // POST only: a stateless server has no session to stream to (GET) or to end (DELETE), and
  // clients read a 405 as "no stream offered".
  app.on(['GET', 'DELETE'], '/mcp', (c) => {
    c.header('Allow', 'POST');
    return c.json(
      errorBody('method_not_allowed', `${c.req.method} is not served on /mcp; it serves POST`),
      405,
    );
  });
  app.post('/mcp', async (c) => {
    const server = frontDoorServer(
      s.deps,
      c.get('principal'),
      s.deps.config.mcp,
      mcpWaits,
      c.req.raw.signal,
    );
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: false,
    });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw);
  });

  governanceRoutes(app, s);
  actionRoutes(app, s);
  controlRoutes(app, s);
  observeRoutes(app, s);
  policyRoutes(app, s);
  targetRoutes(app, s);

  // A method a path does not serve (DELETE on a list…) is a 405 naming the methods it does
  // serve, not a 404: the resource exists. The routes are all registered by now.
  let allowedMethods: ((path: string) => string[]) | undefined;
  const methodNotAllowed = (c: Context<AppEnv>) => {
    allowedMethods ??= methodsByPath(openApiDocument());
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0)
      return c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404);
    c.header('Allow', allowed.join(', '));
    return c.json(
      errorBody(
        'method_not_allowed',
        `${c.req.method} is not served on ${c.req.path}; it serves ${allowed.join(', ')}`,
      ),
      405,
    );
  };
  app.notFound(methodNotAllowed);
  app.onError((err, c) =>
    handleError(err, c, (e) => s.log.error({ err: e, path: c.req.path }, 'unhandled error')),
  );
  return app;
}
