/**
 * tcp-line: a vendor controller that speaks newline-delimited JSON over TCP (the roaster
 * plan's vendor driver). One request per line, one response per line, matched by id:
 *
 *   → {"op":"write","id":"…","kind":"roaster.set_power","params":{"value":60}}
 *   ← {"id":"…","ok":true,"output":{…}}      or  {"id":"…","ok":false,"error":"…"}
 *
 * Ops: state, write, abort, status, safe. The controller deduplicates writes by id, so a
 * write retried after a timeout or a dropped connection is safe. Connect timeouts, reconnect
 * with exponential backoff, a per-command timeout; a garbage line drops the connection.
 */
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { z } from 'zod';
import {
  DriverRejectedError,
  TransientDriverError,
  type CommandStatus,
  type Driver,
  type DriverCommand,
  type ExecutionResult,
  type TargetState,
  type WriteOptions,
} from '../../gateway/schema/driver.ts';

export const TcpLineOptionsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535),
  connectTimeoutMs: z.number().int().min(10).max(60_000).default(2000),
  commandTimeoutMs: z.number().int().min(10).max(600_000).default(5000),
  reconnectMinMs: z.number().int().min(1).max(60_000).default(100),
  reconnectMaxMs: z.number().int().min(1).max(600_000).default(5000),
  /** A response line longer than this is garbage. */
  maxLineBytes: z
    .number()
    .int()
    .min(64)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
});
export type TcpLineOptions = z.input<typeof TcpLineOptionsSchema>;

const ResponseSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  output: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
  status: z.string().optional(),
});
type Response = z.infer<typeof ResponseSchema>;

interface Pending {
  resolve(r: Response): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class TcpLineDriver implements Driver {
  readonly name = 'tcp-line';
  readonly #o: z.output<typeof TcpLineOptionsSchema>;
  #socket: Socket | undefined;
  #connecting: Promise<void> | undefined;
  #buffer = '';
  readonly #pending = new Map<string, Pending>();
  #wanted = false;
  #backoff: number;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Lines that were not a response we could read: a sign of a confused controller. */
  garbageLines = 0;

  constructor(options: TcpLineOptions) {
    this.#o = TcpLineOptionsSchema.parse(options);
    this.#backoff = this.#o.reconnectMinMs;
  }

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed && !this.#socket.connecting;
  }

  async connect(): Promise<void> {
    this.#wanted = true;
    await this.#ensure();
  }

  async disconnect(): Promise<void> {
    this.#wanted = false;
    clearTimeout(this.#reconnectTimer);
    this.#drop(new TransientDriverError('driver disconnected'));
  }

  #ensure(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.#connecting ??= new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new TransientDriverError(
            `connecting to ${this.#o.host}:${this.#o.port} timed out after ${this.#o.connectTimeoutMs} ms`,
          ),
        );
      }, this.#o.connectTimeoutMs);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.#socket = socket;
        this.#buffer = '';
        this.#backoff = this.#o.reconnectMinMs;
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new TransientDriverError(`cannot reach ${this.#o.host}:${this.#o.port}: ${err.message}`),
        );
      });
      socket.on('data', (chunk) => this.#onData(socket, chunk));
      socket.on('close', () => {
        if (this.#socket === socket)
          this.#drop(new TransientDriverError('the controller closed the connection'));
      });
      socket.connect(this.#o.port, this.#o.host);
    }).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Fails everything in flight and, if still wanted, reconnects with backoff. */
  #drop(err: Error): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.#pending.delete(id);
    }
    if (this.#wanted && !this.#reconnectTimer) {
      const delay = this.#backoff;
      this.#backoff = Math.min(this.#o.reconnectMaxMs, this.#backoff * 2);
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = undefined;
        if (this.#wanted)
          this.#ensure().catch(() => this.#drop(new TransientDriverError('reconnect failed')));
      }, delay);
    }
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.#socket) return;
    this.#buffer += chunk.toString('utf8');
    if (this.#buffer.length > this.#o.maxLineBytes && !this.#buffer.includes('\n')) {
      this.garbageLines++;
      this.#drop(new TransientDriverError('the controller sent an over-long line'));
      return;
    }
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (!line) continue;
      let parsed: Response | undefined;
      try {
        const r = ResponseSchema.safeParse(JSON.parse(line));
        parsed = r.success ? r.data : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed) {
        // Lines can no longer be matched to requests: start over on a fresh connection.
        this.garbageLines++;
        this.#drop(new TransientDriverError('the controller sent a line that is not a response'));
        return;
      }
      const p = this.#pending.get(parsed.id);
      if (!p) continue;
      this.#pending.delete(parsed.id);
      clearTimeout(p.timer);
      p.resolve(parsed);
    }
  }

  async #request(
    op: string,
    body: Record<string, unknown>,
    timeoutMs = this.#o.commandTimeoutMs,
    signal?: AbortSignal,
  ): Promise<Response> {
    await this.#ensure();
    const socket = this.#socket;
    if (!socket) throw new TransientDriverError('not connected');
    const id = typeof body.id === 'string' && op === 'write' ? body.id : `${op}:${randomUUID()}`;
    const key = id;
    if (this.#pending.has(key))
      throw new TransientDriverError(`a request ${key} is already in flight`);
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(new TransientDriverError(`${op} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => {
        if (!this.#pending.has(key)) return;
        this.#pending.delete(key);
        clearTimeout(timer);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(key, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        timer,
      });
      socket.write(`${JSON.stringify({ op, ...body, ...(op === 'write' ? {} : { id }) })}\n`);
    });
  }

  async readState(): Promise<TargetState> {
    const r = await this.#request('state', {});
    if (!r.ok) throw new TransientDriverError(`state: ${r.error ?? 'refused'}`);
    return r.output ?? {};
  }

  async writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult> {
    if (options.signal.aborted) return { status: 'aborted', message: 'aborted before it was sent' };
    let r: Response;
    try {
      r = await this.#request(
        'write',
        { id: cmd.id, kind: cmd.kind, params: cmd.params, idempotency_key: options.idempotencyKey },
        this.#o.commandTimeoutMs,
        options.signal,
      );
    } catch (err) {
      if (options.signal.aborted) {
        await this.abortCommand(cmd.id).catch(() => undefined);
        return { status: 'aborted', message: err instanceof Error ? err.message : String(err) };
      }
      throw err;
    }
    if (r.ok) return { status: 'completed', ...(r.output ? { output: r.output } : {}) };
    if (r.status === 'aborted')
      return { status: 'aborted', message: r.error ?? 'aborted by the controller' };
    throw new DriverRejectedError(r.error ?? 'the controller refused the command');
  }

  async abortCommand(commandId: string): Promise<void> {
    await this.#request('abort', { command: commandId });
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    const r = await this.#request('status', { command: commandId });
    switch (r.status) {
      case 'completed':
        return { status: 'completed', ...(r.output ? { output: r.output } : {}) };
      case 'failed':
        return { status: 'failed', ...(r.error ? { message: r.error } : {}) };
      case 'aborted':
        return { status: 'aborted' };
      case 'in_progress':
        return { status: 'in_progress' };
      default:
        return { status: 'not_found' };
    }
  }

  async safeState(): Promise<void> {
    const r = await this.#request('safe', {});
    if (!r.ok)
      throw new Error(`the controller did not reach its safe state: ${r.error ?? 'refused'}`);
  }
}
