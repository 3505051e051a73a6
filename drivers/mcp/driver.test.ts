/**
 * mcp: the contract suite against a real MCP server process (drivers/mcp/test-server.ts),
 * then hostile upstreams, and the real @modelcontextprotocol/server-filesystem.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverContract, type ContractHarness } from '../contract.suite.ts';
import { McpDriver, toolKind, type McpOptions } from './driver.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const testServer = (dir: string): McpOptions => ({
  command: process.execPath,
  args: ['--import', 'tsx', path.join(here, 'test-server.ts'), dir],
  cwd: path.join(here, '..', '..'),
});
const opts = (id: string, signal = new AbortController().signal) => ({
  idempotencyKey: id,
  signal,
});
const call = (id: string, tool: string, params: Record<string, unknown>) => ({
  id,
  kind: toolKind('up', tool),
  target: 'up',
  params,
});

/**
 * The contract harness over the test server's notes: `open` gives a driver (with a shorter time
 * limit once stalled), whatever the transport.
 */
function notesHarness(
  dir: string,
  open: (callTimeoutMs?: number) => McpDriver,
  stop: () => void = () => undefined,
): ContractHarness {
  let driver = open();
  let stalled = false;
  return {
    get driver() {
      return driver;
    },
    command: (n: number) =>
      stalled
        ? call(`cmd-${n}`, 'hang', {})
        : call(`cmd-${n}`, 'write_note', { name: `n${n}`, body: 'hi' }),
    slowCommand: (n: number) => call(`slow-${n}`, 'slow_note', { name: `s${n}` }),
    actuations: async () => readdirSync(dir).length,
    stall: () => {
      stalled = true;
      void driver.disconnect();
      driver = open(300);
    },
    cleanup: async () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const noRestartOrCheckpoint = {
  restart:
    'an MCP tool call has no id the server keeps: a restarted gateway cannot ask what became of it',
  checkpoint: 'an MCP server offers no checkpoints',
};

driverContract(
  'mcp',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-mcp-'));
    return notesHarness(
      dir,
      (callTimeoutMs) => new McpDriver({ ...testServer(dir), callTimeoutMs }),
    );
  },
  noRestartOrCheckpoint,
);

/** The test server over Streamable HTTP, as its own process, and its URL once it listens. */
async function httpUpstream(dir: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'test-server.ts'), dir, '--http'],
    { cwd: path.join(here, '..', '..'), stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (b: Buffer) => {
      seen += String(b);
      const m = /listening (\S+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`the test server exited (${code})`)));
  });
  return { url, stop: () => child.kill() };
}

driverContract(
  'mcp over Streamable HTTP',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-mcp-http-'));
    const upstream = await httpUpstream(dir);
    return notesHarness(
      dir,
      (callTimeoutMs) => new McpDriver({ url: upstream.url, callTimeoutMs }),
      upstream.stop,
    );
  },
  noRestartOrCheckpoint,
);

