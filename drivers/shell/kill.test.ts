/**
 * Killing reaches every descendant: a plain grandchild, a grandchild that called setsid, and a
 * double-forked daemon are all gone within a second of a timeout, an abort, the kill switch, and
 * of a normal exit that left them behind. They are found by their host pids, scanning /proc for
 * a marker argument unique to each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../gateway/schema/driver.ts';
import { ShellDriver, type ShellOptions } from './driver.ts';
import {
  anyWith,
  descendants,
  newMarker,
  pidsWhere,
  SPAWNER,
  shellCommand,
  waitFor,
  writeOptions,
} from './testing.ts';

const PYTHON = '/usr/bin/python3';
describe.each(['bwrap', 'none'] as const)('killing the process tree (sandbox: %s)', (sandbox) => {
  let dir: string;
  let marker: string;
  const make = async (extra: Partial<ShellOptions> = {}): Promise<ShellDriver> => {
    const d = new ShellDriver({
      allow: [PYTHON],
      workdir: dir,
      sandbox,
      timeoutMs: 20_000,
      ...extra,
    });
    await d.connect();
    return d;
  };
  const start = (
    d: ShellDriver,
    id: string,
    sleepSeconds: number,
    signal?: AbortSignal,
  ): Promise<ExecutionResult> =>
    d.writeCommand(
      shellCommand(id, [PYTHON, '-c', SPAWNER, marker, String(sleepSeconds)]),
      writeOptions(id, signal),
    );
  /** Waits until all three descendants run, and returns their host pids. */
  const spawned = async (): Promise<number[]> => {
    await waitFor(
      () => descendants(marker).every((p) => p > 0),
      5000,
      'the three descendants start',
    );
    return descendants(marker);
  };
  /**
   * Asserts every process carrying the marker is gone within a second; returns how long it took.
   */
  const goneWithinASecond = async (): Promise<number> => {
    const ms = await waitFor(
      () => anyWith(marker).length === 0,
      1000,
      `every process with ${marker} gone (left: ${anyWith(marker).join(', ')})`,
    );
    expect(anyWith(marker)).toEqual([]);
    return ms;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-kill-'));
    marker = newMarker();
  });
  afterEach(() => {
    // Without a sandbox the double-forked daemon escapes by design (see the driver): clean it up.
    for (const pid of anyWith(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  if (sandbox === 'bwrap') {
    it('a timeout kills the grandchild, the setsid grandchild and the double-forked daemon', async () => {
      const d = await make({ timeoutMs: 1500 });
      const t0 = performance.now();
      const running = start(d, 't', 30);
      const pids = await spawned();
      expect(pids.every((p) => p > 0)).toBe(true);
      const r = await running;
      expect(r).toMatchObject({
        status: 'failed',
        message: 'killed after 1500 ms (wall-time limit)',
      });
      expect(performance.now() - t0).toBeLessThan(1500 + 1000);
      await goneWithinASecond();
    });

    it('an abort through the signal kills them all', async () => {
      const d = await make();
      const ac = new AbortController();
      const running = start(d, 'a', 30, ac.signal);
      await spawned();
      ac.abort(new Error('operator abort'));
      await goneWithinASecond();
      expect((await running).status).toBe('aborted');
    });

    it('abortCommand kills them all', async () => {
      const d = await make();
      const running = start(d, 'ac', 30);
      await spawned();
      await d.abortCommand('ac');
      await goneWithinASecond();
      expect((await running).status).toBe('aborted');
    });

    it('the kill switch (safeState) kills them all, and resolves once the command has ended', async () => {
      const d = await make();
      const running = start(d, 'e', 30);
      await spawned();
      await d.safeState();
      expect((await d.getCommandStatus('e')).status).toBe('aborted');
      await goneWithinASecond();
      expect((await running).status).toBe('aborted');
    });

    it('none outlives a normal exit, and the result does not wait for their pipes', async () => {
      const d = await make();
      const t0 = performance.now();
      const running = start(d, 'n', 0.8);
      await spawned();
      const r = await running;
      expect(r).toMatchObject({ status: 'completed', output: { exit_code: 0 } });
      // The descendants hold stdout and stderr open and would sleep 47 s.
      expect(performance.now() - t0).toBeLessThan(5000);
      await goneWithinASecond();
    });
  } else {
    // Without a sandbox the kill reaches the process group and what is still below the child in
    // the process tree: the grandchild and the setsid grandchild, not the double-forked daemon.
    it('a timeout kills the grandchild and the setsid grandchild; the result does not wait for the daemon', async () => {
      const d = await make({ timeoutMs: 1500 });
      const running = start(d, 't', 30);
      const [child, setsidChild] = await spawned();
      const r = await running;
      expect(r).toMatchObject({
        status: 'failed',
        message: 'killed after 1500 ms (wall-time limit)',
        output: { sandbox: 'none' },
      });
      await waitFor(
        () => pidsWhere((a) => a === `${marker}1` || a === `${marker}2`).length === 0,
        1000,
        `pids ${child} and ${setsidChild} gone`,
      );
    });

    it('an abort kills the grandchild and the setsid grandchild', async () => {
      const d = await make();
      const ac = new AbortController();
      const running = start(d, 'a', 30, ac.signal);
      await spawned();
      ac.abort(new Error('operator abort'));
      await waitFor(
        () => pidsWhere((a) => a === `${marker}1` || a === `${marker}2`).length === 0,
        1000,
        'grandchildren gone',
      );
      expect((await running).status).toBe('aborted');
    });

    it('after a normal exit the grandchild still in its process group is killed; the result does not wait for the others', async () => {
      const d = await make();
      const t0 = performance.now();
      const running = start(d, 'n', 0.8);
      await spawned();
      expect(await running).toMatchObject({ status: 'completed', output: { exit_code: 0 } });
      expect(performance.now() - t0).toBeLessThan(5000);
      await waitFor(
        () => pidsWhere((a) => a === `${marker}1`).length === 0,
        1000,
        'grandchild gone',
      );
    });
  }
});
