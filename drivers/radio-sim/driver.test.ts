/** radio-sim: the contract suite, then versioned checkpoints and per-subsystem rollback. */
import { describe, expect, it } from 'vitest';
import { driverContract } from '../contract.suite.ts';
import { RadioSimDriver } from './driver.ts';

const opts = (id: string) => ({ idempotencyKey: id, signal: new AbortController().signal });
const commit = (id: string, block: string, tracks: number) => ({
  id,
  kind: 'radio.playlist.commit',
  params: { block, tracks, catalog: 'approved' },
});

driverContract(
  'radio-sim',
  async () => {
    const driver = new RadioSimDriver();
    return {
      driver,
      command: (n: number) => commit(`cmd-${n}`, `b${n}`, n),
      actuations: async () => driver.onAir.filter((e) => e.subsystem !== 'safe_loop').length,
      isSafe: async () => driver.mode === 'safe_loop',
      cleanup: async () => undefined,
    };
  },
  {
    abort: 'a write airs at once; there is no in-flight window to abort',
    restart: 'the simulator keeps its versions in memory',
    timeout: 'the simulator answers in-process; it has no link that can stall',
  },
);

describe('radio-sim', () => {
  it('every write is a new version with provenance; a rollback restores exactly one subsystem', async () => {
    const d = new RadioSimDriver();
    await d.connect();
    await d.writeCommand(commit('p1', 'morning', 10), opts('p1'));
    await d.writeCommand(
      {
        id: 'a1',
        kind: 'radio.ad.insert',
        params: { block: 'morning', campaign: 'c1', campaign_pool: 'daypart', catalog: 'approved' },
      },
      opts('a1'),
    );
    await d.writeCommand(commit('p2', 'morning', 12), opts('p2'));
    expect(d.onAir.map((e) => e.actionId)).toEqual(['p1', 'a1', 'p2']);
    const adsBefore = structuredClone(d.current('ads'));
    await d.writeCommand(
      { id: 'rb', kind: 'radio.rollback', params: { subsystem: 'playlist' } },
      opts('rb'),
    );
    expect(d.current('playlist')).toEqual({
      morning: { tracks: 10, catalog: 'approved', by: 'p1' },
    });
    expect(d.current('ads')).toEqual(adsBefore);
    expect(d.versions.playlist).toHaveLength(4);
    await d.safeState();
    expect((await d.readState()).mode).toBe('safe_loop');
  });
});