describe('mcp: hostile upstreams give failed commands, never a crash', () => {
  let dir: string;
  let driver: McpDriver;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'interlock-mcp-'));
    driver = new McpDriver({ ...testServer(dir), callTimeoutMs: 1_500, maxResultBytes: 4_096 });
    await driver.connect();
  }, 20_000);
  afterAll(async () => {
    await driver.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the tools with their input schemas', async () => {
    const tools = await driver.listTools();
    expect(tools.map((t) => t.name)).toContain('write_note');
    expect(tools.find((t) => t.name === 'write_note')!.inputSchema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' } },
    });
  });

  it('a tool error is a completed call whose answer is an error (not a failed execution); the result is hashed', async () => {
    const r = await driver.writeCommand(call('r1', 'refuse', { why: 'no' }), opts('r1'));
    expect(r).toMatchObject({
      status: 'completed',
      // The tool's text is in the output (the proposer's to read), not in the message.
      message: 'refuse answered with a tool error',
      output: { tool_error: true, result: { isError: true } },
    });
    expect(r.output?.result_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a JSON-RPC error answer is an error answer too; its words stay out of the message', async () => {
    const r = await driver.writeCommand(call('j1', 'malformed', {}), opts('j1'));
    expect(r.status, JSON.stringify(r)).toBe('completed');
    expect(r.message).toBe('malformed answered with JSON-RPC error -32602');
    expect(r.output).toMatchObject({ tool_error: true, result: { isError: true } });
  });

  it('an answer over the size cap is neither stored nor relayed: an error answer, not a failed target', async () => {
    const r = await driver.writeCommand(call('h1', 'huge', { bytes: 10_000 }), opts('h1'));
    expect(r).toMatchObject({
      status: 'completed',
      message: expect.stringMatching(/over the \d+-byte cap/),
      output: { tool_error: true, over_cap: true, result: { isError: true } },
    });
    expect(JSON.stringify(r.output)).not.toContain('x'.repeat(100));
    expect(r.output?.result_sha256).toMatch(/^[0-9a-f]{64}$/);
    const ok = await driver.writeCommand(call('h2', 'huge', { bytes: 100 }), opts('h2'));
    expect(ok.status).toBe('completed');
  });

  it('a hanging tool fails at the time limit', async () => {
    const r = await driver.writeCommand(call('g1', 'hang', {}), opts('g1'));
    expect(r).toMatchObject({ status: 'failed', message: expect.stringMatching(/time/i) });
  });

  it('an upstream that crashes mid-call fails the call, and the next call starts it again', async () => {
    const r = await driver.writeCommand(call('c1', 'crash', {}), opts('c1'));
    expect(r.status).toBe('failed');
    const next = await driver.writeCommand(
      call('c2', 'write_note', { name: 'after-crash', body: 'x' }),
      opts('c2'),
    );
    expect(next.status).toBe('completed');
    expect(existsSync(path.join(dir, 'after-crash'))).toBe(true);
  }, 20_000);

  it('an upstream speaking garbage fails the call', async () => {
    const r = await driver.writeCommand(call('x1', 'garbage', {}), opts('x1'));
    expect(r.status).toBe('failed');
  }, 20_000);

  it('a kind of another target, or no tool, is refused before anything is sent', async () => {
    await expect(
      driver.writeCommand({ ...call('k1', 'write_note', {}), target: 'other' }, opts('k1')),
    ).rejects.toThrow(/not one of other's/);
    await expect(
      driver.writeCommand({ id: 'k2', kind: 'mcp.up.', target: 'up', params: {} }, opts('k2')),
    ).rejects.toThrow(/mcp.<target>.<tool>/);
  });

  it('reuses its tool list while fresh, and drops it when the upstream says the list changed', async () => {
    const names = async () => (await driver.listTools()).map((t) => t.name);
    const before = await names();
    expect(before).toContain('add_tool');
    expect(before.filter((n) => n.startsWith('extra_'))).toEqual([]);
    const added = await driver.writeCommand(call('t1', 'add_tool', {}), opts('t1'));
    expect(added.status).toBe('completed');
    // Well inside the list's 30 s lifetime: only the notification can have refreshed it.
    let after: string[] = [];
    for (let i = 0; i < 50 && !after.includes('extra_1'); i++) {
      after = await names();
      if (!after.includes('extra_1')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toContain('extra_1');
  });

  it('the emergency stop cancels a call in flight', async () => {
    const running = driver.writeCommand(call('e1', 'slow_note', { name: 'stopped' }), opts('e1'));
    await new Promise((r) => setTimeout(r, 200));
    await driver.safeState();
    expect((await running).status).toBe('aborted');
    await new Promise((r) => setTimeout(r, 2_200));
    expect(existsSync(path.join(dir, 'stopped'))).toBe(false);
  }, 20_000);
});

describe('mcp: the real @modelcontextprotocol/server-filesystem', () => {
  let root: string;
  let driver: McpDriver;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'interlock-fs-'));
    driver = new McpDriver({
      command: process.execPath,
      args: [
        path.join(
          here,
          '..',
          '..',
          'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
        ),
        root,
      ],
    });
    await driver.connect();
  }, 20_000);
  afterAll(async () => {
    await driver.disconnect();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes and reads a file in its root, and its own refusal outside it is a tool error', async () => {
    const file = path.join(root, 'a.txt');
    const w = await driver.writeCommand(
      call('w1', 'write_file', { path: file, content: 'hello' }),
      opts('w1'),
    );
    expect(w.status).toBe('completed');
    expect(readFileSync(file, 'utf8')).toBe('hello');
    const r = await driver.writeCommand(call('r1', 'read_text_file', { path: file }), opts('r1'));
    expect(r.output?.result).toMatchObject({ content: [{ type: 'text', text: 'hello' }] });
    const outside = await driver.writeCommand(
      call('o1', 'write_file', { path: path.join(root, '..', 'escaped.txt'), content: 'x' }),
      opts('o1'),
    );
    expect(outside).toMatchObject({
      status: 'completed',
      message: 'write_file answered with a tool error',
      output: { tool_error: true },
    });
    expect(JSON.stringify(outside.output)).toMatch(/denied/i);
    expect(existsSync(path.join(root, '..', 'escaped.txt'))).toBe(false);
  });
});
