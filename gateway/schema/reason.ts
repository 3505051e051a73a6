/**
 * Reasons people give for a stop, a rearm, a rejection, a veto, a level change or a breaker
 * resolution. They are the audit trail's "why", so a reason that shows nothing is no reason:
 * whitespace, control and invisible format characters alone are refused.
 */
import { z } from 'zod';
import { InterlockError } from './errors.ts';

export const REASON_MAX_LENGTH = 2000;

// White space of every class, controls, and format characters (zero-width, bidirectional marks).
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}]/gu;

export const BLANK_REASON_MESSAGE = 'must say why: blank, whitespace-only or invisible text is not a reason';

/** isBlankReason: nothing would be visible if this reason were shown. */
export function isBlankReason(reason: string): boolean {
  return reason.replace(INVISIBLE, '') === '';
}

/** The schema of a required reason: present, at most 2,000 characters, not blank. */
export const RequiredReasonText = z.string().max(REASON_MAX_LENGTH).refine((s) => !isBlankReason(s), BLANK_REASON_MESSAGE);

/**
 * requireReason is the domain's own check, for callers that bypass the HTTP schemas (the
 * console, the CLI, tests): a required reason that is missing or blank is a 422 naming `reason`.
 */
export function requireReason(reason: string | undefined, what: string): string {
  if (reason === undefined || isBlankReason(reason)) {
    throw new InterlockError('validation_failed', `a reason is required to ${what}: ${BLANK_REASON_MESSAGE}`, { field: 'reason' });
  }
  return reason;
}
