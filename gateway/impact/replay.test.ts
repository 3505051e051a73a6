// The direction of a changed decision: what the impact gate fails on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../schema/impact.ts';
import { direction, transitionLabel } from './replay.ts';

const v = (
  effect: Verdict['effect'],
  approvals = 0,
  rules = ['policy.x'],
  stage = 'policy',
  extra: Partial<Verdict> = {},
): Verdict => ({
  effect,
  stage,
  rules,
  approvals,
  roles: effect === 'require_approval' ? ['operator'] : [],
  vetoSeconds: 0,
  recommendation: false,
  ...extra,
});

describe('direction', () => {
  it.each([
    [v('deny'), v('allow'), 'loosened'],
    [v('deny'), v('require_approval', 2), 'loosened'],
    [v('require_approval', 1), v('allow'), 'loosened'],
    // A veto window alone is still a hold: passing it is looser.
    [v('require_approval', 0, undefined, undefined, { vetoSeconds: 30 }), v('allow'), 'loosened'],
    // No approvals and no veto window is approved at once, like allow.
    [v('require_approval', 0), v('allow', 0, ['policy.x']), 'changed'],
    [
      v('require_approval', 1, undefined, undefined, { vetoSeconds: 30 }),
      v('require_approval', 1),
      'loosened',
    ],
    // A role that may now approve is looser; one that no longer may, tighter.
    [
      v('require_approval', 1),
      v('require_approval', 1, undefined, undefined, { roles: ['operator', 'agent'] }),
      'loosened',
    ],
    [
      v('require_approval', 1, undefined, undefined, { roles: ['operator', 'admin'] }),
      v('require_approval', 1),
      'tightened',
    ],
    // Recommendation only (L1, L2) is more than nothing.
    [v('allow', 0, undefined, undefined, { recommendation: true }), v('allow'), 'loosened'],
    [v('require_approval', 2), v('require_approval', 1), 'loosened'],
    [v('allow'), v('deny'), 'tightened'],
    [v('require_approval', 1), v('require_approval', 2), 'tightened'],
    [v('allow'), v('require_approval', 0, undefined, undefined, { vetoSeconds: 5 }), 'tightened'],
    [v('deny', 0, ['baseline.a']), v('deny', 0, ['invariant.b'], 'invariants'), 'changed'],
    [v('allow', 0, ['policy.a']), v('allow', 0, ['policy.b']), 'changed'],
  ] as const)('%o → %o is %s', (before, after, expected) => {
    expect(direction(before, after)).toBe(expected);
  });

  it('is undefined for the same verdict, whatever the order of its rules', () => {
    expect(direction(v('deny', 0, ['a', 'b']), v('deny', 0, ['b', 'a']))).toBeUndefined();
    expect(direction(v('deny', 0, ['a', 'a']), v('deny', 0, ['a', 'b']))).toBe('changed');
  });

  it('is antisymmetric: a looser change read backwards is a tighter one', () => {
    const verdict = fc.record({
      effect: fc.constantFrom('allow', 'require_approval', 'deny'),
      stage: fc.constantFrom('policy', 'baseline', 'invariants'),
      rules: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
      approvals: fc.integer({ min: 0, max: 3 }),
      roles: fc.subarray(['operator', 'admin', 'agent']),
      vetoSeconds: fc.constantFrom(0, 30),
      recommendation: fc.boolean(),
    }) as fc.Arbitrary<Verdict>;
    fc.assert(
      fc.property(verdict, verdict, (a, b) => {
        const there = direction(a, b);
        const back = direction(b, a);
        // Roles swapped both ways let someone new approve in either direction: looser both ways.
        if (there === 'tightened') expect(back).toBe('loosened');
        if (there === 'changed') expect(back).toBe('changed');
        if (there === undefined) expect(back).toBeUndefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it('labels holds with their approvals', () => {
    expect(transitionLabel(v('require_approval', 2), v('allow'))).toBe(
      'require_approval(2) → allow',
    );
  });
});
