/**
 * radio-sim: the contract suite, then versioned checkpoints, per-subsystem rollback and the
 * restore of a checkpoint.
 */
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
    // A rollback during the loop changes what airs later, not now: only a resume ends the loop.
    await d.writeCommand(
      { id: 'rb2', kind: 'radio.rollback', params: { subsystem: 'all' } },
      opts('rb2'),
    );
    expect(d.mode).toBe('safe_loop');
    await d.writeCommand({ id: 'go', kind: 'radio.resume', params: {} }, opts('go'));
    expect(d.mode).toBe('live');
    await expect(
      d.writeCommand({ id: 'go2', kind: 'radio.resume', params: {} }, opts('go2')),
    ).rejects.toThrow(/already live/);
  });

  it('a checkpoint is restored only as decided: its versions and digest, while live, as new versions', async () => {
    const d = new RadioSimDriver();
    await d.connect();
    await d.writeCommand(commit('p1', 'morning', 10), opts('p1'));
    const cp = await d.checkpoint();
    await d.writeCommand(commit('p2', 'morning', 12), opts('p2'));
    await d.writeCommand(
      { id: 's1', kind: 'radio.script.publish', params: { script: 'intro', daypart: 'morning' } },
      opts('s1'),
    );
    const restore = d.rollbackAction(cp)!;
    expect(restore.kind).toBe('radio.restore');
    expect(restore.params).toMatchObject({
      checkpoint: cp.id,
      from_playlist_version: 2,
      from_ads_version: 0,
      from_scripts_version: 1,
      playlist_version: 1,
      ads_version: 0,
      scripts_version: 0,
    });
    expect(restore.params.content_sha256).toMatch(/^[0-9a-f]{64}$/);

    // Anything but the checkpoint's own values is refused, and nothing airs.
    const aired = d.onAir.length;
    for (const [key, value] of [
      ['playlist_version', 2],
      ['scripts_version', 1],
      ['from_ads_version', 1],
      ['content_sha256', '0'.repeat(64)],
      ['checkpoint', 'cp-1'],
    ] as const) {
      await expect(
        d.writeCommand(
          { id: `bad-${key}`, kind: 'radio.restore', params: { ...restore.params, [key]: value } },
          opts(`bad-${key}`),
        ),
      ).rejects.toThrow(key === 'checkpoint' ? /no checkpoint cp-1/ : new RegExp(key));
    }
    expect(d.onAir).toHaveLength(aired);

    // During the fallback loop old content must not air, and a restore never ends the loop.
    await d.safeState();
    await expect(
      d.writeCommand({ id: 'r0', kind: 'radio.restore', params: restore.params }, opts('r0')),
    ).rejects.toThrow(/fallback loop/);
    expect(d.mode).toBe('safe_loop');
    await d.writeCommand({ id: 'go', kind: 'radio.resume', params: {} }, opts('go'));

    // A write that airs after the proposal is not undone by it: the station has moved on.
    await d.writeCommand(
      {
        id: 'a1',
        kind: 'radio.ad.insert',
        params: { block: 'noon', campaign: 'c1', campaign_pool: 'daypart', catalog: 'approved' },
      },
      opts('a1'),
    );
    await expect(
      d.writeCommand({ id: 'r-stale', kind: 'radio.restore', params: restore.params }, opts('rs')),
    ).rejects.toThrow(/from_ads_version/);
    const current = d.rollbackAction(cp)!;
    await d.writeCommand({ id: 'r1', kind: 'radio.restore', params: current.params }, opts('r1'));
    expect(d.current('playlist')).toEqual({
      morning: { tracks: 10, catalog: 'approved', by: 'p1' },
    });
    expect(d.current('scripts')).toEqual({});
    // Each changed subsystem airs again as a new version, with the restore as its provenance.
    expect(d.onAir.slice(-3).map((e) => [e.subsystem, e.version, e.actionId])).toEqual([
      ['playlist', 3, 'r1'],
      ['ads', 2, 'r1'],
      ['scripts', 2, 'r1'],
    ]);
  });

  it('checkpoint ids are not reused by a new driver (a restart)', async () => {
    const a = await new RadioSimDriver().checkpoint();
    const b = await new RadioSimDriver().checkpoint();
    expect(a.id).not.toBe(b.id);
    expect(new RadioSimDriver().rollbackAction(a)).toBeUndefined();
  });
});
