import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverRejectedError } from '../../gateway/schema/driver.ts';
import { SimRoasterDriver } from './driver.ts';
import { advance, apply, initialState } from './model.ts';

const opts = (signal = new AbortController().signal) => ({ idempotencyKey: 'k', signal });

describe('sim-roaster model', () => {
  it('heats with the burner on and cools with it off', () => {
    const running = apply(initialState('RUNNING'), 'roaster.set_power', { value: 100 });
    const hotter = advance(running, 60);
    expect(hotter.envTemp).toBeGreaterThan(running.envTemp);
    expect(hotter.beanTemp).toBeGreaterThan(running.beanTemp);
    const off = advance(apply(hotter, 'roaster.set_power', { value: 0 }), 60);
    expect(off.envTemp).toBeLessThan(hotter.envTemp);
  });

  it('trips the burner above its over-temperature limit', () => {
    const s = advance(apply(initialState('RUNNING'), 'roaster.set_power', { value: 100 }), 3600);
    expect(s.tripped).toBe(true);
    expect(s.power).toBe(0);
    expect(() => apply(s, 'roaster.set_power', { value: 50 })).toThrow(/tripped/);
  });

  it('walks OFF -> PREHEATING -> RUNNING -> COOLING -> OFF', () => {
    let s = apply(initialState('OFF'), 'roaster.preheat', { target_temp: 200 });
    expect(s.mode).toBe('PREHEATING');
    s = apply(s, 'roaster.charge', {});
    expect(s.mode).toBe('RUNNING');
    s = apply(s, 'roaster.cooling_cycle', { duration_s: 30 });
    expect(s).toMatchObject({ mode: 'COOLING', power: 0 });
    expect(advance(s, 31).mode).toBe('OFF');
  });
});

describe('sim-roaster driver', () => {
  it('refuses what its hardware cannot do, whatever the gateway decided', async () => {
    const d = new SimRoasterDriver({ mode: 'RUNNING' });
    await d.connect();
    await expect(
      d.writeCommand({ id: 'a', kind: 'roaster.set_power', params: { value: 140 } }, opts()),
    ).rejects.toBeInstanceOf(DriverRejectedError);
    await expect(
      d.writeCommand({ id: 'b', kind: 'roaster.preheat', params: { target_temp: 200 } }, opts()),
    ).rejects.toThrow(/RUNNING/);
    expect(await d.getCommandStatus('a')).toMatchObject({ status: 'failed' });
  });

  it('applies a command once, answers a repeat from memory, and survives a restart through its journal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-'));
    try {
      const journalFile = path.join(dir, 'j.jsonl');
      const d = new SimRoasterDriver({ mode: 'RUNNING', journalFile });
      await d.connect();
      expect(
        await d.writeCommand({ id: 'c1', kind: 'roaster.set_fan', params: { value: 7 } }, opts()),
      ).toMatchObject({ status: 'completed' });
      expect(
        await d.writeCommand({ id: 'c1', kind: 'roaster.set_fan', params: { value: 7 } }, opts()),
      ).toMatchObject({ status: 'completed' });
      expect(readFileSync(journalFile, 'utf8').match(/"applied"/g)).toHaveLength(1);
      const again = new SimRoasterDriver({ mode: 'OFF', journalFile });
      await again.connect();
      expect(await again.getCommandStatus('c1')).toMatchObject({ status: 'completed' });
      expect(await again.getCommandStatus('never')).toEqual({ status: 'not_found' });
      expect(await again.readState()).toMatchObject({ mode: 'RUNNING', fan: 7 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('aborts a slow command in flight and reaches its safe state', async () => {
    const d = new SimRoasterDriver({ mode: 'RUNNING', latencyMs: 10_000 });
    await d.connect();
    const controller = new AbortController();
    const pending = d.writeCommand(
      { id: 'slow', kind: 'roaster.set_power', params: { value: 80 } },
      opts(controller.signal),
    );
    expect(await d.getCommandStatus('slow')).toEqual({ status: 'in_progress' });
    await d.safeState();
    expect(await pending).toMatchObject({ status: 'aborted' });
    expect(await d.readState()).toMatchObject({ power: 0, fan: 10, drumRpm: 60, mode: 'COOLING' });
  });
});
