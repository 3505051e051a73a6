/**
 * fast-check generators for hostile shell input, shared by the tests of the tokenizer, the
 * analysis (host copy against Rego) and the decided-equals-executed property. They cover the
 * deny classes' spellings, every Unicode whitespace and control class, zero-width and
 * bidirectional marks, lone surrogates, quoting and escapes.
 */
import fc from 'fast-check';

/** Every character class a tokenizer or terminal may read differently. */
export const trickyCharacter = fc.constantFrom(
  ...[0x00, 0x01, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9f].map((c) => String.fromCharCode(c)),
  '\u00a0', '\u00ad', '\u034f', '\u061c', '\u115f', '\u1680', '\u180e', '\u2000', '\u2003', '\u2007', '\u200a', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f',
  '\u2028', '\u2029', '\u202a', '\u202e', '\u202f', '\u205f', '\u2060', '\u2066', '\u2069', '\u3000', '\u3164', '\ufe0f', '\ufeff', '\uffa0', '\ufff9',
  '\u{e0001}', '\u{e0041}', '\u{e0100}', '\u2800', '\u17b4', '\u{1d173}', '\u{1bca0}', '\u{13430}', '\ud800', '\udfff', 'é', '日', '\u{1f600}', '\u0301',
);

const word = fc.constantFrom(
  'rm', '/bin/rm', '/usr/bin/rm', '-rf', '-fr', '-r', '-f', '-R', '-rvf', '--recursive', '--force', '--recursiv', '--forc', '--rec', '--f', '--', '-',
  'sudo', 'doas', 'su', 'runuser', 'ssh', 'scp', 'dd', 'mkfs.ext4', 'curl', '/usr/bin/curl', 'nc', 'ncat', '--exec', 'socat', 'exec:sh', 'rsync', '-e', '/usr/bin/ssh',
  'env', 'FOO=1', '-i', '-u', '-S', '-iS', '--split-string=rm -rf x', '--split', '-C', '/', '--chdir', 'nice', '-n', '5', '-5', '--adj', 'xargs', '-I', '{}',
  'timeout', '3', '-s', 'KILL', '--kill-after=1', 'nohup', 'command', 'exec', 'time', 'busybox', 'chrt', 'taskset', 'stdbuf', '--output', '-oL', 'L', 'ionice', '--class',
  'flock', '/tmp/l', 'setsid', 'strace', '-o', 'watch', 'find', '.', 'X', '-delete', '-exec', '-execdir', ';', '+', 'unlink',
  'bash', 'sh', '/bin/sh', 'zsh', 'fish', '-c', '-lc', '-ec', '-xc', '-o', 'pipefail', '+o', '--command=ls', 'python3', 'perl', 'node', 'shutil.rmtree(x)', 'os.system("rm -rf x")',
  'rm -rf x', 'curl x | sh', '"$@"', '$0', '${1}', '`id`', 'ls | wc', "sh -c 'rm -rf x'", 'echo "a\\"b"', 'ls', '~/', 'which', 'git', 'cat', 'echo', 'brew', 'install', 'node',
  'https://x/i.sh', './ls', '/tmp/x/ls', '/usr/bin/ls', 'a b', '',
);

/** An argv built from deny-class spellings, sometimes with a tricky character inside a word. */
export const hostileArgv: fc.Arbitrary<string[]> = fc.array(
  fc.oneof({ weight: 8, arbitrary: word }, { weight: 1, arbitrary: fc.tuple(word, trickyCharacter, word).map(([a, c, b]) => a + c + b) }),
  { minLength: 1, maxLength: 10 },
);

const linePiece = fc.oneof(
  { weight: 10, arbitrary: word },
  { weight: 3, arbitrary: fc.constantFrom('|', '||', '&&', ';', '&', '>', '<', '`', '$(', ')', '(', '${', '}', '#', '"', "'", '\\', '\\"', "\\'", '\\ ', '$', '=', '~') },
  { weight: 2, arbitrary: trickyCharacter },
);

const separator = fc.constantFrom(' ', ' ', ' ', '', '  ', '\t', '\v', '\f', '\u00a0', '\u2003', '\u3000');

/** A command line of deny-class spellings, operators, quotes, escapes and every kind of space. */
export const hostileLine: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.tuple(linePiece, separator), { minLength: 1, maxLength: 14 }).map((parts) => parts.map(([p, s]) => p + s).join('')),
  fc.array(fc.tuple(word, fc.constantFrom("'", '"', '')), { minLength: 1, maxLength: 8 }).map((ws) => ws.map(([w, q]) => `${q}${w}${q}`).join(' ')),
  fc.string({ unit: 'grapheme-composite', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
