/**
 * The shell driver with real processes and real bubblewrap: the contract suite, then params
 * validation, the digest check, the environment, the wall-time limit, the output cap and the
 * kill switch. The sandbox's walls are in sandbox.test.ts, killing descendants in kill.test.ts,
 * the argv byte-for-byte property in argv.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driverContract } from '../contract.suite.ts';
import { ShellDriver, type ShellOptions } from './driver.ts';
import { shellCommand, writeOptions } from './testing.ts';

const ALLOW = [
  '/usr/bin/mkdir',
  '/usr/bin/sleep',
  '/usr/bin/env',
  '/usr/bin/echo',
  '/usr/bin/yes',
  '/usr/bin/ls',
  '/usr/bin/false',
  '/usr/bin/python3',
  '/usr/bin/touch',
];
const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');

driverContract(
  'shell',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-contract-'));
    let stalled = false;
    const harness = {
      driver: new ShellDriver({ allow: ALLOW, workdir: dir }),
      command: (n: number) =>
        shellCommand(
          `cmd-${n}`,
          stalled ? ['/usr/bin/sleep', '5'] : ['/usr/bin/mkdir', `made-${n}`],
        ),
      slowCommand: (n: number) => shellCommand(`slow-${n}`, ['/usr/bin/sleep', '5']),
      actuations: async () => readdirSync(dir).filter((f) => f.startsWith('made-')).length,
      stall: () => {
        stalled = true;
        harness.driver = new ShellDriver({ allow: ALLOW, workdir: dir, timeoutMs: 200 });
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
    return harness;
  },
  {
    restart:
      'results live in the driver process; after a restart the executor reconciles the action to FAILED instead of running it again',
    checkpoint: 'a shell has no state to checkpoint',
    safe_state: 'covered below: the kill switch kills running commands',
  },
);

describe('shell driver', () => {
  let dir: string;
  let driver: ShellDriver;
  const make = async (extra: Partial<ShellOptions> = {}): Promise<ShellDriver> => {
    const d = new ShellDriver({ allow: ALLOW, workdir: dir, timeoutMs: 5000, ...extra });
    await d.connect();
    return d;
  };
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-'));
    mkdirSync(path.join(dir, 'sub'));
    driver = await make();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the argv as given, without a shell, and records both outputs with their sha256', async () => {
    const r = await driver.writeCommand(
      shellCommand('e1', ['/usr/bin/echo', 'a b', '$HOME', '*', '; rm -rf /']),
      writeOptions('e1'),
    );
    expect(r.status).toBe('completed');
    // No shell: $HOME is a literal word, * is not globbed, ; is just a character.
    expect(r.output).toMatchObject({
      argv: ['/usr/bin/echo', 'a b', '$HOME', '*', '; rm -rf /'],
      cwd: dir,
      exit_code: 0,
      stdout: 'a b $HOME * ; rm -rf /\n',
      stderr: '',
      sandbox: 'bwrap',
    });
    expect(r.output).toMatchObject({
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_sha256: sha256('a b $HOME * ; rm -rf /\n'),
      stderr_sha256: sha256(''),
    });
    expect(await driver.readState()).toMatchObject({
      mode: 'READY',
      sandbox: 'bwrap',
      network: false,
      running: 0,
    });
  });

  it('validates params: argv of strings without NUL, an optional cwd, nothing else (no command string)', () => {
    const refused = (params: Record<string, unknown>, message: RegExp): void => {
      let error: unknown;
      try {
        driver.plan(params);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({
        code: 'driver_rejected',
        message: expect.stringMatching(message),
      });
    };
    refused({ command: '/usr/bin/ls' }, /params\.command is not accepted/);
    refused({ argv: ['/usr/bin/ls'], command: 'ls' }, /params\.command is not accepted/);
    refused({ argv: ['/usr/bin/ls'], env: {} }, /params\.env is not accepted/);
    refused({ argv: [] }, /params\.argv/);
    refused({ argv: '/usr/bin/ls' }, /params\.argv/);
    refused({ argv: ['/usr/bin/echo', 'a\0b'] }, /params\.argv\.1: no NUL/);
    refused({ argv: ['/usr/bin/echo', 1] }, /params\.argv\.1/);
    refused({ argv: ['/usr/bin/echo', 'x\ud800'] }, /params\.argv\.1: well-formed/);
    refused({ argv: ['/usr/bin/ls'], cwd: 3 }, /params\.cwd/);
    // No basename lookup: that happens in the gateway; here argv[0] must be exactly allowlisted.
    refused({ argv: ['ls'] }, /params\.argv\.0: ls is not an absolute path/);
    refused({ argv: ['/bin/ls'] }, /\/bin\/ls is not an allowed binary/);
    refused({ argv: ['/usr/bin/../bin/ls'] }, /is not an allowed binary/);
    expect(driver.plan({ argv: ['/usr/bin/ls', '-l'] })).toEqual({
      argv: ['/usr/bin/ls', '-l'],
      binary: '/usr/bin/ls',
      cwd: dir,
      sandbox: 'bwrap',
    });
  });

  it('jails the working directory, symlinks included', () => {
    expect(driver.plan({ argv: ['/usr/bin/ls'], cwd: 'sub' }).cwd).toBe(path.join(dir, 'sub'));
    expect(() => driver.plan({ argv: ['/usr/bin/ls'], cwd: '../..' })).toThrow(/outside/);
    expect(() => driver.plan({ argv: ['/usr/bin/ls'], cwd: '/etc' })).toThrow(/outside/);
    symlinkSync('/etc', path.join(dir, 'escape'));
    expect(() => driver.plan({ argv: ['/usr/bin/ls'], cwd: 'escape' })).toThrow(/outside/);
    expect(() => driver.plan({ argv: ['/usr/bin/ls'], cwd: 'missing' })).toThrow(/does not exist/);
  });

  it('refuses a command whose params do not match the decided digest, and runs nothing', async () => {
    const decided = shellCommand('d1', ['/usr/bin/mkdir', 'decided']);
    const swapped = { ...decided, params: { argv: ['/usr/bin/mkdir', 'swapped'] } };
    const r = await driver.writeCommand(swapped, writeOptions('d1'));
    expect(r).toEqual({
      status: 'failed',
      message: expect.stringMatching(/^the argv does not match the decided action digest/),
    });
    expect((await driver.getCommandStatus('d1')).status).toBe('failed');
    const { digest: _d, ...undigested } = shellCommand('d2', ['/usr/bin/mkdir', 'undigested']);
    expect(await driver.writeCommand(undigested, writeOptions('d2'))).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/decided action digest \(no digest/),
    });
    const otherTarget = {
      ...shellCommand('d3', ['/usr/bin/mkdir', 'retargeted']),
      target: 'another-host',
    };
    expect(await driver.writeCommand(otherTarget, writeOptions('d3'))).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/decided action digest/),
    });
    const { target: _t, ...untargeted } = shellCommand('d4', ['/usr/bin/mkdir', 'untargeted']);
    expect(await driver.writeCommand(untargeted, writeOptions('d4'))).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/decided action digest/),
    });
    expect(readdirSync(dir)).toEqual(['sub']);
    // The decided command itself runs.
    expect((await driver.writeCommand(decided, writeOptions('d5'))).status).toBe('completed');
    expect(existsSync(path.join(dir, 'decided'))).toBe(true);
  });

  it('scrubs the environment to PATH, HOME and PWD (the working directory)', async () => {
    process.env.INTERLOCK_SECRET_FOR_TEST = 'leak';
    try {
      for (const sandbox of ['bwrap', 'none'] as const) {
        const d = await make({ sandbox });
        const r = await d.writeCommand(
          shellCommand(`env-${sandbox}`, ['/usr/bin/env'], 'sub'),
          writeOptions('env'),
        );
        const vars = Object.fromEntries(
          String(r.output!.stdout)
            .trim()
            .split('\n')
            .map((l) => l.split('=', 2)),
        );
        expect(vars).toEqual({
          PATH: '/usr/local/bin:/usr/bin:/bin',
          HOME: path.join(dir, 'sub'),
          PWD: path.join(dir, 'sub'),
        });
      }
    } finally {
      delete process.env.INTERLOCK_SECRET_FOR_TEST;
    }
  });

  it('kills a command at its wall-time limit and still returns its output', async () => {
    const quick = await make({ timeoutMs: 300 });
    const t0 = Date.now();
    const script =
      'import sys, time\nprint("started", flush=True)\nprint("warn", file=sys.stderr, flush=True)\ntime.sleep(30)';
    const slow = await quick.writeCommand(
      shellCommand('s', ['/usr/bin/python3', '-c', script]),
      writeOptions('s'),
    );
    expect(slow).toMatchObject({
      status: 'failed',
      message: 'killed after 300 ms (wall-time limit)',
    });
    expect(slow.output).toMatchObject({
      stdout: 'started\n',
      stderr: 'warn\n',
      exit_code: null,
      signal: 'SIGKILL',
      stdout_truncated: false,
    });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('caps each stream at 64 KiB by default, keeps reading, and hashes the full stream', async () => {
    const block = '0123456789abcdef'.repeat(200 * 64); // 200 KiB
    const script = `import sys\nb = b'0123456789abcdef' * ${200 * 64}\nsys.stdout.buffer.write(b)\nsys.stderr.buffer.write(b.upper())`;
    const r = await driver.writeCommand(
      shellCommand('big', ['/usr/bin/python3', '-c', script]),
      writeOptions('big'),
    );
    expect(r.status).toBe('completed');
    const out = r.output!;
    expect(String(out.stdout)).toBe(block.slice(0, 65536));
    expect(String(out.stderr)).toBe(block.toUpperCase().slice(0, 65536));
    expect(out).toMatchObject({
      stdout_truncated: true,
      stderr_truncated: true,
      stdout_sha256: sha256(block),
      stderr_sha256: sha256(block.toUpperCase()),
      exit_code: 0,
    });
    // Exactly at the cap is not truncated.
    const exact = await driver.writeCommand(
      shellCommand('exact', [
        '/usr/bin/python3',
        '-c',
        `import sys; sys.stdout.write('x' * 65536)`,
      ]),
      writeOptions('exact'),
    );
    expect(exact.output).toMatchObject({
      stdout_truncated: false,
      stdout_sha256: sha256('x'.repeat(65536)),
    });
    // A cut multi-byte character is dropped, not mangled.
    const small = await make({ outputCapBytes: 1024 });
    const cut = await small.writeCommand(
      shellCommand('cut', [
        '/usr/bin/python3',
        '-c',
        `import sys; sys.stdout.write('a' + 'é' * 1000)`,
      ]),
      writeOptions('cut'),
    );
    expect(cut.output).toMatchObject({
      stdout: 'a' + 'é'.repeat(511),
      stdout_truncated: true,
      stdout_sha256: sha256('a' + 'é'.repeat(1000)),
    });
  });

  it('a loud command is not killed for its output, only by the wall-time limit', async () => {
    const quick = await make({ timeoutMs: 400 });
    const r = await quick.writeCommand(shellCommand('y', ['/usr/bin/yes']), writeOptions('y'));
    expect(r).toMatchObject({ status: 'failed', message: 'killed after 400 ms (wall-time limit)' });
    expect(r.output).toMatchObject({ stdout_truncated: true });
    expect(String(r.output!.stdout)).toHaveLength(65536);
  });

  it('a failing command fails with its exit code and output; the kill switch kills what runs', async () => {
    const f = await driver.writeCommand(
      shellCommand('f', ['/usr/bin/python3', '-c', 'import sys; print("no"); sys.exit(3)']),
      writeOptions('f'),
    );
    expect(f).toMatchObject({
      status: 'failed',
      message: 'exited with code 3',
      output: { exit_code: 3, stdout: 'no\n' },
    });
    const running = driver.writeCommand(
      shellCommand('k', ['/usr/bin/sleep', '10']),
      writeOptions('k'),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect((await driver.getCommandStatus('k')).status).toBe('in_progress');
    await driver.safeState();
    expect((await running).status).toBe('aborted');
    expect((await driver.getCommandStatus('k')).status).toBe('aborted');
  });

  it('abortCommand kills one command; an already aborted signal runs nothing', async () => {
    const running = driver.writeCommand(
      shellCommand('a', ['/usr/bin/sleep', '10']),
      writeOptions('a'),
    );
    await new Promise((r) => setTimeout(r, 100));
    await driver.abortCommand('a');
    expect((await running).status).toBe('aborted');
    const ac = new AbortController();
    ac.abort(new Error('before it started'));
    const r = await driver.writeCommand(
      shellCommand('pre', ['/usr/bin/mkdir', 'never']),
      writeOptions('pre', ac.signal),
    );
    expect(r.status).toBe('aborted');
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('sandbox: none runs the argv directly (no shell) and says so', async () => {
    const none = await make({ sandbox: 'none' });
    expect(await none.readState()).toMatchObject({ sandbox: 'none' });
    expect(none.spawnVector(none.plan({ argv: ['/usr/bin/echo', 'a b'] }))).toMatchObject({
      file: '/usr/bin/echo',
      args: ['a b'],
    });
    const r = await none.writeCommand(
      shellCommand('n', ['/usr/bin/mkdir', 'made-unsandboxed']),
      writeOptions('n'),
    );
    expect(r).toMatchObject({ status: 'completed', output: { sandbox: 'none', exit_code: 0 } });
    expect(existsSync(path.join(dir, 'made-unsandboxed'))).toBe(true);
    const missing = new ShellDriver({
      allow: ['/usr/bin/not-installed-here'],
      workdir: dir,
      sandbox: 'none',
    });
    await missing.connect();
    expect(
      await missing.writeCommand(
        shellCommand('m', ['/usr/bin/not-installed-here']),
        writeOptions('m'),
      ),
    ).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/could not start: .*ENOENT/),
    });
  });

  it('refuses to connect without a working bubblewrap, naming the opt-out', async () => {
    const bogus = new ShellDriver({ allow: ALLOW, workdir: dir, bwrapPath: '/nonexistent/bwrap' });
    await expect(bogus.connect()).rejects.toThrow(
      /bubblewrap is missing: \/nonexistent\/bwrap does not exist.*`sandbox: none`/,
    );
    expect(bogus.connected).toBe(false);
    // Present but unable to build the sandbox: the probe must exit 0.
    const broken = new ShellDriver({ allow: ALLOW, workdir: dir, bwrapPath: '/usr/bin/false' });
    await expect(broken.connect()).rejects.toMatchObject({
      code: 'sandbox_unavailable',
      message: expect.stringMatching(/cannot create the sandbox.*`sandbox: none`/),
    });
  });

  it('options: outputCapBytes and its older name maxOutputBytes must agree; unknown options are refused', () => {
    expect(
      () =>
        new ShellDriver({ allow: ALLOW, workdir: dir, outputCapBytes: 2048, maxOutputBytes: 4096 }),
    ).toThrow(/disagree/);
    expect(
      () => new ShellDriver({ allow: ALLOW, workdir: dir, sandbox: 'firejail' as 'none' }),
    ).toThrow();
    expect(
      () => new ShellDriver({ allow: ALLOW, workdir: dir, shell: true } as ShellOptions),
    ).toThrow();
    expect(() => new ShellDriver({ allow: ALLOW, workdir: dir, bwrapPath: 'bwrap' })).toThrow(
      /absolute/,
    );
  });
});
