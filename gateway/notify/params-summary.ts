/**
 * Params as a notification shows them: fields the catalog marks `sensitive` redacted, the JSON
 * cut at a byte cap. A notification leaves the gateway for chat rooms and inboxes, so it carries
 * no secret and nothing unbounded.
 */
import type { CatalogEntry } from '../schema/catalog.ts';

export const REDACTED = '[redacted]';

export function summarizeParams(
  params: Record<string, unknown>,
  entry: CatalogEntry | undefined,
  maxBytes: number,
): { text: string; truncated: boolean } {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params))
    shown[name] = entry?.params[name]?.sensitive ? REDACTED : value;
  return capUtf8(JSON.stringify(shown), maxBytes);
}

/** At most `maxBytes` of UTF-8, cut on a character boundary and marked with an ellipsis. */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  let out = '';
  let bytes = 0;
  const budget = maxBytes - 3; // the ellipsis is three bytes
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > budget) break;
    out += ch;
    bytes += n;
  }
  return { text: `${out}…`, truncated: true };
}
