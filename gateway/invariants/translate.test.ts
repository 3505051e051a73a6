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
  it('gives up whenever a literal is not certain to appear', () => {
    expect(requiredLiterals('a|b')).toBeUndefined();
    expect(requiredLiterals('(x|y)?z')).toBeUndefined();
    expect(requiredLiterals('(?i)(curl|wget)')).toBeUndefined();
    expect(requiredLiterals('(a(b|c))')).toBeUndefined();
  });
});
