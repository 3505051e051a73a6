import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requiredLiterals } from './translate.ts';

describe('requiredLiterals: the cheap test that may skip a regex', () => {
  it('finds a mandatory group of alternated words', () => {
    expect(requiredLiterals('(^|[\\s;|&(`])(sudo|su|doas)(\\s|$)')).toEqual(['sudo', 'su', 'doas']);
    expect(requiredLiterals('[(](ab|cd)')).toEqual(['ab', 'cd']);
  });
  it('finds a leading literal run', () => {
    expect(requiredLiterals('>\\s*(~|/etc)')).toEqual(['>']);
  });
  it('leaves out a character a quantifier makes optional', () => {
    expect(requiredLiterals('https?://')).toEqual(['http']);
    expect(requiredLiterals('ab*c')).toEqual(['a']);
    expect(requiredLiterals('ab{0,3}')).toEqual(['a']);
    expect(requiredLiterals('a?b')).toBeUndefined();
    expect(requiredLiterals('ab+')).toEqual(['ab']);
  });
  it('gives up whenever a literal is not certain to appear', () => {
    expect(requiredLiterals('a|b')).toBeUndefined();
    expect(requiredLiterals('(x|y)?z')).toBeUndefined();
    expect(requiredLiterals('(?i)(curl|wget)')).toBeUndefined();
    expect(requiredLiterals('(a(b|c))')).toBeUndefined();
  });

  it('is sound: every string the regex matches contains one of the literals (fast-check)', () => {
    const atom = fc.oneof(
      fc.constantFrom(
        'a',
        'b',
        'c',
        'ab',
        'ht',
        's',
        ':',
        '/',
        '.',
        '[ab]',
        '[^a]',
        '\\s',
        '(a|b)',
        '(ab|c)',
        '(?:a|bc)',
        '(^|x)',
        '($|y)',
      ),
      fc
        .constantFrom('a', 'b')
        .chain((x) =>
          fc.constantFrom(
            `${x}?`,
            `${x}*`,
            `${x}+`,
            `${x}{0,2}`,
            `${x}{1,2}`,
            `(${x}|c)?`,
            `(${x}|c)*`,
            `(${x}b)+`,
          ),
        ),
    );
    const regex = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.array(atom, { minLength: 1, maxLength: 5 }).map((xs) => xs.join('')),
      },
      fc
        .tuple(
          fc.array(atom, { minLength: 1, maxLength: 3 }),
          fc.array(atom, { minLength: 1, maxLength: 3 }),
        )
        .map(([x, y]) => `${x.join('')}|${y.join('')}`),
    );
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', 'c', 's', ':', '/', 'h', 't', 'x', 'y', ' ', '.'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(regex, fc.array(text, { minLength: 20, maxLength: 20 }), (re, texts) => {
        const need = requiredLiterals(re);
        if (!need) return;
        const r = new RegExp(re);
        for (const t of texts)
          if (r.test(t))
            expect(
              need.some((l) => t.includes(l)),
              `${re} matches ${JSON.stringify(t)} without ${JSON.stringify(need)}`,
            ).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });
});
