/**
 * What runs is byte for byte the decided argv. For generated argv (any Unicode code point but
 * NUL; lone surrogates have no UTF-8 form and are refused before the driver), the spawn vector
 * carries the argv unchanged, and printf run inside the sandbox prints back exactly the
 * arguments it received.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellDriver } from './driver.ts';
import { shellCommand, writeOptions } from './testing.ts';

const PRINTF = '/usr/bin/printf';
const ECHO = '/usr/bin/echo';
const utf8 = (argv: readonly string[]): Buffer[] => argv.map((a) => Buffer.from(a, 'utf8'));

const arg = fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => !s.includes('\0'));
// Spaces, quotes, shell metacharacters, leading dashes and bwrap's own option names included.
const tricky = fc.constantFrom(
  '',
  ' ',
  '--',
  '--bind',
  '/ /',
  '-c',
  "'",
  '"',
  '\\',
  '$(id)',
  '`id`',
  ';',
  '|',
  '&&',
  '*',
  '~',
  '\n',
  '\t',
  '%s',
  '--ro-bind',
  'é',
  '🙂',
  '\u202e',
);
const args = fc.array(fc.oneof(arg, tricky), { maxLength: 8 });

describe('the argv runs byte for byte', () => {
  let dir: string;
  const drivers: Record<'bwrap' | 'none', ShellDriver> = {} as Record<
    'bwrap' | 'none',
    ShellDriver
  >;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'interlock-shell-argv-'));
    for (const sandbox of ['bwrap', 'none'] as const) {
      drivers[sandbox] = new ShellDriver({ allow: [PRINTF, ECHO], workdir: dir, sandbox });
      await drivers[sandbox].connect();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the spawn vector is the argv: as file and args without a sandbox, after `--` under bwrap', () => {
    const options = drivers.bwrap
      .spawnVector(drivers.bwrap.plan({ argv: [ECHO] }))
      .args.slice(0, -2);
    expect(options).toContain('--unshare-pid');
    fc.assert(
      fc.property(fc.constantFrom(PRINTF, ECHO), args, (bin, rest) => {
        const argv = [bin, ...rest];
        const none = drivers.none.spawnVector(drivers.none.plan({ argv }));
        expect(utf8([none.file, ...none.args])).toEqual(utf8(argv));
        const boxed = drivers.bwrap.spawnVector(drivers.bwrap.plan({ argv }));
        expect(boxed.file).toMatch(/\/bwrap$/);
        const sep = boxed.args.indexOf('--');
        // The first `--` ends bwrap's options, which do not depend on the argv; after it, the argv
        // untouched.
        expect(boxed.args.slice(0, sep)).toEqual(options);
        expect(utf8(boxed.args.slice(sep + 1))).toEqual(utf8(argv));
      }),
      { numRuns: 500 },
    );
  });

  it.each(['bwrap', 'none'] as const)(
    'printf inside (sandbox: %s) receives exactly the decided arguments',
    async (sandbox) => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(arg, tricky), { minLength: 1, maxLength: 8 }),
          async (rest) => {
            const argv = [PRINTF, '%s\\0', ...rest];
            const id = `p${++n}`;
            const r = await drivers[sandbox].writeCommand(shellCommand(id, argv), writeOptions(id));
            expect(r.status).toBe('completed');
            const expected = Buffer.concat(
              rest.flatMap((a) => [Buffer.from(a, 'utf8'), Buffer.from([0])]),
            );
            expect(Buffer.from(String(r.output!.stdout), 'utf8')).toEqual(expected);
            expect(r.output!.stdout_sha256).toBe(
              createHash('sha256').update(expected).digest('hex'),
            );
            expect(r.output!.argv).toEqual(argv);
          },
        ),
        { numRuns: sandbox === 'bwrap' ? 100 : 50 },
      );
    },
  );
});
