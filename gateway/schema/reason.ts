/**
 * Reasons people give for a stop, a rearm, a rejection, a veto, a level change or a breaker
 * resolution. They are the audit trail's "why", so a reason that shows nothing is no reason:
 * whitespace, control and invisible format characters alone are refused.
 */
import { z } from 'zod';
import { InterlockError } from './errors.ts';
import { HIDDEN_RANGES } from './hidden-characters.ts';

export const REASON_MAX_LENGTH = 2000;

// What shows nothing on its own: white space of every class, controls, format characters,
// combining marks without a base, private-use, unassigned and surrogate code points, and the
// invisible fillers and blanks the shell path refuses (Hangul fillers, Braille blank,
// variation selectors, tags).
const hex = (cp: number): string => `\\u{${cp.toString(16)}}`;
// Letters and symbols whose glyph is blank: the ideographic half fill space, the musical null
// notehead, the Egyptian hieroglyph blanks.
const BLANK_GLYPHS: readonly [number, number][] = [
  [0x303f, 0x303f],
  [0x1d159, 0x1d159],
  [0x13441, 0x13446],
];
const INVISIBLE = new RegExp(
  `[\\p{White_Space}\\p{Cc}\\p{Cf}\\p{M}\\p{Co}\\p{Cn}\\p{Cs}${[...HIDDEN_RANGES, ...BLANK_GLYPHS].map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('')}]`,
  'gu',
);
// Something a reader sees: a letter, digit, punctuation mark or symbol.
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

export const BLANK_REASON_MESSAGE =
  'must say why: blank, whitespace-only or invisible text is not a reason';

/** isBlankReason: nothing would be visible if this reason were shown. */
export function isBlankReason(reason: string): boolean {
  return !VISIBLE.test(reason.replace(INVISIBLE, ''));
}

/** The schema of a required reason: present, at most 2,000 characters, not blank. */
export const RequiredReasonText = z
  .string()
  .min(1, { message: BLANK_REASON_MESSAGE, abort: true })
  .max(REASON_MAX_LENGTH)
  .refine((s) => !isBlankReason(s), BLANK_REASON_MESSAGE);

/**
 * requireReason is the domain's own check, for callers that bypass the HTTP schemas (the
 * console, the CLI, tests): a required reason that is missing or blank is a 422 naming `reason`.
 */
export function requireReason(reason: string | undefined, what: string): string {
  if (reason === undefined || isBlankReason(reason)) {
    throw new InterlockError(
      'validation_failed',
      `a reason is required to ${what}: ${BLANK_REASON_MESSAGE}`,
      { field: 'reason' },
    );
  }
  return reason;
}
