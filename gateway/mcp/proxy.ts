/**
 * The stdio entrance to the MCP front door, for clients that start their MCP servers as
 * processes: an MCP server on stdin/stdout that relays tools/list and tools/call to a gateway's
 * `/mcp` with the agent's token. It decides nothing itself: every call is decided by the
 * gateway, and a gateway that cannot be reached answers a tool error (nothing runs).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { InterlockError } from '../schema/errors.ts';

export interface ProxyOptions {
  /** The gateway's base URL; the front door is its `/mcp`. */
  gateway: URL;
  token: string;
  /**
   * The longest a relayed call may take without news. The gateway holds a call for its
   * approval (`mcp.waitMs`) and sends progress meanwhile, which restarts this clock.
   */
  callTimeoutMs: number;
}

/** Thrown when the gateway refuses the proxy's first handshake (wrong URL, bad token…). */
export class ProxyConnectError extends InterlockError {
  constructor(message: string, cause: unknown) {
    super('gateway_unreachable', message, { cause });
  }
}

const unreachable = (err: unknown): CallToolResult => ({
  content: [
    {
      type: 'text',
      text: `Interlock gateway unreachable, nothing was run: ${err instanceof Error ? err.message : String(err)}`,
    },
  ],
  isError: true,
});

/**
 * Connects to the gateway (failing fast, so a wrong token is seen at start, not at the first
 * call), then serves `local` until it closes. Resolves when the local side has closed.
 */
export async function runProxy(options: ProxyOptions, local: Transport): Promise<void> {
  const connect = async (): Promise<Client> => {
    const client = new Client({ name: 'interlock-mcp-proxy', version: '0.1.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', options.gateway), {
        requestInit: { headers: { authorization: `Bearer ${options.token}` } },
      }),
    );
    return client;
  };
  let upstream: Client;
  try {
    upstream = await connect();
  } catch (err) {
    throw new ProxyConnectError(
      `cannot open the MCP front door at ${new URL('/mcp', options.gateway).href}: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }

  const server = new Server(
    { name: 'interlock', version: '0.1.0' },
    { capabilities: { tools: { listChanged: false } } },
  );
  server.setRequestHandler(ListToolsRequestSchema, async (request, extra) =>
    upstream.listTools(request.params, { signal: extra.signal }),
  );
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { _meta: meta, ...params } = request.params;
    const token = meta?.progressToken;
    // Each call on its own connection: a client's cancel then closes the request the gateway
    // holds, which ends its wait there (a cancel notification alone reaches another request of
    // a stateless server, and the wait would keep the token's slot until waitMs).
    let call: Client | undefined;
    const hangUp = (): void => void call?.close().catch(() => undefined);
    extra.signal.addEventListener('abort', hangUp, { once: true });
    try {
      call = await connect();
      if (extra.signal.aborted) throw extra.signal.reason;
      const result = await call.callTool(
        // The idempotency key and any other metadata go on; the progress token is the proxy's
        // own towards the gateway, and the client's is used to relay.
        { ...params, _meta: { ...meta, progressToken: undefined } },
        undefined,
        {
          signal: extra.signal,
          timeout: options.callTimeoutMs,
          resetTimeoutOnProgress: true,
          onprogress: (p) => {
            if (token === undefined) return;
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: { ...p, progressToken: token },
              } as ServerNotification)
              .catch(() => undefined);
          },
        },
      );
      return result as CallToolResult;
    } catch (err) {
      if (extra.signal.aborted) throw err;
      return unreachable(err);
    } finally {
      extra.signal.removeEventListener('abort', hangUp);
      hangUp();
    }
  });

  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(local);
  await closed;
  await upstream.close().catch(() => undefined);
}
