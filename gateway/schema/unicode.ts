/**
 * Well-formed Unicode at the boundary. JSON can carry a lone UTF-16 surrogate ("\ud800"), which
 * no UTF-8 encoder can represent; the Wasm engine is handed UTF-8, so such a string must never
 * reach it. Every entrance refuses it, naming the field.
 */

/** The path (a.b.0.c) of the first string or key in value that is not well-formed Unicode. */
export function illFormedField(value: unknown, path: string[] = [], depth = 0): string | undefined {
  // Deeper than any schema allows: the schema check that follows reports it.
  if (depth > 64) return undefined;
  if (typeof value === 'string') return value.isWellFormed() ? undefined : fieldName(path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = illFormedField(value[i], [...path, String(i)], depth + 1);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!k.isWellFormed()) return fieldName([...path, k.toWellFormed()]);
      const hit = illFormedField(v, [...path, k], depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

function fieldName(path: string[]): string {
  return path.length ? path.join('.') : '(body)';
}

export const ILL_FORMED_MESSAGE =
  'not well-formed Unicode (a lone UTF-16 surrogate): refused before any policy runs';
