/**
 * The MCP front door: an MCP server whose tools are the tools of the gateway's `mcp` targets,
 * each call decided like any action. `tools/list` shows a target's tool as `<target>__<tool>`
 * only when the bundle in force has a catalog entry for its kind (`mcp.<target>.<tool>`) that
 * this principal may propose; `tools/call` proposes that kind with the arguments as params,
 * then answers with the upstream's result once it ran, a tool error naming the reasons when it
 * was denied or did not run, or "pending approval: action <id>" when the wait ends first (a
 * retry with the same idempotency key answers with the outcome instead of proposing again).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { loadAction, propose } from '../lifecycle/propose.ts';
import type { Deps } from '../lifecycle/deps.ts';
import { InterlockError } from '../schema/errors.ts';
import { withoutHiddenCharacters } from '../schema/hidden-characters.ts';
import { TERMINAL } from '../lifecycle/states.ts';
import { IdempotencyKeySchema } from '../schema/action.ts';
import { toolKind, type Driver, type UpstreamTool } from '../schema/driver.ts';
import type { Principal } from '../schema/principal.ts';
import type { ActionView } from '../schema/views.ts';

/**
 * tools/call as the SDK's base class parses it before any handler: only the method. The SDK
 * parses a handler's own schema first and answers a failure -32603 (internal error); with this
 * one, its tools/call wrapper does the checking and answers -32602 (invalid params), as JSON-RPC
 * says a request with bad params should be answered.
 */
const AnyToolsCall = z.object({ method: z.literal('tools/call'), params: z.unknown() });

/** Separates the target from the tool in the names clients see. */
export const TOOL_SEPARATOR = '__';

