/**
 * The one place a shell.exec command line becomes an argv. Everything after it (the policy,
 * the invariants, the action digest, approvals, the audit, the console and the driver) works
 * on the argv this returns, and nothing splits text again.
 *
 * Tokenizing follows POSIX quoting without any expansion: words are separated by spaces;
 * backslash escapes the next character; single quotes are literal; double quotes keep
 * everything but `\"`, `\\`. Whatever a shell would treat differently from that (operators,
 * `$`, backquotes, a leading `#`) is refused rather than guessed, and so is any character
 * some tokenizer or terminal treats as a separator or that hides text.
 */
import { z } from 'zod';
import { HIDDEN_CHARACTER_PATTERN, HIDDEN_RANGES } from '../schema/hidden-characters.ts';

/** Why a command line or argv was refused: a baseline finding, as the policy writes them. */
export interface ShellRefusal {
  rule: string;
  reason: string;
}

export type Canonical =
  { ok: true; params: Record<string, unknown> } | { ok: false; refusal: ShellRefusal };

/** Turns a program name without a slash into the absolute path that would run, if any. */
export type ProgramResolver = (name: string) => string | undefined;

const HIDDEN = new RegExp(HIDDEN_CHARACTER_PATTERN, 'u');

/** The same set for RE2 (the policy's `baseline.shell.hidden_character`); pinned by a test. */
export const HIDDEN_CHARACTER_RE2 = `[${HIDDEN_RANGES.map(([a, b]) => (a === b ? x(a) : `${x(a)}-${x(b)}`)).join('')}]`;

function x(cp: number): string {
  return `\\x{${cp.toString(16).toUpperCase().padStart(4, '0')}}`;
}

const NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x09: 'CHARACTER TABULATION',
  0x0a: 'LINE FEED',
  0x0b: 'LINE TABULATION',
  0x0c: 'FORM FEED',
  0x0d: 'CARRIAGE RETURN',
  0x1b: 'ESCAPE',
  0x7f: 'DELETE',
  0x85: 'NEXT LINE',
  0xa0: 'NO-BREAK SPACE',
  0xad: 'SOFT HYPHEN',
  0x1680: 'OGHAM SPACE MARK',
  0x2000: 'EN QUAD',
  0x2001: 'EM QUAD',
  0x2002: 'EN SPACE',
  0x2003: 'EM SPACE',
  0x2009: 'THIN SPACE',
  0x200a: 'HAIR SPACE',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x202f: 'NARROW NO-BREAK SPACE',
  0x205f: 'MEDIUM MATHEMATICAL SPACE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x2800: 'BRAILLE PATTERN BLANK',
  0x3000: 'IDEOGRAPHIC SPACE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

/** "U+000B (LINE TABULATION)", or "U+D800 (lone surrogate)". */
export function describeCharacter(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return `${hex} (lone surrogate)`;
  const name = NAMES[cp];
  return name ? `${hex} (${name})` : hex;
}

/** The first hidden or separating character of s: its code point and 1-based character position. */
export function findHiddenCharacter(
  s: string,
): { codePoint: number; position: number } | undefined {
  if (!HIDDEN.test(s)) return undefined;
  let position = 0;
  for (const ch of s) {
    position++;
    if (HIDDEN.test(ch)) return { codePoint: ch.codePointAt(0)!, position };
  }
  return undefined;
}

function hiddenRefusal(where: string, s: string): ShellRefusal | undefined {
  const hit = findHiddenCharacter(s);
  if (!hit) return undefined;
  return {
    rule: 'baseline.shell.hidden_character',
    reason: `${where} contains ${describeCharacter(hit.codePoint)} at character ${hit.position}: a character some tokenizer or terminal reads as a separator or that hides text is never run`,
  };
}

const OPERATOR_CHARACTERS = new Set(['|', '&', ';', '<', '>', '(', ')']);

