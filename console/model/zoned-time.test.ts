import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochToWallTime, wallTimeToEpoch } from './zoned-time.ts';

describe('wall times in the configured zone', () => {
  it('reads a wall time in the zone, not in UTC or the machine zone', () => {
    expect(wallTimeToEpoch('2026-12-02T14:05', 'UTC')).toBe(Date.parse('2026-12-02T14:05:00Z'));
    // Berlin is UTC+1 in December and UTC+2 in July.
    expect(wallTimeToEpoch('2026-12-02T14:05', 'Europe/Berlin')).toBe(
      Date.parse('2026-12-02T13:05:00Z'),
    );
    expect(wallTimeToEpoch('2026-07-02T14:05', 'Europe/Berlin')).toBe(
      Date.parse('2026-07-02T12:05:00Z'),
    );
    expect(wallTimeToEpoch('2026-12-02T14:05:30', 'America/New_York')).toBe(
      Date.parse('2026-12-02T19:05:30Z'),
    );
  });

  it('refuses what is not a wall time', () => {
    for (const bad of [
      '',
      'today',
      '2026-02-31T10:00',
      '2026-12-02T24:00',
      '2026-12-02 14:05',
      '2026-12-02T14:05:60',
      '0000-01-01T00:00',
    ])
      expect(wallTimeToEpoch(bad, 'UTC'), bad).toBeUndefined();
  });

  it('round-trips every minute, DST changes included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2035-01-01') }),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'),
        (ms, tz) => {
          const minute = Math.floor(ms / 60_000) * 60_000;
          const wall = epochToWallTime(minute, tz);
          const back = wallTimeToEpoch(wall, tz);
          // In the repeated hour of a DST end, one wall time names two instants: either is right.
          expect(back === undefined ? NaN : epochToWallTime(back, tz)).toBe(wall);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
