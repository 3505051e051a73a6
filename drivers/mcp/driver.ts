/**
 * mcp: an MCP server as a target. Each tool call the gateway decided on (kind
 * `mcp.<target>.<tool>`, the tool's arguments as params) is forwarded to the upstream server,
 * started as a process over stdio or reached over Streamable HTTP, through the official SDK
 * client. The result is size-capped and its sha256 recorded; a tool error (`isError`) is a
 * completed call whose answer is an error; a crashing, hanging or garbage-speaking upstream is
 * a failed command, never a crash of the gateway.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CommandBook } from '../command-book.ts';
import { canonicalJson, sha256Hex } from '../../gateway/schema/canonical-json.ts';
import {
  DriverRejectedError,
  type CommandStatus,
  type Driver,
  type DriverCommand,
  type ExecutionResult,
  type TargetState,
  type UpstreamTool,
  type WriteOptions,
  toolKind,
} from '../../gateway/schema/driver.ts';

export const McpOptionsSchema = z
  .strictObject({
    /** A server started as a process, spoken to over stdio. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    /** A server reached over Streamable HTTP. */
    url: z.url().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /**
     * Facts about the upstream the policy and invariants read as the target's state (the
     * filesystem pack's `root`): an MCP server reports no state of its own.
     */
    state: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    /** Starting the server and the MCP handshake (a process may take seconds to start). */
    connectTimeoutMs: z.number().int().min(10).max(600_000).default(20_000),
    /**
     * How long the upstream's tool list is reused. Listing is not free (server-filesystem
     * builds its JSON schemas on every tools/list, ~10 ms), and the front door needs the list on
     * every call; the upstream's notifications/tools/list_changed and a reconnect drop it at once.
     */
    toolListTtlMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** A call that takes longer is cancelled and fails. */
    callTimeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
    /** Results larger than this (as canonical JSON) are refused rather than stored or relayed. */
    maxResultBytes: z
      .number()
      .int()
      .min(1_024)
      .max(64 * 1_048_576)
      .default(1_048_576),
  })
  .refine((o) => (o.command === undefined) !== (o.url === undefined), {
    message: 'name exactly one of command (stdio) or url (Streamable HTTP)',
    path: ['command'],
  });
export type McpOptions = z.input<typeof McpOptionsSchema>;

export { toolKind };

export class McpDriver implements Driver {
  readonly name = 'mcp';
  readonly #o: z.output<typeof McpOptionsSchema>;
  readonly #book = new CommandBook();
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #tools: { at: number; list: Promise<UpstreamTool[]> } | undefined;

