/**
 * The MCP front door end to end, through both entrances: the official SDK client → Interlock
 * (its /mcp over Streamable HTTP, or `interlock mcp-proxy` over stdio relaying to /mcp) → the
 * real @modelcontextprotocol/server-filesystem over stdio, serving a temp directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleCookie,
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from './helpers/gateway.ts';

const serverFilesystem = path.resolve(
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);

type Entrance = 'Streamable HTTP' | 'stdio (mcp-proxy)';

let t: TestGateway;
let root: string;
let outside: string;

/** An SDK client connected to Interlock through one entrance, with one token. */
async function clientFor(entrance: Entrance, token: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1' });
  await client.connect(
    entrance === 'Streamable HTTP'
      ? new StreamableHTTPClientTransport(new URL('/mcp', t.gw.url), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        })
      : new StdioClientTransport({
          command: process.execPath,
          args: [path.resolve('bin/interlock.js'), 'mcp-proxy', '--gateway', t.gw.url],
          env: { ...(process.env as Record<string, string>), INTERLOCK_TOKEN: token },
          stderr: 'pipe',
        }),
  );
  return client;
}

const textOf = (r: unknown): string =>
  ((r as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function startFilesGateway(): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), 'interlock-mcp-e2e-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  for (const d of [root, outside]) {
    rmSync(d, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(d));
  }
  writeFileSync(path.join(root, 'hello.txt'), 'hello from the root');
  t = await startTestGateway({
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
    mcp: { waitMs: 1_500, progressEveryMs: 200, maxWaitsPerPrincipal: 2 },
  });
}

