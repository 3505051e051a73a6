/**
 * A stored JSON object (action params, an audit payload), or {} for anything else: one bad row
 * must not throw inside the worker's pass and hold up every event behind it.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
