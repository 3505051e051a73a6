/**
 * The shell driver with real processes: the contract suite, then what the shell-batch
 * document asks of an executor: argv only, an allowlist by absolute path, a jailed working
 * directory, a scrubbed environment, a wall-time kill, an output cap, output hashes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driverContract } from '../contract.suite.ts';
import { ShellDriver, splitArgv } from './driver.ts';

const ALLOW = ['/usr/bin/mkdir', '/usr/bin/sleep', '/usr/bin/env', '/usr/bin/echo', '/usr/bin/yes', '/usr/bin/ls', '/usr/bin/false'];
const opts = (id: string, signal = new AbortController().signal) => ({ idempotencyKey: id, signal });

driverContract(
  'shell',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-contract-'));
    let stalled = false;
    const harness = {
      driver: new ShellDriver({ allow: ALLOW, workdir: dir }),
      command: (n: number) => ({ id: `cmd-${n}`, kind: 'shell.exec', params: { command: stalled ? '/usr/bin/sleep 5' : `mkdir made-${n}` } }),
      slowCommand: (n: number) => ({ id: `slow-${n}`, kind: 'shell.exec', params: { command: 'sleep 5' } }),
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
    restart: 'results live in the driver process; after a restart the executor reconciles the action to FAILED instead of running it again',
    checkpoint: 'a shell has no state to checkpoint',
    safe_state: 'covered below: the kill switch kills running commands',
  },
);

describe('shell driver', () => {
  let dir: string;
  let driver: ShellDriver;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-'));
    mkdirSync(path.join(dir, 'sub'));
    driver = new ShellDriver({ allow: ALLOW, workdir: dir, timeoutMs: 2000, maxOutputBytes: 64 * 1024 });
    await driver.connect();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs argv without a shell, and records both outputs with their sha256', async () => {
    const r = await driver.writeCommand({ id: 'e1', kind: 'shell.exec', params: { command: 'echo "a b"  $HOME' } }, opts('e1'));
    expect(r.status).toBe('completed');
    // No shell: $HOME is a literal word, the quotes group "a b".
    expect(r.output).toMatchObject({ argv: ['echo', 'a b', '$HOME'], exit_code: 0, stdout: 'a b $HOME\n' });
    expect(r.output!.stdout_sha256).toBe(createHash('sha256').update('a b $HOME\n').digest('hex'));
  });

  it('refuses shell syntax and binaries off the allowlist, before running anything', async () => {
    for (const command of ['ls | cat', 'ls; rm -rf /', 'echo x > f', 'echo $(id)', 'echo `id`', 'ls && ls']) {
      await expect(driver.writeCommand({ id: command, kind: 'shell.exec', params: { command } }, opts(command))).rejects.toMatchObject({ code: 'driver_rejected' });
    }
    await expect(driver.writeCommand({ id: 'c', kind: 'shell.exec', params: { command: 'cat /etc/passwd' } }, opts('c'))).rejects.toThrow(/cat is not an allowed binary/);
    await expect(driver.writeCommand({ id: 'b', kind: 'shell.exec', params: { command: '/bin/rm -rf x' } }, opts('b'))).rejects.toThrow(/not an allowed binary/);
  });

  it('jails the working directory, symlinks included', async () => {
    expect(driver.plan({ command: 'ls', cwd: 'sub' }).cwd).toBe(path.join(dir, 'sub'));
    expect(() => driver.plan({ command: 'ls', cwd: '../..' })).toThrow(/outside/);
    expect(() => driver.plan({ command: 'ls', cwd: '/etc' })).toThrow(/outside/);
    symlinkSync('/etc', path.join(dir, 'escape'));
    expect(() => driver.plan({ command: 'ls', cwd: 'escape' })).toThrow(/outside/);
  });

  it('scrubs the environment to PATH and HOME', async () => {
    process.env.INTERLOCK_SECRET_FOR_TEST = 'leak';
    try {
      const r = await driver.writeCommand({ id: 'env', kind: 'shell.exec', params: { command: 'env' } }, opts('env'));
      const vars = String(r.output!.stdout).trim().split('\n').map((l) => l.split('=')[0]).sort();
      expect(vars).toEqual(['HOME', 'PATH']);
    } finally {
      delete process.env.INTERLOCK_SECRET_FOR_TEST;
    }
  });

  it('kills a command at its wall-time limit, and caps its output', async () => {
    const quick = new ShellDriver({ allow: ALLOW, workdir: dir, timeoutMs: 150 });
    await quick.connect();
    const t0 = Date.now();
    const slow = await quick.writeCommand({ id: 's', kind: 'shell.exec', params: { command: 'sleep 10' } }, opts('s'));
    expect(slow).toMatchObject({ status: 'failed', message: 'killed after 150 ms (wall-time limit)' });
    expect(Date.now() - t0).toBeLessThan(3000);
    const loud = await driver.writeCommand({ id: 'y', kind: 'shell.exec', params: { command: 'yes' } }, opts('y'));
    expect(loud).toMatchObject({ status: 'failed', message: 'output exceeded 65536 bytes; the process was stopped' });
  });

  it('a failing command fails with its exit code; the kill switch kills what runs', async () => {
    expect(await driver.writeCommand({ id: 'f', kind: 'shell.exec', params: { command: 'false' } }, opts('f'))).toMatchObject({ status: 'failed', message: 'exited with code 1' });
    const running = driver.writeCommand({ id: 'k', kind: 'shell.exec', params: { command: 'sleep 10' } }, opts('k'));
    await new Promise((r) => setTimeout(r, 100));
    expect((await driver.getCommandStatus('k')).status).toBe('in_progress');
    await driver.safeState();
    expect((await running).status).toBe('aborted');
  });

  it('splitArgv keeps quoted words and refuses unbalanced quotes', () => {
    expect(splitArgv(`git commit -m 'fix: a "quoted" word' --author="A B"`)).toEqual(['git', 'commit', '-m', 'fix: a "quoted" word', '--author=A B']);
    expect(() => splitArgv(`echo "open`)).toThrow(/unbalanced/);
  });
});