/** tokenize splits a command line into argv, or says why it will not. */
export function tokenize(command: string): { argv: string[] } | { refusal: ShellRefusal } {
  const hidden = hiddenRefusal('the command', command);
  if (hidden) return { refusal: hidden };
  const syntax = (
    what: string,
    at: number,
    rule = 'baseline.shell.operator',
  ): { refusal: ShellRefusal } => ({
    refusal: {
      rule,
      reason: `${what} at character ${at + 1} is not allowed: commands run as a single argv, never through a shell, and nothing is expanded`,
    },
  });
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  const chars = Array.from(command);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === ' ') {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= chars.length) return syntax('a trailing backslash', i, 'baseline.shell.syntax');
      word += chars[++i]!;
      inWord = true;
      continue;
    }
    if (ch === "'") {
      const end = chars.indexOf("'", i + 1);
      if (end < 0) return syntax('an unbalanced single quote', i, 'baseline.shell.syntax');
      word += chars.slice(i + 1, end).join('');
      inWord = true;
      i = end;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      for (; j < chars.length && chars[j] !== '"'; j++) {
        const c = chars[j]!;
        if (c === '$' || c === '`')
          return syntax(`expansion (${c}) inside double quotes`, j, 'baseline.shell.expansion');
        if (
          c === '\\' &&
          j + 1 < chars.length &&
          (chars[j + 1] === '"' ||
            chars[j + 1] === '\\' ||
            chars[j + 1] === '$' ||
            chars[j + 1] === '`')
        ) {
          word += chars[++j]!;
        } else {
          word += c;
        }
      }
      if (j >= chars.length)
        return syntax('an unbalanced double quote', i, 'baseline.shell.syntax');
      inWord = true;
      i = j;
      continue;
    }
    if (OPERATOR_CHARACTERS.has(ch)) return syntax(`shell operator "${ch}"`, i);
    if (ch === '$' || ch === '`') return syntax(`expansion (${ch})`, i, 'baseline.shell.expansion');
    if (ch === '#' && !inWord) return syntax('a comment (#)', i, 'baseline.shell.syntax');
    word += ch;
    inWord = true;
  }
  if (inWord) argv.push(word);
  if (argv.length === 0 || argv[0] === '')
    return {
      refusal: { rule: 'baseline.shell.empty', reason: 'shell.exec command runs no program' },
    };
  return { argv };
}

/** checkArgv refuses an argv (given directly or tokenized) that is empty or hides characters. */
export function checkArgv(argv: readonly string[]): ShellRefusal | undefined {
  if (argv.length === 0 || argv[0] === '')
    return { rule: 'baseline.shell.empty', reason: 'shell.exec argv runs no program' };
  for (const [i, w] of argv.entries()) {
    const hidden = hiddenRefusal(`argv[${i}]`, w);
    if (hidden) return hidden;
  }
  return undefined;
}

/**
 * Whether both spellings were given: the caller reports it as a validation error on params.argv.
 */
export function hasBothSpellings(params: Record<string, unknown>): boolean {
  return params.argv !== undefined && params.command !== undefined;
}

const ArgvSchema = z.array(z.string());

/**
 * canonicalShellParams returns params with `argv` in place of `command`: tokenized once,
 * argv[0] resolved to an absolute path when it has no slash and the resolver knows it.
 * Params already in canonical form come back unchanged (after the same checks).
 */
export function canonicalShellParams(
  params: Record<string, unknown>,
  resolve?: ProgramResolver,
): Canonical {
  const { command, argv: given, ...rest } = params;
  let argv: string[];
  if (given !== undefined) {
    const parsed = ArgvSchema.safeParse(given);
    if (!parsed.success)
      return {
        ok: false,
        refusal: {
          rule: 'baseline.shell.syntax',
          reason: 'params.argv must be an array of strings',
        },
      };
    argv = parsed.data;
  } else if (typeof command === 'string') {
    const t = tokenize(command);
    if ('refusal' in t) return { ok: false, refusal: t.refusal };
    argv = t.argv;
  } else {
    return {
      ok: false,
      refusal: {
        rule: 'baseline.shell.empty',
        reason: 'shell.exec needs params.argv or params.command',
      },
    };
  }
  const refusal =
    checkArgv(argv) ??
    (typeof rest.cwd === 'string' ? hiddenRefusal('params.cwd', rest.cwd) : undefined);
  if (refusal) return { ok: false, refusal };
  const program = argv[0]!;
  if (resolve && !program.includes('/')) {
    const found = resolve(program);
    if (found) argv = [found, ...argv.slice(1)];
  }
  return { ok: true, params: { ...rest, argv } };
}

/** Shell-quotes argv for display: what a person would type to run exactly this vector. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

function quoteWord(w: string): string {
  if (w !== '' && /^[A-Za-z0-9_@%+=:,./^-]+$/.test(w)) return w;
  return `'${w.replaceAll("'", `'\\''`)}'`;
}
