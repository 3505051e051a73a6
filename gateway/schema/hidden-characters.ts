/**
 * Characters that hide text. The shell path refuses them in argv; reasons do not count them
 * as something said.
 */
// Characters that separate words for some tokenizer or terminal, or hide text: C0 and C1
// controls (tab and newline included), DEL, Unicode spaces other than U+0020, zero-width and
// joiner characters, bidirectional marks and isolates, invisible fillers and blanks (Hangul,
// Khmer, Braille), variation selectors, format controls (Egyptian, shorthand, musical), tag
// characters. Spelled out as ranges, not Unicode properties, so every engine
// that checks them (this one, RE2 in the policy) agrees whatever its Unicode version.
export const HIDDEN_RANGES: readonly [number, number][] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x00a0, 0x00a0],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x1680, 0x1680],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x2000, 0x200f],
  [0x2028, 0x202f],
  [0x205f, 0x206f],
  [0x2800, 0x2800],
  [0x3000, 0x3000],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfffb],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  // The whole block Unicode reserves as default-ignorable (tags, variation selectors
  // supplement, and the unassigned rest, which renderers draw as nothing).
  [0xe0000, 0xe0fff],
];

const u = (cp: number): string => `\\u{${cp.toString(16)}}`;

/** The same set as a JavaScript character class over code points (u flag), lone surrogates too. */
export const HIDDEN_CHARACTER_PATTERN = `[${HIDDEN_RANGES.map(([a, b]) => (a === b ? u(a) : `${u(a)}-${u(b)}`)).join('')}]|\\p{Cs}`;

const HIDDEN = new RegExp(HIDDEN_CHARACTER_PATTERN, 'gu');

/** The text without characters that hide text (and lone surrogates); line feeds are kept. */
export function withoutHiddenCharacters(text: string): string {
  return text.replace(HIDDEN, (c) => (c === '\n' ? c : ''));
}
