/**
 * Cooling after a stop: the simulated roaster turns itself off once it is cool, so preheat is
 * possible again, and not before.
 */
import { describe, expect, it } from 'vitest';
import { advance, apply, initialState, safe, SAFE_OFF_TEMP } from './model.ts';

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
