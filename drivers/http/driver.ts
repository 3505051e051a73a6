/**
 * http: forwards an allowed action to a downstream HTTP API. Each kind maps to a method, a
 * URL template and a body template (values like "{amount}" are filled from the params); the
 * action id goes in an idempotency header so the downstream can drop repeats. Timeouts;
 * retries with exponential backoff on network errors and 5xx only (a 4xx is the
 * downstream's refusal); the response status and a sha256 of its body are recorded.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { CommandBook } from '../command-book.ts';
import {
  DriverRejectedError,
  type CommandStatus,
  type Driver,
  type DriverCommand,
  type ExecutionResult,
  type TargetState,
  type WriteOptions,
} from '../../gateway/schema/driver.ts';

const RouteSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  /** Path template under baseUrl: `/v1/spend/{account}`; params are URL-encoded. */
  path: z.string().startsWith('/'),
  /**
   * Body template: strings like "{amount}" become the param's value; omitted: the params as they
   * are.
   */
  body: z.record(z.string(), z.unknown()).optional(),
});

export const HttpOptionsSchema = z.strictObject({
  baseUrl: z.url(),
  routes: z.record(z.string(), RouteSchema),
  /** GET this path for the target's state (the decision context). */
  statePath: z.string().startsWith('/').optional(),
  /** POST this path to reach the safe state (an emergency stop). */
  safePath: z.string().startsWith('/').optional(),
  headers: z.record(z.string(), z.string()).default({}),
  idempotencyHeader: z.string().default('Idempotency-Key'),
  timeoutMs: z.number().int().min(10).max(600_000).default(10_000),
  retries: z.number().int().min(0).max(10).default(3),
  backoffMs: z.number().int().min(1).max(60_000).default(200),
});
export type HttpOptions = z.input<typeof HttpOptionsSchema>;

/** Fills "{name}" placeholders; a value that is exactly one placeholder keeps its type. */
export function fill(template: unknown, params: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = /^\{(\w+)\}$/.exec(template);
    if (whole) {
      if (!(whole[1]! in params))
        throw new DriverRejectedError(`the body template needs params.${whole[1]}`);
      return params[whole[1]!];
    }
    return template.replace(/\{(\w+)\}/g, (_, k: string) => {
      if (!(k in params)) throw new DriverRejectedError(`the template needs params.${k}`);
      return String(params[k]);
    });
  }
  if (Array.isArray(template)) return template.map((t) => fill(t, params));
  if (template && typeof template === 'object')
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fill(v, params)]));
  return template;
}

class Retryable extends Error {}

export class HttpDriver implements Driver {
  readonly name = 'http';
  readonly #o: z.output<typeof HttpOptionsSchema>;
  #connected = false;
  readonly #book = new CommandBook();

  constructor(options: HttpOptions) {
    this.#o = HttpOptionsSchema.parse(options);
  }

  get connected(): boolean {
    return this.#connected;
  }

  async connect(): Promise<void> {
    this.#connected = true;
  }

  async disconnect(): Promise<void> {
    this.#connected = false;
  }

  async readState(): Promise<TargetState> {
    if (!this.#o.statePath) return {};
    const res = await fetch(new URL(this.#o.statePath, this.#o.baseUrl), {
      headers: this.#o.headers,
      signal: AbortSignal.timeout(this.#o.timeoutMs),
    });
    if (!res.ok) throw new Error(`state: ${res.status}`);
    return (await res.json()) as TargetState;
  }

  async writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult> {
    const done = this.#book.completed(cmd.id);
    if (done) return done;
    const route = this.#o.routes[cmd.kind];
    if (!route) throw new DriverRejectedError(`no route for ${cmd.kind}`);
    const url = new URL(
      route.path.replace(/\{(\w+)\}/g, (_, k: string) =>
        encodeURIComponent(String(fill(`{${k}}`, cmd.params))),
      ),
      this.#o.baseUrl,
    );
    const body =
      route.method === 'GET' || route.method === 'DELETE'
        ? undefined
        : JSON.stringify(route.body ? fill(route.body, cmd.params) : cmd.params);
    const { controller: ac, end } = this.#book.begin(cmd.id, options.signal);
    let attempt = 0;
    try {
      for (;;) {
        attempt++;
        try {
          const res = await fetch(url, {
            method: route.method,
            headers: {
              ...this.#o.headers,
              ...(body ? { 'content-type': 'application/json' } : {}),
              [this.#o.idempotencyHeader]: options.idempotencyKey,
            },
            ...(body ? { body } : {}),
            signal: AbortSignal.any([ac.signal, AbortSignal.timeout(this.#o.timeoutMs)]),
          });
          const text = await res.text();
          const output = {
            http_status: res.status,
            body_sha256: createHash('sha256').update(text).digest('hex'),
            attempts: attempt,
            ...(text.length <= 4096 ? { body: text } : {}),
          };
          if (res.status >= 500)
            throw new Retryable(`${route.method} ${url.pathname} answered ${res.status}`);
          if (res.status >= 400) {
            this.#book.settle(cmd.id, { status: 'failed', message: `HTTP ${res.status}` });
            throw new DriverRejectedError(
              `${route.method} ${url.pathname} answered ${res.status}: ${text.slice(0, 200)}`,
            );
          }
          this.#book.settle(cmd.id, { status: 'completed', output });
          return { status: 'completed', output };
        } catch (err) {
          if (err instanceof DriverRejectedError) throw err;
          if (ac.signal.aborted) {
            this.#book.settle(cmd.id, { status: 'aborted' });
            return { status: 'aborted', message: 'aborted; the request was cancelled' };
          }
          const why = err instanceof Error ? err.message : String(err);
          if (attempt > this.#o.retries) {
            this.#book.settle(cmd.id, { status: 'failed', message: why });
            return { status: 'failed', message: `${why} (after ${attempt} attempts)` };
          }
          await sleep(this.#o.backoffMs * 2 ** (attempt - 1), undefined, {
            signal: ac.signal,
          }).catch(() => undefined);
        }
      }
    } finally {
      end();
    }
  }

  async abortCommand(commandId: string): Promise<void> {
    this.#book.abort(commandId);
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    return this.#book.status(commandId);
  }

  async safeState(): Promise<void> {
    this.#book.abortAll('emergency stop');
    if (this.#o.safePath) {
      const res = await fetch(new URL(this.#o.safePath, this.#o.baseUrl), {
        method: 'POST',
        headers: this.#o.headers,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      if (!res.ok) throw new Error(`the downstream did not reach its safe state: ${res.status}`);
    }
  }
}