describe.each<Entrance>(['Streamable HTTP', 'stdio (mcp-proxy)'])(
  'the MCP front door over %s',
  (entrance) => {
    // Each entrance gets its own gateway and root: the emergency stop test ends one.
    beforeAll(startFilesGateway, 60_000);
    afterAll(async () => {
      await t?.close();
      rmSync(path.dirname(root), { recursive: true, force: true });
    });

    it('lists only the tools the catalog names, namespaced by target, with their schemas', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      const { tools } = await client.listTools();
      const names = tools.map((x) => x.name);
      expect(names).toEqual(expect.arrayContaining(['files__read_text_file', 'files__write_file']));
      // No catalog entry, no tool: edit_file is hidden, and cannot be called by name either.
      expect(names).not.toContain('files__edit_file');
      // The catalog's description replaces the upstream's; without one, the upstream's shows.
      expect(tools.find((x) => x.name === 'files__write_file')!.description).toMatch(
        /^Create or overwrite a file under the served root.*until an operator approves it\.$/,
      );
      expect(tools.find((x) => x.name === 'files__read_text_file')!.description).toMatch(/\w/);
      expect(tools.find((x) => x.name === 'files__write_file')!.inputSchema).toMatchObject({
        type: 'object',
        required: ['path', 'content'],
      });
      const hidden = await client.callTool({
        name: 'files__edit_file',
        arguments: { path: path.join(root, 'hello.txt'), edits: [] },
      });
      expect(hidden.isError).toBe(true);
      expect(textOf(hidden)).toMatch(/unknown tool/);
      await client.close();
    });

    it('a read is automatic at L3+ and returns the upstream result, audited with its hash', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      const r = await client.callTool({
        name: 'files__read_text_file',
        arguments: { path: path.join(root, 'hello.txt') },
      });
      expect(r.isError).toBeFalsy();
      expect(textOf(r)).toBe('hello from the root');
      const list = await t.api<{ actions: { kind: string; status: string; outcome: unknown }[] }>(
        t.tokens.auditor,
        'GET',
        '/v1/actions?target=files',
      );
      const read = list.body.actions.find((a) => a.kind === 'mcp.files.read_text_file');
      expect(read).toMatchObject({
        status: 'COMPLETED',
        outcome: { output_digests: { result_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      });
      // What the file said is the proposer's (and the people's) to read, not another agent's.
      const { id } = read as unknown as { id: string };
      const resultOf = async (token: string | undefined) =>
        JSON.stringify(
          (await t.api<ActionBody>(token, 'GET', `/v1/actions/${id}`)).body.action.outcome,
        );
      expect(await resultOf(t.tokens.agent)).toContain('hello from the root');
      expect(await resultOf(t.tokens.op1)).toContain('hello from the root');
      const other = await resultOf(t.tokens.agent2);
      expect(other).not.toContain('hello from the root');
      expect(other).toContain("withheld: the output of another agent's action");
      const otherList = await t.api(t.tokens.agent2, 'GET', '/v1/actions?target=files');
      expect(JSON.stringify(otherList.body)).not.toContain('hello from the root');
      // In the audit log: the proposal with its arguments, the execution with the result hash.
      const audit = await t.api<{ records: { type: string; payload: unknown }[] }>(
        t.tokens.auditor,
        'GET',
        `/v1/audit?action_id=${id}`,
      );
      const records = JSON.stringify(audit.body.records);
      expect(records).toContain(JSON.stringify(path.join(root, 'hello.txt')));
      const digest = (read as unknown as { outcome: { output_digests: { result_sha256: string } } })
        .outcome.output_digests.result_sha256;
      expect(records).toContain(digest);
      // On the console: the card shows the arguments, the result and its hash.
      const cookie = await consoleCookie(t, t.tokens.op1!);
      const card = await fetch(new URL(`/console/actions/${id}`, t.gw.url), {
        headers: { cookie },
      }).then((r) => r.text());
      expect(card).toContain(path.join(root, 'hello.txt'));
      expect(card).toContain('Tool result');
      expect(card).toContain('hello from the root');
      expect(card).toContain(digest);
      await client.close();
    });

    it('a write waits for an operator: pending when the wait ends, then the outcome on retry with the same key', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      const file = path.join(root, 'new.txt');
      const call = () =>
        client.callTool({
          name: 'files__write_file',
          arguments: { path: file, content: 'approved words' },
          _meta: { idempotencyKey: 'write-new-1' },
        });
      const first = await call();
      expect(first.isError).toBe(true);
      const id = /pending approval: action (\S+)/.exec(textOf(first))?.[1];
      expect(id, textOf(first)).toBeDefined();
      expect(existsSync(file)).toBe(false);
      expect(
        (await t.api(t.tokens.op1, 'POST', `/v1/actions/${id}/approve`, { reason: 'fine' })).status,
      ).toBe(200);
      await waitFor(
        async () =>
          (await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`)).body.action
            .status === 'COMPLETED'
            ? true
            : undefined,
        10_000,
        'the write',
      );
      expect(readFileSync(file, 'utf8')).toBe('approved words');
      const again = await call();
      expect(again.isError).toBeFalsy();
      expect(textOf(again)).toMatch(/Successfully wrote/);
      await client.close();
    });

    it('a path outside the root is denied by the invariant and never reaches the disk', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      for (const p of [path.join(outside, 'x.txt'), `${root}/../outside/y.txt`, `${root}-evil/z`]) {
        const r = await client.callTool({ name: 'files__read_text_file', arguments: { path: p } });
        expect(r.isError).toBe(true);
        expect(textOf(r)).toMatch(/denied by Interlock.*outside/);
      }
      // Under the root, but showing a reviewer one name and the disk another.
      for (const p of [`${root}/report\u202Etxt.exe`, `${root}/a\u0000b`, `${root}/a\u200Bb`]) {
        const r = await client.callTool({
          name: 'files__write_file',
          arguments: { path: p, content: 'x' },
        });
        expect(textOf(r)).toMatch(/denied by Interlock.*bidirectional or invisible/);
      }
      const w = await client.callTool({
        name: 'files__write_file',
        arguments: { path: path.join(outside, 'w.txt'), content: 'x' },
      });
      expect(textOf(w)).toMatch(/denied by Interlock/);
      expect(existsSync(path.join(outside, 'w.txt'))).toBe(false);
      await client.close();
    });

    it('a waiting call sends progress notifications to a client that asks for them', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      const seen: { progress: number; message?: string }[] = [];
      const r = await client.callTool(
        { name: 'files__create_directory', arguments: { path: path.join(root, 'waiting') } },
        undefined,
        { onprogress: (p) => seen.push(p) },
      );
      expect(textOf(r)).toMatch(/pending approval/);
      // 1.5 s of waiting, news every 0.2 s: several notifications, counting up, naming the action.
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.map((p) => p.progress)).toEqual([...seen.keys()].map((i) => i + 1));
      expect(seen[0]!.message).toMatch(/action \S+ is PENDING_APPROVAL/);
      await client.close();
    });

    it('replays of one key do not pile up waits: one call waits, the others answer at once', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      const call = () => {
        const started = performance.now();
        return client
          .callTool({
            name: 'files__create_directory',
            arguments: { path: path.join(root, 'replayed') },
            _meta: { idempotencyKey: 'replayed-1' },
          })
          .then((r) => ({ text: textOf(r), ms: performance.now() - started }));
      };
      // The first proposes and waits; the replays arrive while it waits.
      const first = call();
      await new Promise((r) => setTimeout(r, 200));
      const replays = await Promise.all(Array.from({ length: 8 }, call));
      for (const r of replays) {
        expect(r.text).toMatch(/pending approval/);
        expect(r.ms).toBeLessThan(1_000); // the wait is 1.5 s
      }
      expect((await first).text).toMatch(/pending approval/);
      await client.close();
    });

    it('a token has a bounded number of waiting calls; through the proxy, a cancelled call frees its slot', async () => {
      const client = await clientFor(entrance, t.tokens.agent2!);
      const write = (name: string, signal?: AbortSignal) => {
        const started = performance.now();
        return client
          .callTool(
            { name: 'files__create_directory', arguments: { path: path.join(root, name) } },
            undefined,
            signal ? { signal } : {},
          )
          .then(
            (r) => ({ text: textOf(r), ms: performance.now() - started }),
            (err: unknown) => ({ text: String(err), ms: performance.now() - started }),
          );
      };
      // Two waits is this gateway's share per token: a third call answers at once.
      const held = [write('w1'), write('w2')];
      await new Promise((r) => setTimeout(r, 300));
      const third = await write('w3');
      expect(third.text).toMatch(/pending approval/);
      expect(third.ms).toBeLessThan(1_000);
      await Promise.all(held);
      if (entrance === 'Streamable HTTP') return client.close();
      // The proxy hangs up a cancelled call, so the gateway ends its wait and frees the slot.
      const cancels = [new AbortController(), new AbortController()];
      const cancelled = cancels.map((c, i) => write(`c${i}`, c.signal));
      await new Promise((r) => setTimeout(r, 300));
      for (const c of cancels) c.abort();
      await Promise.all(cancelled);
      await new Promise((r) => setTimeout(r, 200));
      const after = await write('after-cancel');
      expect(after.text).toMatch(/pending approval/);
      expect(after.ms).toBeGreaterThan(1_000); // it waited its 1.5 s: the slots were free
      await client.close();
    });

    it('the emergency stop ends a waiting call, and refuses new ones', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      const waiting = client.callTool({
        name: 'files__write_file',
        arguments: { path: path.join(root, 'stopped.txt'), content: 'x' },
      });
      await new Promise((r) => setTimeout(r, 300));
      await t.api(t.tokens.op1, 'POST', '/v1/estop', { reason: 'drill' });
      expect(textOf(await waiting)).toMatch(/CANCELLED/);
      const during = await client.callTool({
        name: 'files__read_text_file',
        arguments: { path: path.join(root, 'hello.txt') },
      });
      expect(textOf(during)).toMatch(/denied by Interlock.*emergency stop/);
      expect(existsSync(path.join(root, 'stopped.txt'))).toBe(false);
      await client.close();
    });

    it('tool names that would not split back into one target and one tool are not offered', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      for (const bad of ['files__a.b', 'files__x__y'])
        expect(textOf(await client.callTool({ name: bad, arguments: {} }))).toMatch(/unknown tool/);
      const r = await client.callTool({
        name: 'files__read_text_file',
        arguments: { path: path.join(root, 'hello.txt') },
        _meta: { idempotencyKey: '' },
      });
      expect(textOf(r)).toMatch(/idempotencyKey must be/);
      if (entrance !== 'Streamable HTTP') return client.close();
      const get = await fetch(new URL('/mcp', t.gw.url), {
        headers: { authorization: `Bearer ${t.tokens.agent}` },
      });
      expect(get.status).toBe(405);
      await client.close();
    });

    it('speaks JSON-RPC: ping, initialize, and errors for a malformed body, an unknown method, bad params', async () => {
      const client = await clientFor(entrance, t.tokens.agent!);
      expect(await client.ping()).toEqual({});
      expect(client.getServerVersion()).toMatchObject({ name: 'interlock' });
      expect(client.getServerCapabilities()).toMatchObject({ tools: {} });
      await client.close();
      if (entrance !== 'Streamable HTTP') return;
      const rpc = async (body: string) => {
        const r = await fetch(new URL('/mcp', t.gw.url), {
          method: 'POST',
          headers: {
            authorization: `Bearer ${t.tokens.agent}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body,
        });
        const text = await r.text();
        // A stream answers with one `data:` line; a plain error with a JSON body.
        const data = /^data: (.*)$/m.exec(text)?.[1] ?? text;
        return { status: r.status, body: JSON.parse(data) as { error?: { code: number } } };
      };
      expect((await rpc('{"jsonrpc":"2.0","id":1,"method":')).body.error?.code).toBe(-32700);
      expect((await rpc('{"jsonrpc":"2.0","id":2,"method":"no/such"}')).body.error?.code).toBe(
        -32601,
      );
      expect(
        (await rpc('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{}}}')).body
          .error?.code,
      ).toBe(-32602);
      expect(
        (await rpc('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":7}}')).body.error
          ?.code,
      ).toBe(-32602);
    });

    it('an auditor token cannot use the front door; no token is a 401', async () => {
      const noToken = await fetch(new URL('/mcp', t.gw.url), { method: 'POST', body: '{}' });
      expect(noToken.status).toBe(401);
      await expect(clientFor(entrance, t.tokens.auditor!)).rejects.toThrow(
        entrance === 'Streamable HTTP' ? /403|forbidden/i : /closed|exit|connection/i,
      );
    });
  },
);
