/**
 * What the MCP front door adds to an allowed call: the same read_text_file on the real
 * @modelcontextprotocol/server-filesystem, called (a) directly by the SDK client over stdio,
 * (b) through Interlock's /mcp (Streamable HTTP) and (c) through `interlock mcp-proxy` (stdio →
 * /mcp). Through Interlock each call is a proposal: authentication, the Wasm decision with the
 * invariants, the action and its audit records committed durably to SQLite, execution by the
 * mcp driver, the result hashed. Calls are sequential, so each is the latency of one call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { pino } from 'pino';
import { createToken } from '../gateway/auth/tokens.ts';
import { ConfigSchema } from '../gateway/config/config.ts';
import { projectRoot } from '../gateway/paths.ts';
import { startGateway } from '../gateway/server.ts';
import { summarize } from './stats.ts';

const CALLS = 1_000;
const WARMUP = 100;
/** Calls per agent, under the default per-agent rate limit (120 a minute). */
const PER_CLIENT = 100;
const AGENTS = Math.ceil((WARMUP + CALLS) / PER_CLIENT);

export interface PathLatency {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface McpLatencyResult {
  direct: PathLatency;
  http: PathLatency & { addedP50Ms: number; addedP99Ms: number };
  proxy: PathLatency & { addedP50Ms: number; addedP99Ms: number };
}

const serverFilesystem = path.join(
  projectRoot,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);

/**
 * Sequential calls of one tool, each client taking its turn (through Interlock each client is
 * one agent, and the default policy allows an agent 120 actions a minute). Every answer must be
 * the file's text: an error answered early would flatter the numbers.
 */
async function time(transports: Transport[], tool: string, file: string): Promise<PathLatency> {
  const clients: Client[] = [];
  for (const transport of transports) {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(transport);
    clients.push(client);
  }
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + CALLS; i++) {
      const client = clients[Math.min(clients.length - 1, Math.floor(i / PER_CLIENT))]!;
      const started = performance.now();
      const r = await client.callTool({ name: tool, arguments: { path: file } });
      const us = (performance.now() - started) * 1000;
      const content = r.content as { type: string; text?: string }[];
      if (r.isError || content[0]?.text !== 'bench')
        throw new Error(`call ${i} did not read the file: ${JSON.stringify(r).slice(0, 300)}`);
      if (i >= WARMUP) samples.push(us);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  const s = summarize(samples);
  const ms = (us: number) => Math.round(us) / 1000;
  return { calls: s.count, p50Ms: ms(s.p50Us), p99Ms: ms(s.p99Us), maxMs: ms(s.maxUs) };
}

const added = (via: PathLatency, direct: PathLatency) => ({
  ...via,
  addedP50Ms: Math.round((via.p50Ms - direct.p50Ms) * 1000) / 1000,
  addedP99Ms: Math.round((via.p99Ms - direct.p99Ms) * 1000) / 1000,
});

export async function benchMcpLatency(): Promise<McpLatencyResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-bench-mcp-'));
  const root = path.join(dir, 'root');
  await import('node:fs/promises').then((fs) => fs.mkdir(root));
  const file = path.join(root, 'hello.txt');
  writeFileSync(file, 'bench');
  const config = ConfigSchema.parse({
    server: { port: 0 },
    database: { url: `sqlite:${path.join(dir, 'bench.db')}` },
    targets: [
      {
        id: 'files',
        driver: 'mcp',
        level: 'L3+',
        options: {
          command: process.execPath,
          args: [serverFilesystem, root],
          state: { root: `${root}/` },
        },
      },
    ],
  });
  const gw = await startGateway(config, { log: pino({ level: 'silent' }) });
  try {
    // Fresh agents for each path: the rate limit counts a minute back.
    const tokens: string[] = [];
    for (let i = 0; i < 2 * AGENTS; i++)
      tokens.push(
        (await createToken(gw.services.deps.db, `bench-agent-${i}`, 'agent', 'bench')).token,
      );
    const direct = await time(
      [new StdioClientTransport({ command: process.execPath, args: [serverFilesystem, root] })],
      'read_text_file',
      file,
    );
    const http = await time(
      tokens.slice(0, AGENTS).map(
        (token) =>
          new StreamableHTTPClientTransport(new URL('/mcp', gw.url), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
      ),
      'files__read_text_file',
      file,
    );
    const proxy = await time(
      tokens.slice(AGENTS).map(
        (token) =>
          new StdioClientTransport({
            command: process.execPath,
            args: [path.join(projectRoot, 'bin/interlock.js'), 'mcp-proxy', '--gateway', gw.url],
            env: { ...(process.env as Record<string, string>), INTERLOCK_TOKEN: token },
          }),
      ),
      'files__read_text_file',
      file,
    );
    return { direct, http: added(http, direct), proxy: added(proxy, direct) };
  } finally {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
