/**
 * The OpenAPI document as clients generate from it: every operation with an operationId and
 * the bearer scheme (except the open probes), a server to call, and the routes that are not
 * JSON (/metrics, the event stream) described too.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';

type Doc = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;
type Operation = { operationId?: string; security?: unknown[] };

/** Routes anyone may call: the probes, the metrics and the document itself. */
const OPEN = new Set(['/health', '/ready', '/metrics', '/openapi.json']);

/** Every route answers a method it does not serve (TRACE, QUERY, …) with 405 and `Allow`. */
const NOT_ALLOWED = {
  405: { description: 'A method this path does not serve; `Allow` names those it does' },
};

/**
 * methodsByPath maps a request path to the methods the document serves on it (HEAD with
 * GET, as Hono answers it), or none when no operation's path template matches.
 */
export function methodsByPath(doc: Pick<Doc, 'paths'>): (path: string) => string[] {
  const templates = Object.entries(doc.paths ?? {}).map(([template, item]) => {
    const methods = Object.keys(item ?? {})
      .filter((m) => HTTP_METHODS.has(m))
      .map((m) => m.toUpperCase());
    if (methods.includes('GET')) methods.push('HEAD');
    const pattern = template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    return { re: new RegExp(`^${pattern}/?$`), methods };
  });
  return (path) => [...new Set(templates.filter((t) => t.re.test(path)).flatMap((t) => t.methods))];
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** An operationId from the method and path: `post /v1/actions/{id}/approve` → `postActionsIdApprove`. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/^\/v1\//, '/')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

export function registerPlainRoutes(app: OpenAPIHono<AppEnv>): void {
  const r = app.openAPIRegistry;
  r.registerPath({
    method: 'get',
    path: '/health',
    summary: 'Liveness: the process answers',
    responses: { 200: { description: '{"status":"live"}' }, ...NOT_ALLOWED },
  });
  r.registerPath({
    method: 'get',
    path: '/ready',
    summary: 'Readiness: a healthy bundle, the database, every driver connected',
    responses: {
      200: { description: 'Ready, with the checks' },
      503: { description: 'Not ready, naming the failing checks' },
      ...NOT_ALLOWED,
    },
  });
  r.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    responses: {
      200: {
        description: 'The metrics',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
      ...NOT_ALLOWED,
    },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/events',
    summary: 'Lifecycle events as Server-Sent Events; ends when the token is revoked or rotated',
    responses: {
      200: {
        description: 'The event stream',
        // One server-sent event: its name and its data, a JSON text (`hello`, then action and
        // stop events).
        content: {
          'text/event-stream': {
            schema: {
              type: 'object',
              properties: {
                event: { type: 'string' },
                data: { type: 'string', contentMediaType: 'application/json' },
                id: { type: 'string' },
                retry: { type: 'integer' },
              },
              required: ['data'],
            },
          },
        },
      },
      401: { description: 'Missing or unknown bearer token' },
      403: { description: 'The token’s role may not watch events' },
    },
  });
}

export function finishDocument(doc: Doc): Doc {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      op.operationId ??= operationIdOf(method, path);
      // An empty list says "no credentials" explicitly; omitted it would read as forgotten.
      op.security ??= OPEN.has(path) ? [] : [{ bearer: [] }];
    }
  }
  return doc;
}
