/** Blank reasons: everything that shows nothing is refused; anything a reader sees counts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBlankReason } from './reason.ts';

// Each shows nothing on its own (the red team's list, and the classes it stands for).
const INVISIBLE = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\u0000',
  '\u001b',
  '\u007f',
  '\u009f',
  '\u00ad',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u202e',
  '\u2066',
  '\u2060',
  '\ufeff',
  '\u3164',
  '\u115f',
  '\u1160',
  '\uffa0',
  '\u2800',
  '\u17b4',
  '\u180b',
  '\u034f',
  '\ufe0f',
  '\u{e0100}',
  '\u{e0041}',
  '\u0300',
  '\u0301',
  '\u20dd',
  '\ue000',
  '\u{f0000}',
  '\uffff',
  '\ud800',
  '\udfff',
  '\u{1bca0}',
  '\u303f',
  '\u{1d159}',
  '\u{13441}',
  '\u{13446}',
];

describe('isBlankReason', () => {
  it.each(INVISIBLE.map((c) => [JSON.stringify(c), c]))(
    '%s alone, or repeated, is blank',
    (_, c) => {
      expect(isBlankReason(c)).toBe(true);
      expect(isBlankReason(c.repeat(50))).toBe(true);
    },
  );

  it('any mix of invisible characters is blank (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...INVISIBLE), { minLength: 0, maxLength: 40 }),
        (parts) => isBlankReason(parts.join('')),
      ),
      { numRuns: 2000 },
    );
  });

  it('a letter, digit, punctuation mark or symbol among them is a reason', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...INVISIBLE), { maxLength: 20 }),
        fc.constantFrom('a', 'Ж', '漢', '7', '٣', '.', '?', '€', '✓', 'é', 'e\u0301'),
        fc.nat(20),
        (parts, visible, at) => {
          parts.splice(at % (parts.length + 1), 0, visible);
          return !isBlankReason(parts.join(''));
        },
      ),
      { numRuns: 2000 },
    );
    expect(isBlankReason('beans not ready')).toBe(false);
  });
});
