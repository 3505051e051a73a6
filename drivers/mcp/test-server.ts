/**
 * A real MCP server over stdio for the mcp driver's tests, built on the official SDK: notes
 * written into a directory (the actuations the tests count), and the ways an upstream goes
 * wrong: slow, hanging, crashing, speaking garbage, answering too much; and a tool list that
 * changes at run time.
 * Run: node --import tsx drivers/mcp/test-server.ts DIR [--http]
 * With --http it serves Streamable HTTP (stateless: a server per request) on a free loopback
 * port and prints `listening <url>` on stdout; otherwise it speaks stdio.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const arg = process.argv[2];
if (!arg) throw new Error('usage: test-server.ts DIR [--http]');
const dir: string = arg;
mkdirSync(dir, { recursive: true });

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

let added = 0;

/** A server with every tool (over HTTP, one per request). */
function build(): McpServer {
  const server = new McpServer({ name: 'interlock-test-upstream', version: '1.0.0' });
  server.registerTool(
    'write_note',
    { description: 'Writes a note', inputSchema: { name: z.string(), body: z.string() } },
    async ({ name, body }) => {
      writeFileSync(path.join(dir, path.basename(name)), body);
      return text(`wrote ${name}`);
    },
  );
  server.registerTool(
    'slow_note',
    {
      description: 'Writes a note after two seconds, unless cancelled',
      inputSchema: { name: z.string() },
    },
    async ({ name }, extra) => {
      await sleep(2_000, undefined, { signal: extra.signal }).catch(() => undefined);
      if (extra.signal.aborted) return text('cancelled');
      writeFileSync(path.join(dir, path.basename(name)), 'slow');
      return text(`wrote ${name}`);
    },
  );
  server.registerTool('hang', { description: 'Never answers' }, async () => {
    await new Promise(() => undefined);
    return text('unreachable');
  });
  server.registerTool('crash', { description: 'Exits mid-call' }, async () => {
    process.exit(3);
  });
  server.registerTool('garbage', { description: 'Writes non-JSON-RPC to stdout' }, async () => {
    process.stdout.write('this is not json\n{"jsonrpc": "2.0", "id": \n');
    await new Promise(() => undefined);
    return text('unreachable');
  });
  server.registerTool(
    'huge',
    { description: 'Answers with n bytes of text', inputSchema: { bytes: z.number().int() } },
    async ({ bytes }) => text('x'.repeat(bytes)),
  );
  server.registerTool(
    'refuse',
    { description: 'A tool error', inputSchema: { why: z.string() } },
    async ({ why }) => ({ ...text(`refused: ${why}`), isError: true }),
  );

  // An answer the SDK's own server refuses to send (a content type that does not exist): the
  // client gets a JSON-RPC error instead of a result.
  server.registerTool(
    'malformed',
    { description: 'Answers with content the protocol does not know' },
    async () => ({ content: [{ type: 'bogus', text: 'secret hunter2' }] }) as never,
  );
  server.registerTool(
    'add_tool',
    { description: 'Registers one more tool (the SDK tells the client its list changed)' },
    async () => {
      const name = `extra_${++added}`;
      server.registerTool(name, { description: 'Added at run time' }, async () => text(name));
      return text(`added ${name}`);
    },
  );
  return server;
}

if (process.argv.includes('--http')) {
  const http = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void server.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  http.listen(0, '127.0.0.1', () => {
    const address = http.address();
    if (address && typeof address === 'object')
      process.stdout.write(`listening http://127.0.0.1:${address.port}/mcp\n`);
  });
} else {
  await build().connect(new StdioServerTransport());
}
