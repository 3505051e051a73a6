/**
 * Identity names compared as people read them. "alice" and "Alice" (or a fullwidth "ａｌｉｃｅ")
 * are one person: token names are unique by this key, and approvers are told apart by it.
 */

/**
 * nameKey: NFKC, then case folding. JavaScript has no full case fold; upper-casing before
 * lower-casing folds the cases that differ from plain lower-casing (ß → ss, ﬁ → fi).
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** sameName: two names that nameKey cannot tell apart belong to one person. */
export function sameName(a: string, b: string): boolean {
  return nameKey(a) === nameKey(b);
}
