/**
 * The driver contract suite: what every driver must do, run against each one with a real
 * target (simulator, loopback TCP controller, real processes). A driver that cannot do
 * something says so in its skip list, with the reason.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver, DriverCommand } from '../gateway/schema/driver.ts';

export interface ContractHarness {
  driver: Driver;
  /** A command that completes; different n, different command id. */
  command(n: number): DriverCommand;
  /**
   * A command slow enough to abort in flight (it may swap in a slower driver; the suite connects
   * it).
   */
  slowCommand?(n: number): DriverCommand;
  /** How many times the target actually changed. */
  actuations(): Promise<number>;
  /** A new driver over the same target: what a restarted gateway gets. */
  restart?(): Promise<Driver>;
  /**
   * Makes commands outlast the driver's time limit (it may swap in another driver; the suite
   * connects it).
   */
  stall?(): void;
  /** Whether the target is in its safe state. */
  isSafe?(): Promise<boolean>;
  cleanup(): Promise<void>;
}

export type ContractCase =
  | 'connect'
  | 'write'
  | 'idempotency'
  | 'abort'
  | 'restart'
  | 'safe_state'
  | 'checkpoint'
  | 'timeout'
  | 'unknown_command';

const opts = (signal = new AbortController().signal, key = 'k') => ({
  idempotencyKey: key,
  signal,
});

export function driverContract(
  name: string,
  make: () => Promise<ContractHarness>,
  skip: Partial<Record<ContractCase, string>> = {},
): void {
  describe(`driver contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await make();
      await h.driver.connect();
    });
    afterEach(async () => {
      await h.driver.disconnect().catch(() => undefined);
      await h.cleanup();
    });
    const test = (c: ContractCase, title: string, fn: () => Promise<void>): void => {
      if (skip[c]) it.skip(`${title} (skipped: ${skip[c]})`, fn);
      else it(title, fn, 20_000);
    };

    test('connect', 'connects and disconnects, and says so', async () => {
      expect(h.driver.connected).toBe(true);
      expect(typeof (await h.driver.readState())).toBe('object');
      await h.driver.disconnect();
      expect(h.driver.connected).toBe(false);
    });

    test('write', 'writes a command, which completes and is then known as completed', async () => {
      const cmd = h.command(1);
      const r = await h.driver.writeCommand(cmd, opts(undefined, cmd.id));
      expect(r.status).toBe('completed');
      expect(await h.actuations()).toBe(1);
      expect((await h.driver.getCommandStatus(cmd.id)).status).toBe('completed');
    });

    test('idempotency', 'a repeated write with the same id does not actuate twice', async () => {
      const cmd = h.command(2);
      await h.driver.writeCommand(cmd, opts(undefined, cmd.id));
      const again = await h.driver.writeCommand(cmd, opts(undefined, cmd.id));
      expect(again.status).toBe('completed');
      expect(await h.actuations()).toBe(1);
    });

    test('abort', 'a command aborted in flight ends aborted and does not actuate', async () => {
      const cmd = h.slowCommand!(3);
      if (!h.driver.connected) await h.driver.connect();
      const ac = new AbortController();
      const running = h.driver.writeCommand(cmd, opts(ac.signal, cmd.id));
      await new Promise((r) => setTimeout(r, 50));
      ac.abort(new Error('operator abort'));
      expect((await running).status).toBe('aborted');
      expect(await h.actuations()).toBe(0);
    });

    test('restart', 'after a restart the driver still knows what became of a command', async () => {
      const cmd = h.command(4);
      await h.driver.writeCommand(cmd, opts(undefined, cmd.id));
      await h.driver.disconnect();
      const fresh = await h.restart!();
      await fresh.connect();
      try {
        expect((await fresh.getCommandStatus(cmd.id)).status).toBe('completed');
        // Re-sent after the restart, it is still not applied twice.
        await fresh.writeCommand(cmd, opts(undefined, cmd.id));
        expect(await h.actuations()).toBe(1);
      } finally {
        await fresh.disconnect();
      }
    });

    test('safe_state', 'brings the target to its safe state', async () => {
      await h.driver.safeState();
      if (h.isSafe) expect(await h.isSafe()).toBe(true);
    });

    test('checkpoint', 'checkpoints and restores the target', async () => {
      const before = await h.driver.readState();
      const ref = await h.driver.checkpoint!();
      await h.driver.writeCommand(h.command(5), opts());
      await h.driver.restore!(ref);
      expect(await h.driver.readState()).toMatchObject(before);
    });

    test(
      'timeout',
      'a command that outlasts its time limit fails, loudly: transient (to retry) or failed (killed)',
      async () => {
        h.stall!();
        if (!h.driver.connected) await h.driver.connect();
        const cmd = h.command(6);
        const r = await h.driver.writeCommand(cmd, opts(undefined, cmd.id)).then(
          (v) => v,
          (e: unknown) => e,
        );
        if (r instanceof Error) expect(r).toMatchObject({ code: 'driver_transient' });
        else
          expect(r).toMatchObject({
            status: 'failed',
            message: expect.stringMatching(/ms|limit|time/i),
          });
      },
    );

    test('unknown_command', 'an id it never saw is not_found', async () => {
      expect((await h.driver.getCommandStatus('never-sent')).status).toBe('not_found');
    });
  });
}