  constructor(options: McpOptions) {
    this.#o = McpOptionsSchema.parse(options);
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  async connect(): Promise<void> {
    await this.#session();
  }

  async disconnect(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#connecting = undefined;
    this.#tools = undefined;
    await client?.close().catch(() => undefined);
  }

  /** The connected client, connecting (once, shared by concurrent callers) when there is none. */
  #session(): Promise<Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<Client> {
    const client = new Client({ name: 'interlock', version: '1' });
    const transport: Transport = this.#o.command
      ? new StdioClientTransport({
          command: this.#o.command,
          args: this.#o.args,
          ...(this.#o.env ? { env: this.#o.env } : {}),
          ...(this.#o.cwd ? { cwd: this.#o.cwd } : {}),
          stderr: 'ignore',
        })
      : new StreamableHTTPClientTransport(new URL(this.#o.url!), {
          requestInit: { headers: this.#o.headers },
        });
    // A server that exits or breaks the stream leaves no half-open session behind: the next
    // call connects again.
    client.onclose = () => {
      if (this.#client === client) {
        this.#client = undefined;
        this.#tools = undefined;
      }
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (this.#client === client) this.#tools = undefined;
    });
    await client.connect(transport, { timeout: this.#o.connectTimeoutMs });
    this.#client = client;
    return client;
  }

  /** The upstream's tools, every page of them; one listing shared while it is fresh. */
  listTools(): Promise<UpstreamTool[]> {
    const now = Date.now();
    if (this.#tools && now - this.#tools.at < this.#o.toolListTtlMs) return this.#tools.list;
    const list = this.#listAll();
    const entry = { at: now, list };
    this.#tools = entry;
    // A failed listing is not kept: the next caller asks again.
    list.catch(() => {
      if (this.#tools === entry) this.#tools = undefined;
    });
    return list;
  }

  async #listAll(): Promise<UpstreamTool[]> {
    const client = await this.#session();
    const tools: UpstreamTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, {
        timeout: this.#o.callTimeoutMs,
      });
      for (const t of page.tools)
        tools.push({
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          inputSchema: t.inputSchema as Record<string, unknown>,
          ...(t.annotations ? { annotations: t.annotations as Record<string, unknown> } : {}),
        });
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  async readState(): Promise<TargetState> {
    return { ...this.#o.state, mode: this.connected ? 'CONNECTED' : 'DISCONNECTED' };
  }

  async writeCommand(cmd: DriverCommand, options: WriteOptions): Promise<ExecutionResult> {
    const done = this.#book.completed(cmd.id);
    if (done) return done;
    const tool = this.#toolOf(cmd);
    const { controller, end } = this.#book.begin(cmd.id, options.signal);
    try {
      const client = await this.#session();
      const result = await client.callTool({ name: tool, arguments: cmd.params }, undefined, {
        signal: controller.signal,
        timeout: this.#o.callTimeoutMs,
      });
      let text: string;
      try {
        text = canonicalJson(result);
      } catch {
        // Nested beyond what canonical JSON can walk: the answer's doing, like an oversized one.
        return this.#refused(cmd.id, tool, `${tool} answered a result nested too deep to store`);
      }
      const bytes = Buffer.byteLength(text);
      if (bytes > this.#o.maxResultBytes) {
        // Not stored and not relayed. It is the answer's fault, not the upstream's (any agent
        // can ask for a big file), so the call completed with an error answer: a failure here
        // would count against the target and let one agent trip the breakers for everyone.
        return this.#refused(
          cmd.id,
          tool,
          `${tool} answered ${bytes} bytes, over the ${this.#o.maxResultBytes}-byte cap`,
          { result_sha256: sha256Hex(text), result_bytes: bytes, over_cap: true },
        );
      }
      // A tool error (`isError`) is an answer the tool gave, not a failure of the upstream: the
      // call completed, and the outcome says the answer was an error. Counting it as a failed
      // execution would let any agent trip the breakers (and lower every agent's level) by
      // asking for files that do not exist.
      const toolError = result.isError === true;
      const output = {
        result: result as Record<string, unknown>,
        result_sha256: sha256Hex(text),
        ...(toolError ? { tool_error: true } : {}),
      };
      this.#book.settle(cmd.id, { status: 'completed', output });
      return toolError
        ? {
            status: 'completed',
            // The error's text stays in the output, which only the proposer and people read:
            // a message is shown to every reader of the action.
            message: `${tool} answered with a tool error`,
            output,
          }
        : { status: 'completed', output };
    } catch (err) {
      if (controller.signal.aborted) {
        this.#book.settle(cmd.id, { status: 'aborted' });
        // MCP cancellation is a request (notifications/cancelled), not a kill: say so.
        return {
          status: 'aborted',
          message: `${tool} was cancelled; MCP cancellation is advisory, so the upstream may still have finished the call`,
        };
      }
      const detail = err instanceof Error ? err.message : String(err);
      // The upstream answered the call with a JSON-RPC error (bad arguments, its own internal
      // error): an answer, like a tool error, not a failure of the target. Only a lost
      // connection or a time limit counts against the target (and so the breakers).
      if (
        err instanceof McpError &&
        err.code !== ErrorCode.ConnectionClosed &&
        err.code !== ErrorCode.RequestTimeout
      )
        return this.#refused(
          cmd.id,
          tool,
          `${tool} answered with JSON-RPC error ${err.code}`,
          {},
          detail,
        );
      // The upstream's words (an HTTP body, an error message) go in the output, which only the
      // proposer and people read; the message, which every reader sees, names the kind of failure.
      const message =
        err instanceof McpError && err.code === ErrorCode.RequestTimeout
          ? `${tool} timed out: no answer within ${this.#o.callTimeoutMs} ms`
          : err instanceof McpError
            ? `${tool}: the connection to the upstream closed`
            : `${tool} failed: ${err instanceof Error ? err.name : 'error'}`;
      this.#book.settle(cmd.id, { status: 'failed', message });
      return { status: 'failed', message, output: { error: detail.slice(0, 2_000) } };
    } finally {
      end();
    }
  }

  /**
   * A call the upstream answered with something that is not relayed (too big, too deep, a
   * JSON-RPC error): completed, with an error answer for the client. The answer's own words, if
   * any, go in the output, which only the proposer and people read; `facts` add to the output
   * (an oversized result's own hash and size).
   */
  #refused(
    id: string,
    tool: string,
    message: string,
    facts: Record<string, unknown> = {},
    detail?: string,
  ): ExecutionResult {
    const words = detail
      ? `${message}: ${detail.slice(0, 2_000)}`
      : `${message}; nothing was relayed`;
    const output = {
      result: { content: [{ type: 'text', text: words }], isError: true },
      result_sha256: sha256Hex(words),
      tool_error: true,
      ...facts,
    };
    this.#book.settle(id, { status: 'completed', output });
    return { status: 'completed', message, output };
  }

  #toolOf(cmd: DriverCommand): string {
    const prefix = cmd.target ? `mcp.${cmd.target}.` : undefined;
    if (!prefix || !cmd.kind.startsWith(prefix) || cmd.kind.length === prefix.length)
      throw new DriverRejectedError(
        `mcp targets run kinds mcp.<target>.<tool>; ${cmd.kind} is not one of ${cmd.target ?? '?'}'s`,
      );
    return cmd.kind.slice(prefix.length);
  }

  async abortCommand(commandId: string): Promise<void> {
    this.#book.abort(commandId);
  }

  async getCommandStatus(commandId: string): Promise<CommandStatus> {
    return this.#book.status(commandId);
  }

  /** The emergency stop: every call in flight is cancelled (the SDK sends notifications/cancelled). */
  async safeState(): Promise<void> {
    this.#book.abortAll('emergency stop');
  }
}
