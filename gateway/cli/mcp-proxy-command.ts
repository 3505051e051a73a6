/** `interlock mcp-proxy`: the MCP front door over stdio, relaying to a running gateway. */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { runProxy } from '../mcp/proxy.ts';
import { UsageError } from './args.ts';

export const mcpProxyUsage = `  interlock mcp-proxy --gateway URL [--token T] [--call-timeout-ms N]
      Serve the gateway's MCP front door on stdin/stdout, for MCP clients that start servers as
      processes. The token (an agent's) may come from INTERLOCK_TOKEN instead of --token, which
      keeps it out of the process list. Every call is decided by the gateway.`;

export async function runMcpProxyCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      gateway: { type: 'string' },
      token: { type: 'string' },
      'call-timeout-ms': { type: 'string' },
    },
    strict: true,
  });
  if (!values.gateway) throw new UsageError('mcp-proxy needs --gateway URL');
  let gateway: URL;
  try {
    gateway = new URL(values.gateway);
  } catch {
    throw new UsageError(`--gateway ${JSON.stringify(values.gateway)} is not a URL`);
  }
  if (gateway.protocol !== 'http:' && gateway.protocol !== 'https:')
    throw new UsageError('--gateway must be an http: or https: URL');
  const token = values.token ?? process.env.INTERLOCK_TOKEN;
  if (!token) throw new UsageError('mcp-proxy needs --token T or INTERLOCK_TOKEN');
  const callTimeoutMs = Number(values['call-timeout-ms'] ?? 600_000);
  if (!Number.isInteger(callTimeoutMs) || callTimeoutMs < 1_000)
    throw new UsageError('--call-timeout-ms must be an integer of at least 1000');
  // stdout carries JSON-RPC only: every word for people goes to stderr.
  await runProxy({ gateway, token, callTimeoutMs }, new StdioServerTransport());
  return 0;
}
