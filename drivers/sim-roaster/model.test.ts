/**
 * Cooling after a stop: the simulated roaster turns itself off once it is cool, so preheat is
 * possible again, and not before.
 */
import { describe, expect, it } from 'vitest';
import { advance, apply, initialState, safe, SAFE_OFF_TEMP, withSetpoints } from './model.ts';

/** Simulated seconds until the roaster is OFF, in 1 s steps (undefined past `limit`). */
function secondsToOff(start: ReturnType<typeof initialState>, limit = 3600): number | undefined {
  let s = start;
  for (let t = 0; t <= limit; t++) {
    if (s.mode === 'OFF') return t;
    s = advance(s, 1);
  }
  return undefined;
}

describe('cooling after a stop, an abort or an emergency shutdown', () => {
  it.each(['roaster.abort', 'roaster.emergency_shutdown'] as const)(
    'a running roaster cools to OFF after %s, about two minutes, and can preheat again',
    (kind) => {
      const running = advance(
        apply(initialState('RUNNING'), 'roaster.set_power', { value: 80 }),
        120,
      );
      const stopped = apply(running, kind, {});
      expect(stopped.mode).toBe('COOLING');
      const seconds = secondsToOff(stopped);
      expect(seconds).toBeGreaterThan(60);
      expect(seconds).toBeLessThan(240);
      const off = advance(stopped, seconds!);
      expect(off).toMatchObject({ mode: 'OFF', power: 0, fan: 0, drumRpm: 0, airflow: 0 });
      expect(off.envTemp).toBeLessThanOrEqual(SAFE_OFF_TEMP);
      expect(off.beanTemp).toBeLessThanOrEqual(SAFE_OFF_TEMP);
      expect(apply(off, 'roaster.preheat', { target_temp: 200 }).mode).toBe('PREHEATING');
    },
  );

  it('stays COOLING, fan on, while either temperature is above the safe one', () => {
    let s = safe(initialState('RUNNING'));
    for (let t = 0; t < 600 && s.mode === 'COOLING'; t++) {
      expect(Math.max(s.envTemp, s.beanTemp) > SAFE_OFF_TEMP || s.mode !== 'COOLING').toBe(true);
      expect(s.fan).toBe(10);
      expect(() => apply(s, 'roaster.preheat', { target_temp: 200 })).toThrow();
      s = advance(s, 1);
    }
    expect(s.mode).toBe('OFF');
  });
});

describe('a rollback to a checkpoint', () => {
  const running = { ...initialState('RUNNING'), power: 70, fan: 5, drumRpm: 65, airflow: 40 };
  const cp = { ...running, power: 40, fan: 3, drumRpm: 60, airflow: 30, beanTemp: 20 };
  const named = { checkpoint: 'cp-1', power: 40, fan: 3, drum_rpm: 60, airflow: 30 };

  it('restores the setpoints the command names, and nothing else', () => {
    const next = withSetpoints(running, cp, named);
    expect([next.power, next.fan, next.drumRpm, next.airflow]).toEqual([40, 3, 60, 30]);
    expect(next.beanTemp).toBe(running.beanTemp);
    expect(next.mode).toBe('RUNNING');
  });

  it('refuses values that are not the checkpoint’s: what runs is what was decided', () => {
    for (const field of ['power', 'fan', 'drum_rpm', 'airflow'] as const)
      expect(() => withSetpoints(running, cp, { ...named, [field]: 1 }), field).toThrow(
        /checkpoint holds/,
      );
    expect(() => withSetpoints(running, cp, { ...named, power: '40' })).toThrow(/checkpoint holds/);
  });

  it('refuses heat while cooling or off, heat on a tripped burner, and heat without fan or drum', () => {
    expect(() => withSetpoints({ ...running, mode: 'COOLING' }, cp, named)).toThrow(/COOLING/);
    expect(() => withSetpoints({ ...running, mode: 'OFF' }, cp, named)).toThrow(/OFF/);
    expect(() => withSetpoints({ ...running, tripped: true }, cp, named)).toThrow(/tripped/);
    const noDrum = { ...cp, drumRpm: 0 };
    expect(() => withSetpoints(running, noDrum, { ...named, drum_rpm: 0 })).toThrow(/scorch/);
  });
});
