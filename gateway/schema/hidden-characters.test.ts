import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HIDDEN_RANGES, withoutHiddenCharacters } from './hidden-characters.ts';

describe('withoutHiddenCharacters', () => {
  it('removes every character of every hidden range and lone surrogates, and keeps line feeds', () => {
    for (const [a, b] of HIDDEN_RANGES)
      for (const cp of [a, b, Math.floor((a + b) / 2)]) {
        const c = String.fromCodePoint(cp);
        expect(withoutHiddenCharacters(`a${c}b`), cp.toString(16)).toBe(c === '\n' ? 'a\nb' : 'ab');
      }
    expect(withoutHiddenCharacters('a\uD800b\uDFFFc')).toBe('abc');
    expect(withoutHiddenCharacters('Read a file.\nThen 😀 report ünïcode')).toBe(
      'Read a file.\nThen 😀 report ünïcode',
    );
  });

  it('leaves nothing hidden in any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = withoutHiddenCharacters(s);
        for (const ch of out) {
          const cp = ch.codePointAt(0)!;
          if (ch === '\n') continue;
          expect(HIDDEN_RANGES.some(([a, b]) => cp >= a && cp <= b)).toBe(false);
          expect(cp >= 0xd800 && cp <= 0xdfff).toBe(false);
        }
      }),
    );
  });
});
