import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileLine, trickyCharacter } from './shell-arbitraries.ts';
import {
  canonicalShellParams,
  checkArgv,
  findHiddenCharacter,
  HIDDEN_CHARACTER_RE2,
  quoteArgv,
  tokenize,
} from './shell-argv.ts';

const RUNS = Number(process.env.SHELL_ARGV_RUNS ?? 2_000);

const argvOf = (line: string): string[] => {
  const t = tokenize(line);
  if ('refusal' in t) throw new Error(`refused: ${t.refusal.reason}`);
  return t.argv;
};

const refusalOf = (line: string) => {
  const t = tokenize(line);
  if (!('refusal' in t)) throw new Error(`tokenized as ${JSON.stringify(t.argv)}`);
  return t.refusal;
};

describe('tokenize: POSIX quoting, no expansion', () => {
  it('splits on spaces and removes one layer of quotes and escapes', () => {
    expect(argvOf('ls  -la   ~/')).toEqual(['ls', '-la', '~/']);
    expect(argvOf(`echo 'a b' "c d" e\\ f`)).toEqual(['echo', 'a b', 'c d', 'e f']);
    expect(argvOf(`r'm' -rf x`)).toEqual(['rm', '-rf', 'x']);
    expect(argvOf(`\\rm -rf x`)).toEqual(['rm', '-rf', 'x']);
    expect(argvOf(`echo "a\\"b" 'it'\\''s' "x\\y"`)).toEqual(['echo', 'a"b', "it's", 'x\\y']);
    expect(argvOf(`echo '' ""`)).toEqual(['echo', '', '']);
    expect(argvOf(`echo "a\\\\b" "\\$x" "\\\`" "\\q"`)).toEqual(['echo', 'a\\b', '$x', '`', '\\q']);
    expect(argvOf(`echo '$HOME' "*" a#b`)).toEqual(['echo', '$HOME', '*', 'a#b']);
  });

  it('refuses what a shell would read differently, naming where', () => {
    expect(refusalOf('ls; rm x')).toMatchObject({
      rule: 'baseline.shell.operator',
      reason: expect.stringContaining('";" at character 3'),
    });
    expect(refusalOf('curl x | sh').rule).toBe('baseline.shell.operator');
    expect(refusalOf('ls > out').rule).toBe('baseline.shell.operator');
    expect(refusalOf('echo $(id)').rule).toBe('baseline.shell.expansion');
    expect(refusalOf('echo "$HOME"').rule).toBe('baseline.shell.expansion');
    expect(refusalOf('echo `id`').rule).toBe('baseline.shell.expansion');
    expect(refusalOf('ls #x').rule).toBe('baseline.shell.syntax');
    expect(refusalOf('echo "open').rule).toBe('baseline.shell.syntax');
    expect(refusalOf("echo 'open").rule).toBe('baseline.shell.syntax');
    expect(refusalOf('echo x\\').rule).toBe('baseline.shell.syntax');
    expect(refusalOf('   ').rule).toBe('baseline.shell.empty');
  });

  it('refuses control characters, Unicode spaces, invisible and bidirectional marks and lone surrogates, naming the character and its position', () => {
    expect(refusalOf('git\u000b-c alias.x=!rm x ./ls')).toMatchObject({
      rule: 'baseline.shell.hidden_character',
      reason: expect.stringContaining('U+000B (LINE TABULATION) at character 4'),
    });
    expect(refusalOf('ls\u00a0-la').reason).toContain('U+00A0 (NO-BREAK SPACE) at character 3');
    expect(refusalOf('ls\t-la').reason).toContain('U+0009 (CHARACTER TABULATION)');
    expect(refusalOf('ls \u202etxt').reason).toContain(
      'U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4',
    );
    expect(refusalOf('ls x\ud800').reason).toContain('U+D800 (lone surrogate) at character 5');
    expect(refusalOf('ls a\u2800b').reason).toContain('U+2800 (BRAILLE PATTERN BLANK)');
    for (const c of ['\u17b4', '\u{1d173}', '\u{1bca0}', '\u{13430}'])
      expect(tokenize(`ls a${c}b`)).toHaveProperty('refusal');
    expect(
      canonicalShellParams({ argv: ['/usr/bin/ls'], cwd: 'work/\u202egnp.exe' }),
    ).toMatchObject({
      ok: false,
      refusal: {
        rule: 'baseline.shell.hidden_character',
        reason: expect.stringContaining('params.cwd'),
      },
    });
    // Positions count characters (code points), not UTF-16 units.
    expect(refusalOf('\u{1f600}\u200b').reason).toContain('at character 2');
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8 }),
        trickyCharacter,
        fc.string({ maxLength: 8 }),
        (a, c, b) => {
          if (!findHiddenCharacter(c)) return;
          expect(tokenize(`${a}${c}${b}`)).toHaveProperty('refusal');
          expect(checkArgv(['ls', `${a}${c}${b}`])).toBeDefined();
        },
      ),
    );
  });

  it('round-trips: quoting an argv for display and tokenizing it again gives the same argv', () => {
    const word = fc.string({
      unit: fc.oneof(
        fc.constantFrom(' ', "'", '"', '\\', '$', '`', '|', ';', '#', '~', '*', 'a', '-', '='),
        fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
      ),
      maxLength: 12,
    });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (argv) => {
        if (argv[0] === '' || checkArgv(argv)) return;
        expect(argvOf(quoteArgv(argv))).toEqual(argv);
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent on hostile lines: whatever it accepts, re-quoted, tokenizes to the same argv', () => {
    fc.assert(
      fc.property(hostileLine, (line) => {
        const t = tokenize(line);
        if ('refusal' in t) return;
        expect(checkArgv(t.argv)).toBeUndefined();
        expect(argvOf(quoteArgv(t.argv))).toEqual(t.argv);
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with a real POSIX shell (dash, globbing off) on every line it accepts without ~ or globs', () => {
    const printf = (line: string): string[] => {
      const out = execFileSync('/bin/sh', ['-c', `set -f; printf '%s\\0' ${line}`], {
        env: {},
        encoding: 'utf8',
      });
      return out.split('\0').slice(0, -1);
    };
    let compared = 0;
    fc.assert(
      fc.property(hostileLine, (line) => {
        const t = tokenize(line);
        if ('refusal' in t || /(^|\s)~/.test(line)) return;
        compared++;
        expect(printf(line)).toEqual(t.argv);
      }),
      { numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(50);
  });
});

describe('canonicalShellParams', () => {
  it('replaces command with argv, resolving a bare argv[0] through the target', () => {
    const resolve = (name: string) => (name === 'ls' ? '/usr/bin/ls' : undefined);
    expect(canonicalShellParams({ command: 'ls -la', cwd: 'sub' }, resolve)).toEqual({
      ok: true,
      params: { argv: ['/usr/bin/ls', '-la'], cwd: 'sub' },
    });
    expect(canonicalShellParams({ command: 'whoami' }, resolve)).toEqual({
      ok: true,
      params: { argv: ['whoami'] },
    });
    expect(canonicalShellParams({ command: './ls' }, resolve)).toEqual({
      ok: true,
      params: { argv: ['./ls'] },
    });
    expect(canonicalShellParams({ argv: ['/usr/bin/ls', 'a b'] }, resolve)).toEqual({
      ok: true,
      params: { argv: ['/usr/bin/ls', 'a b'] },
    });
  });

  it('checks an argv given directly as strictly as a tokenized one', () => {
    expect(canonicalShellParams({ argv: ['ls', 'a\u000bb'] })).toMatchObject({
      ok: false,
      refusal: {
        rule: 'baseline.shell.hidden_character',
        reason: expect.stringContaining('argv[1] contains U+000B'),
      },
    });
    expect(canonicalShellParams({ argv: [] })).toMatchObject({
      ok: false,
      refusal: { rule: 'baseline.shell.empty' },
    });
    expect(canonicalShellParams({ argv: [1, 2] })).toMatchObject({ ok: false });
  });

  it('uses the same character set as the policy (RE2 spelling pinned in interlock.lib.command)', () => {
    const rego = readFileSync(
      new URL('../../policies/interlock/lib/command/command.rego', import.meta.url),
      'utf8',
    );
    expect(rego).toContain(`hidden_character_regex := \`${HIDDEN_CHARACTER_RE2}\``);
  });
});
