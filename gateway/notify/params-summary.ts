/**
 * Params as a notification shows them: fields the catalog marks `sensitive` redacted, the JSON
 * cut at a byte cap. A notification leaves the gateway for chat rooms and inboxes, so it carries
 * no secret and nothing unbounded.
 */
import type { CatalogEntry } from '../schema/catalog.ts';

export const REDACTED = '[redacted]';

/**
 * The params as they may be shown: a field the catalog marks sensitive is redacted, and so is
 * every field when the kind is not in the catalog in force (nothing says which are safe).
 * Everything shown (the label too) is built from this, never from the raw params.
 */
export function redactParams(
  params: Record<string, unknown>,
  entry: CatalogEntry | undefined,
): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params))
    shown[name] = !entry || entry.params[name]?.sensitive ? REDACTED : value;
  return shown;
}

export function summarizeParams(
  params: Record<string, unknown>,
  entry: CatalogEntry | undefined,
  maxBytes: number,
): { text: string; truncated: boolean } {
  return capUtf8(JSON.stringify(redactParams(params, entry)), maxBytes);
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