/** A target id or tool name that is one segment of a kind: no dot, no separator. */
const SEGMENT = /^(?!.*__)[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The longest upstream description relayed (a catalog entry's own description replaces it). */
const MAX_DESCRIPTION = 2_000;

/**
 * What clients read about a tool. The catalog entry's description, when the policy gives one,
 * replaces the upstream's: the text an agent acts on is then the one the compliance team
 * reviewed, not whatever the upstream says today. Otherwise the upstream's, capped, with
 * characters that hide text removed.
 */
function describe(entryDescription: string | undefined, upstream: string | undefined) {
  if (entryDescription) return entryDescription;
  if (!upstream) return undefined;
  const visible = withoutHiddenCharacters(upstream);
  return visible.length > MAX_DESCRIPTION ? `${visible.slice(0, MAX_DESCRIPTION)}…` : visible;
}

export interface FrontDoorOptions {
  /** How long a call waits for its approval and execution before answering "pending". */
  waitMs: number;
  /** How often a waiting call sends a progress notification (when the client asked for them). */
  progressEveryMs: number;
  /** Calls one principal may have waiting at once. */
  maxWaitsPerPrincipal: number;
}

/**
 * The calls waiting for their actions, across requests. A wait holds a server, a listener and
 * a timer; without a bound, replaying one idempotency key thousands of times (a replay is not
 * a proposal, so no rate limit counts it) held thousands of them.
 */
export class Waits {
  readonly #actions = new Set<string>();
  readonly #perPrincipal = new Map<string, number>();

  /** Enters a wait, or answers undefined when the action already has one or the principal its share. */
  enter(principal: string, actionId: string, max: number): (() => void) | undefined {
    const held = this.#perPrincipal.get(principal) ?? 0;
    if (this.#actions.has(actionId) || held >= max) return undefined;
    this.#actions.add(actionId);
    this.#perPrincipal.set(principal, held + 1);
    return () => {
      this.#actions.delete(actionId);
      const left = (this.#perPrincipal.get(principal) ?? 1) - 1;
      if (left > 0) this.#perPrincipal.set(principal, left);
      else this.#perPrincipal.delete(principal);
    };
  }

  /** Calls waiting now (for tests and metrics). */
  get size(): number {
    return this.#actions.size;
  }
}

/** One tool a principal can reach, as clients name it, with the kind it is decided as. */
interface Exposed {
  target: string;
  kind: string;
  tool: Tool;
}

/**
 * The tools of one target this principal can reach. The kind must split back into exactly this
 * target and tool: a dot or the separator in either would let one upstream's tool borrow
 * another target's catalog entry.
 */
async function exposedOf(
  deps: Deps,
  principal: Principal,
  target: { id: string; driver: Driver },
): Promise<Exposed[]> {
  const list = target.driver.listTools?.bind(target.driver);
  if (!list || !SEGMENT.test(target.id)) return [];
  const catalog = deps.policy()?.data.catalog ?? {};
  // An upstream that cannot list its tools shows none; the others still do.
  const upstream = await list().catch(() => []);
  const exposed: Exposed[] = [];
  for (const t of upstream) {
    if (!SEGMENT.test(t.name)) continue;
    const kind = toolKind(target.id, t.name);
    const entry = catalog[kind];
    if (!entry) continue;
    if (entry.proposer_roles && !entry.proposer_roles.includes(principal.role as never)) continue;
    const description = describe(entry.description, t.description);
    const inputSchema = cleanedSchemaOf(t);
    if (!inputSchema) continue;
    exposed.push({
      target: target.id,
      kind,
      tool: {
        name: `${target.id}${TOOL_SEPARATOR}${t.name}`,
        ...(description ? { description } : {}),
        inputSchema,
        // The upstream's annotations (readOnlyHint, destructiveHint, a title) are its own claims
        // about the tool; what a call may do is the catalog's to say, so they are not relayed.
      },
    });
  }
  return exposed;
}

/**
 * The tool a client names, when this principal can reach it. Only the named target is asked
 * for its tools: neither target ids nor tool names contain the separator, so the first one
 * splits the name.
 */
async function namedTool(
  deps: Deps,
  principal: Principal,
  name: string,
): Promise<Exposed | undefined> {
  const at = name.indexOf(TOOL_SEPARATOR);
  const target = at > 0 ? deps.targets.get(name.slice(0, at)) : undefined;
  if (!target) return undefined;
  return (await exposedOf(deps, principal, target)).find((e) => e.tool.name === name);
}

const toolError = (text: string): CallToolResult => ({
  content: [{ type: 'text', text }],
  isError: true,
});

/** What a finished (or still waiting) action answers the client. */
function answer(action: ActionView, reasons: string[]): CallToolResult {
  const outcome = action.outcome ?? {};
  const output = outcome.output as { result?: CallToolResult } | undefined;
  switch (action.status) {
    case 'COMPLETED':
      return output?.result ?? { content: [] };
    case 'DENIED':
      return toolError(`denied by Interlock (action ${action.id}): ${reasons.join('; ')}`);
    case 'PENDING_APPROVAL':
    case 'PENDING_VETO':
    case 'APPROVED':
    case 'EXECUTING':
      return toolError(
        `pending approval: action ${action.id} (${action.status}); call again with the same idempotency key for its outcome`,
      );
    default: {
      const message = typeof outcome.message === 'string' ? `: ${outcome.message}` : '';
      return output?.result?.isError
        ? output.result
        : toolError(`action ${action.id} ended ${action.status}${message}`);
    }
  }
}

/** Waits until the action is terminal or the wait ends, telling the client it is still waiting. */
async function settle(
  deps: Deps,
  id: string,
  options: FrontDoorOptions,
  progress: ((n: number, message: string) => Promise<void>) | undefined,
  signal: AbortSignal,
): Promise<ActionView> {
  const deadline = deps.now() + options.waitMs;
  let current = (await loadAction(deps, id)).action;
  let ticks = 0;
  while (!TERMINAL.includes(current.status) && !signal.aborted) {
    const remaining = deadline - deps.now();
    if (remaining <= 0) break;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(remaining, options.progressEveryMs));
      const unsubscribe = deps.events.subscribe((e) => {
        if (e.actionId === id) done();
      });
      signal.addEventListener('abort', done, { once: true });
    });
    current = (await loadAction(deps, id)).action;
    await progress?.(++ticks, `action ${id} is ${current.status}`).catch(() => undefined);
  }
  return current;
}

/** How deep and how big an upstream's input schema may be to be offered at all. */
const MAX_SCHEMA_DEPTH = 32;
const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_KEY_LENGTH = 128;

/**
 * An upstream's input schema as clients get it: every string (descriptions, titles, examples)
 * capped and without characters that hide text, since agents read them as instructions too.
 * Undefined when it is deeper or bigger than any honest schema: the tool is then not offered.
 */
export function cleanSchema(schema: unknown): Tool['inputSchema'] | undefined {
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > MAX_SCHEMA_DEPTH) throw new RangeError('too deep');
    if (typeof v === 'string') return describe(undefined, v) ?? '';
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          // A key cannot be cleaned without breaking what refers to it (`required`, `$ref`):
          // a property name that hides characters or runs long is reason not to offer the tool.
          if (k.length > MAX_KEY_LENGTH || withoutHiddenCharacters(k) !== k)
            throw new RangeError('bad key');
          return [k, walk(x, depth + 1)];
        }),
      );
    return v;
  };
  try {
    const clean = walk(schema, 0);
    if (JSON.stringify(clean).length > MAX_SCHEMA_BYTES) return undefined;
    return clean as Tool['inputSchema'];
  } catch {
    return undefined;
  }
}

