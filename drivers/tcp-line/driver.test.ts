/**
 * tcp-line against a real TCP controller on loopback: the contract suite, then the faults a
 * vendor link has: a stalled controller, a connection dropped mid-command, garbage lines, a
 * controller that is not there, and reconnecting when it comes back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransientDriverError } from '../../gateway/schema/driver.ts';
import { driverContract } from '../contract.suite.ts';
import { TcpLineDriver } from './driver.ts';
import { LoopbackController } from './loopback-controller.ts';

const opts = (id: string, signal = new AbortController().signal) => ({
  idempotencyKey: id,
  signal,
});

driverContract(
  'tcp-line',
  async () => {
    const controller = new LoopbackController();
    const port = await controller.start();
    const make = () => new TcpLineDriver({ port, commandTimeoutMs: 300, reconnectMinMs: 20 });
    return {
      driver: make(),
      command: (n) => ({ id: `cmd-${n}`, kind: 'roaster.set_power', params: { value: 10 + n } }),
      slowCommand: (n) => {
        controller.latencyMs = 1000;
        return { id: `slow-${n}`, kind: 'roaster.set_power', params: { value: 50 } };
      },
      actuations: async () => controller.actuations,
      restart: async () => make(),
      stall: () => {
        controller.fault = 'stall';
      },
      isSafe: async () => controller.state.mode === 'SAFE' && controller.state.power === 0,
      cleanup: () => controller.stop(),
    };
  },
  { checkpoint: 'the vendor protocol has no checkpoint or restore' },
);

describe('tcp-line faults', () => {
  let controller: LoopbackController;
  let driver: TcpLineDriver;
  beforeEach(async () => {
    controller = new LoopbackController();
    const port = await controller.start();
    driver = new TcpLineDriver({
      port,
      commandTimeoutMs: 300,
      connectTimeoutMs: 300,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
    });
    await driver.connect();
  });
  afterEach(async () => {
    await driver.disconnect();
    await controller.stop().catch(() => undefined);
  });

  it('a connection dropped mid-command fails the command as transient, and the driver reconnects', async () => {
    controller.fault = 'drop';
    await expect(
      driver.writeCommand({ id: 'd1', kind: 'k', params: { value: 1 } }, opts('d1')),
    ).rejects.toBeInstanceOf(TransientDriverError);
    controller.fault = 'none';
    await new Promise((r) => setTimeout(r, 100));
    // The retry with the same id goes through once the link is back.
    expect(
      (await driver.writeCommand({ id: 'd1', kind: 'k', params: { value: 1 } }, opts('d1'))).status,
    ).toBe('completed');
    expect(controller.actuations).toBe(1);
  });

  it('a garbage line fails what is in flight and starts a fresh connection', async () => {
    controller.fault = 'garbage';
    await expect(
      driver.writeCommand({ id: 'g1', kind: 'k', params: { value: 1 } }, opts('g1')),
    ).rejects.toThrow(/not a response/);
    expect(driver.garbageLines).toBe(1);
    controller.fault = 'none';
    await new Promise((r) => setTimeout(r, 100));
    expect((await driver.readState()).mode).toBe('RUNNING');
  });

  it('a refusal by the controller is permanent, not retried', async () => {
    await expect(
      driver.writeCommand({ id: 'r1', kind: 'k', params: { value: 500 } }, opts('r1')),
    ).rejects.toMatchObject({ code: 'driver_rejected', message: /exceeds the controller's limit/ });
    expect((await driver.getCommandStatus('r1')).status).toBe('failed');
  });

  it('a controller that is not there fails to connect within the timeout', async () => {
    await controller.stop();
    const lonely = new TcpLineDriver({ port: controller.port, connectTimeoutMs: 200 });
    await expect(lonely.connect()).rejects.toBeInstanceOf(TransientDriverError);
    expect(lonely.connected).toBe(false);
    await lonely.disconnect();
  });

  it('reconnects with backoff when the controller comes back on the same port', async () => {
    const port = controller.port;
    await controller.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(driver.connected).toBe(false);
    controller = new LoopbackController();
    await controller.start(port);
    for (let i = 0; i < 40 && !driver.connected; i++) await new Promise((r) => setTimeout(r, 25));
    expect(driver.connected).toBe(true);
    expect((await driver.readState()).mode).toBe('RUNNING');
  });
});
