/**
 * Regexes in invariants run in the bundle, that is in RE2 (OPA's regex.match); JavaScript's
 * engine accepts things RE2 does not (lookahead such as `curl(?=\s)`, backreferences), and a
 * pattern RE2 rejects leaves the rule undefined at run time. So every pattern is checked by
 * OPA itself, in one `opa eval` for all of them. The Wasm bundle's RE2 reads a pattern up to
 * its first NUL (a C string) where `opa eval` reads it whole, so a raw NUL in a pattern is
 * refused here too: `not matches(x, "[\u0000-…]")` would otherwise hold for every x. The
 * escape `\x00` means the same to both engines.
 */
import { execa } from 'execa';
import { opaBinary } from '../policy/opa-cli.ts';

export interface PatternAt {
  pattern: string;
  file: string;
  line: number;
  column: number;
}

/** The patterns OPA's RE2 rejects. */
export async function invalidRe2Patterns(patterns: readonly PatternAt[]): Promise<PatternAt[]> {
  const unique = [...new Set(patterns.map((p) => p.pattern))];
  if (unique.length === 0) return [];
  const r = await execa(
    opaBinary(),
    ['eval', '--format', 'json', '--stdin-input', 'x := {p: regex.is_valid(p) | some p in input}'],
    { input: JSON.stringify(unique), reject: false, timeout: 60_000 },
  );
  if (r.exitCode !== 0)
    throw new Error(`opa eval failed while checking regexes: ${String(r.stderr)}`);
  const out = JSON.parse(String(r.stdout)) as {
    result?: { bindings?: { x?: Record<string, boolean> } }[];
  };
  const valid = out.result?.[0]?.bindings?.x ?? {};
  return patterns.filter((p) => valid[p.pattern] !== true || p.pattern.includes('\u0000'));
}
