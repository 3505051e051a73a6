/**
 * The sandbox's walls, tried from inside with real binaries that can write anywhere the
 * filesystem lets them (bash, env, git): nothing outside the workdir changes, /tmp is private,
 * capabilities are gone, and the network is an empty namespace unless the target allows it.
 * Canaries live on the host in /tmp (hidden by the private /tmp) and in /var/tmp (visible,
 * read-only); only loopback addresses are used for the network checks.
 */
import { createServer, type Server } from 'node:net';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../gateway/schema/driver.ts';
import { ShellDriver, type ShellOptions } from './driver.ts';
import { bwrapOptions } from './sandbox.ts';
import { shellCommand, writeOptions } from './testing.ts';

const BASH = '/bin/bash';
const ENV = '/usr/bin/env';
const GIT = '/usr/bin/git';
const PYTHON = '/usr/bin/python3';
const ALLOW = [BASH, ENV, GIT, PYTHON];

let dir: string;
let driver: ShellDriver;
let n = 0;
const make = async (extra: Partial<ShellOptions> = {}): Promise<ShellDriver> => {
  const d = new ShellDriver({ allow: ALLOW, workdir: dir, timeoutMs: 10_000, ...extra });
  await d.connect();
  return d;
};
const run = (argv: string[], d = driver): Promise<ExecutionResult> => {
  const id = `c${++n}`;
  return d.writeCommand(shellCommand(id, argv), writeOptions(id));
};
const bash = (script: string, d = driver): Promise<ExecutionResult> => run([BASH, '-c', script], d);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-sandbox-'));
  driver = await make();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the bwrap sandbox: the workdir is the only writable place', () => {
  let canaries: string[];
  beforeEach(() => {
    canaries = [
      mkdtempSync(path.join('/tmp', 'interlock-canary-')),
      mkdtempSync(path.join('/var/tmp', 'interlock-canary-')),
    ];
    for (const c of canaries) writeFileSync(path.join(c, 'keep'), 'canary\n');
  });
  afterEach(() => {
    for (const c of canaries) rmSync(c, { recursive: true, force: true });
  });
  const intact = (c: string): void => {
    expect(readdirSync(c)).toEqual(['keep']);
    expect(readFileSync(path.join(c, 'keep'), 'utf8')).toBe('canary\n');
  };

  it('bash cannot write, delete or remount outside the workdir', async () => {
    for (const c of canaries) {
      const writes = await bash(`echo x > ${c}/f`);
      expect(writes.status).toBe('failed');
      const removes = await bash(
        `rm -rf ${c}; rm -f ${c}/keep; mv ${c}/keep ${c}/moved; chmod 000 ${c}`,
      );
      expect(removes.status).toBe('failed');
      // Root inside the sandbox has no capabilities: it cannot make / writable again.
      const remounts = await bash(`mount -o remount,rw / && echo y > ${c}/f`);
      expect(remounts.status).toBe('failed');
      intact(c);
    }
    const caps = await bash('grep -E "^Cap(Eff|Prm):" /proc/self/status');
    expect(String(caps.output!.stdout)).toBe(
      'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n',
    );
    expect((await bash('echo x > /etc/interlock-sandbox-test')).status).toBe('failed');
    expect(existsSync('/etc/interlock-sandbox-test')).toBe(false);
  });

  it('sees only the system: no /var, /home, /root, /run, no gateway files, no credentials, no host sockets', async () => {
    // A secret beside the workdir (as the gateway's keys and database are), and a listening
    // Unix socket under /var/tmp (as daemons keep theirs under /run): neither is reachable.
    const secret = mkdtempSync(path.join('/var/tmp', 'interlock-secret-'));
    writeFileSync(path.join(secret, 'audit.key'), 'private\n');
    const sock = path.join(secret, 'daemon.sock');
    const server: Server = createServer((c) => c.end('hello from the host\n'));
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const reads = await bash(
        `cat ${secret}/audit.key; ls /var /home /root /run 2>&1; cat /etc/shadow /etc/gshadow 2>&1; ls -A /etc/ssh`,
      );
      expect(String(reads.output!.stdout)).not.toContain('private');
      expect(String(reads.output!.stdout)).not.toMatch(/^root:/m);
      const connects = await run([
        PYTHON,
        '-c',
        `import socket;s=socket.socket(socket.AF_UNIX);s.connect(${JSON.stringify(sock)});print(s.recv(100))`,
      ]);
      expect(connects.status).toBe('failed');
      expect(String(connects.output!.stdout)).not.toContain('hello');
      // The system itself is there: programs run and read their configuration.
      expect((await bash('ls /usr/bin/ls && head -1 /etc/passwd')).status).toBe('completed');
    } finally {
      server.close();
      rmSync(secret, { recursive: true, force: true });
    }
  });

  it('readOnlyPaths exposes more of the host, read-only', async () => {
    const extra = mkdtempSync(path.join('/var/tmp', 'interlock-extra-'));
    chmodSync(extra, 0o755);
    writeFileSync(path.join(extra, 'tool.txt'), 'shared\n');
    try {
      const d = await make({ readOnlyPaths: [extra] });
      expect((await bash(`cat ${extra}/tool.txt`, d)).output!.stdout).toBe('shared\n');
      expect((await bash(`echo x > ${extra}/tool.txt`, d)).status).toBe('failed');
    } finally {
      rmSync(extra, { recursive: true, force: true });
    }
  });

  it('runs as an unprivileged user when the gateway is root: root-only files and /proc/sys stay closed', async () => {
    if (process.getuid?.() !== 0) return;
    const extra = mkdtempSync(path.join('/var/tmp', 'interlock-rootonly-'));
    chmodSync(extra, 0o755);
    writeFileSync(path.join(extra, 'secret'), 'root only\n', { mode: 0o600 });
    try {
      const d = await make({ readOnlyPaths: [extra] });
      expect((await bash('id -u; id -g', d)).output!.stdout).toBe('65534\n65534\n');
      const read = await bash(`cat ${extra}/secret`, d);
      expect(read.status).toBe('failed');
      expect(String(read.output!.stdout)).toBe('');
      // A sysctl owned by root: writable by any uid-0 process, capabilities or not.
      const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
      const write = await bash('echo "|/bin/false" > /proc/sys/kernel/core_pattern', d);
      expect(write.status).toBe('failed');
      expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(before);
    } finally {
      rmSync(extra, { recursive: true, force: true });
    }
  });

  it('env and git fail outside the workdir and work inside it', async () => {
    const visible = canaries[1]!;
    expect((await run([ENV, 'touch', `${visible}/touched`])).status).toBe('failed');
    const git = await run([GIT, '-C', visible, 'init']);
    expect(git.status).toBe('failed');
    // Outside the workdir there is nothing to write to: the host's /var/tmp is not even there.
    expect(String(git.output!.stderr)).toMatch(/Read-only file system|cannot change to/);
    for (const c of canaries) intact(c);

    expect((await run([ENV, 'touch', `${dir}/touched`])).status).toBe('completed');
    expect((await run([GIT, 'init', '-q', 'repo'])).status).toBe('completed');
    expect(existsSync(path.join(dir, 'repo', '.git', 'HEAD'))).toBe(true);
    expect((await bash('echo inside > written && mkdir -p a/b && echo deep > a/b/c')).status).toBe(
      'completed',
    );
    expect(readFileSync(path.join(dir, 'written'), 'utf8')).toBe('inside\n');
    expect(readFileSync(path.join(dir, 'a', 'b', 'c'), 'utf8')).toBe('deep\n');
  });

  it('/tmp inside is private: what is written there never reaches the host, and the host /tmp is not seen', async () => {
    const name = `interlock-private-${process.pid}-${Date.now()}`;
    const r = await bash(`echo hidden > /tmp/${name} && cat /tmp/${name} && ls /tmp`);
    expect(r.status).toBe('completed');
    expect(String(r.output!.stdout)).toMatch(/^hidden\n/);
    expect(existsSync(path.join('/tmp', name))).toBe(false);
    // The host's /tmp canary is not there; only the path down to the workdir bind is.
    expect(String(r.output!.stdout)).not.toContain(path.basename(canaries[0]!));
    // /dev is private too.
    expect((await bash(`echo x > /dev/shm/${name}`)).status).toBe('completed');
    expect(existsSync(path.join('/dev/shm', name))).toBe(false);
  });

  it('a workdir outside /tmp is bound the same way', async () => {
    const outside = mkdtempSync(path.join('/var/tmp', 'interlock-workdir-'));
    try {
      const d = new ShellDriver({ allow: ALLOW, workdir: outside });
      await d.connect();
      expect(
        (await bash('echo ok > f && touch /var/tmp/interlock-sibling-of-workdir', d)).status,
      ).toBe('failed');
      expect(readFileSync(path.join(outside, 'f'), 'utf8')).toBe('ok\n');
      expect(existsSync('/var/tmp/interlock-sibling-of-workdir')).toBe(false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('the sandbox sees its own PID namespace and hostname', async () => {
    const r = await bash('echo $$; ls /proc | grep -c "^[0-9]"');
    const [pid, count] = String(r.output!.stdout).trim().split('\n').map(Number);
    expect(pid).toBeLessThan(10);
    expect(count).toBeLessThan(10);
  });
});

describe('the bwrap sandbox: network', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const connect = (): string[] => [
    PYTHON,
    '-c',
    `import socket\ns = socket.create_connection(('127.0.0.1', ${port}), timeout=3)\nprint(s.recv(16).decode(), end='')`,
  ];

  it('network: false (the default) cannot reach the host, not even its loopback', async () => {
    const before = connections;
    const r = await run(connect());
    expect(r.status).toBe('failed');
    expect(String(r.output!.stderr)).toMatch(
      /ConnectionRefusedError|Network is unreachable|No route/,
    );
    expect(connections).toBe(before);
    // Its own loopback is up but empty; there is no other interface.
    const ifaces = await run([
      PYTHON,
      '-c',
      'import socket; print(sorted(n for _, n in socket.if_nameindex()))',
    ]);
    expect(String(ifaces.output!.stdout).trim()).toBe("['lo']");
    expect(await driver.readState()).toMatchObject({ network: false });
  });

  it('network: true reaches the host loopback', async () => {
    const open = await make({ network: true });
    const before = connections;
    const r = await run(connect(), open);
    expect(r).toMatchObject({ status: 'completed', output: { stdout: 'hello\n' } });
    expect(connections).toBe(before + 1);
    expect(await open.readState()).toMatchObject({ network: true, sandbox: 'bwrap' });
  });
});

describe('bwrap options', () => {
  it('mounts in order: the system read-only, credentials masked, private /dev, /proc, /tmp, then the workdir bind', () => {
    const base = {
      visible: ['/usr', '/etc'],
      hidden: [
        { path: '/etc/shadow', directory: false },
        { path: '/etc/ssh', directory: true },
      ],
    };
    const o = bwrapOptions(
      { workdir: '/tmp/w', network: false, path: '/usr/bin', ...base },
      '/tmp/w/sub',
    );
    const at = (flag: string, arg?: string): number =>
      o.findIndex((x, i) => x === flag && (arg === undefined || o[i + 1] === arg));
    expect(at('--ro-bind', '/')).toBe(-1);
    expect(at('--ro-bind', '/etc')).toBeLessThan(at('--ro-bind', '/dev/null'));
    expect(o.slice(at('--ro-bind', '/dev/null'), at('--ro-bind', '/dev/null') + 3)).toEqual([
      '--ro-bind',
      '/dev/null',
      '/etc/shadow',
    ]);
    expect(at('--tmpfs', '/etc/ssh')).toBeGreaterThan(at('--ro-bind', '/etc'));
    expect(at('--ro-bind', '/usr')).toBeLessThan(at('--tmpfs', '/tmp'));
    expect(at('--tmpfs', '/tmp')).toBeLessThan(at('--bind', '/tmp/w'));
    expect(o).toContain('--unshare-net');
    expect(o.slice(at('--chdir'), at('--chdir') + 2)).toEqual(['--chdir', '/tmp/w/sub']);
    expect(
      bwrapOptions({ workdir: '/tmp/w', network: true, path: '/usr/bin', ...base }, '/tmp/w'),
    ).not.toContain('--unshare-net');
  });

  it('a workdir path with spaces and odd characters is bound as one argument', async () => {
    const odd = path.join(dir, 'a dir; with $(odd) chars');
    mkdirSync(odd);
    const d = new ShellDriver({ allow: ALLOW, workdir: odd });
    await d.connect();
    expect((await bash('pwd > here', d)).status).toBe('completed');
    expect(readFileSync(path.join(odd, 'here'), 'utf8')).toBe(`${odd}\n`);
  });
});