// The driver hands out the same tool objects while its list is fresh: each schema is cleaned
// once per listing, not on every tools/call.
const cleaned = new WeakMap<UpstreamTool, Tool['inputSchema'] | undefined>();

function cleanedSchemaOf(tool: UpstreamTool): Tool['inputSchema'] | undefined {
  if (!cleaned.has(tool)) cleaned.set(tool, cleanSchema(tool.inputSchema));
  return cleaned.get(tool);
}

/**
 * A new MCP server for one request of one principal (the transport is stateless).
 * `disconnected` is the HTTP request's signal: a client that goes away ends its wait (its proposal stands;
 * a retry with the same idempotency key finds it).
 */
export function frontDoorServer(
  deps: Deps,
  principal: Principal,
  options: FrontDoorOptions,
  waits: Waits,
  disconnected?: AbortSignal,
): Server {
  const server = new Server(
    { name: 'interlock', version: '0.1.0' },
    { capabilities: { tools: { listChanged: false } } },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    // Every target asked at once: a slow upstream costs its own time limit, not the sum.
    const perTarget = await Promise.all(
      [...deps.targets.values()].map((target) => exposedOf(deps, principal, target)),
    );
    return { tools: perTarget.flat().map((e) => e.tool) };
  });
  server.setRequestHandler(AnyToolsCall, async (raw, extra) => {
    // The SDK's wrapper has validated the request against CallToolRequestSchema by now.
    const request = CallToolRequestSchema.parse(raw);
    const exposed = await namedTool(deps, principal, request.params.name);
    // A tool tools/list did not show cannot be reached by naming it.
    if (!exposed) return toolError(`unknown tool ${JSON.stringify(request.params.name)}`);
    const meta = request.params._meta as Record<string, unknown> | undefined;
    // The REST envelope's rule for the key, and well-formed (it is stored and audited).
    const key = IdempotencyKeySchema.optional().safeParse(meta?.idempotencyKey);
    if (!key.success || (key.data !== undefined && !key.data.isWellFormed()))
      return toolError('_meta.idempotencyKey must be a well-formed string of 1 to 200 characters');
    let proposed: Awaited<ReturnType<typeof propose>>;
    try {
      proposed = await propose(
        deps,
        principal,
        {
          target: exposed.target,
          kind: exposed.kind,
          params: request.params.arguments ?? {},
          rationale: `MCP tools/call ${request.params.name}`,
        },
        key.data,
      );
    } catch (err) {
      // A refusal before any decision (a malformed envelope, a key reused for another call…)
      // is the client's to read as a tool error, like a denial; anything else is the SDK's
      // internal error.
      if (err instanceof InterlockError)
        return toolError(`refused by Interlock (${err.code}): ${err.message}`);
      throw err;
    }
    const token = meta?.progressToken;
    const progress =
      typeof token === 'string' || typeof token === 'number'
        ? (n: number, message: string) =>
            extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress: n, message },
            } as ServerNotification)
        : undefined;
    if (TERMINAL.includes(proposed.action.status))
      return answer(proposed.action, proposed.decision.reasons);
    const release = waits.enter(principal.id, proposed.action.id, options.maxWaitsPerPrincipal);
    // Another call already waits for this action, or this principal has its share waiting.
    if (!release) return answer(proposed.action, proposed.decision.reasons);
    try {
      const signal = disconnected ? AbortSignal.any([extra.signal, disconnected]) : extra.signal;
      const action = await settle(deps, proposed.action.id, options, progress, signal);
      return answer(action, proposed.decision.reasons);
    } finally {
      release();
    }
  });
  return server;
}
