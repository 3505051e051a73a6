import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPolicyDir, projectRoot } from '../paths.ts';
import { lintRego, regalBinary, regalConfigFor } from './regal-lint.ts';

const work = mkdtempSync(path.join(tmpdir(), 'interlock-regal-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the shipped tree under its own project folder, with the shipped Regal config. */
function copyTree(
  name: string,
  config = readFileSync(path.join(projectRoot, '.regal', 'config.yaml'), 'utf8'),
): string {
  const root = path.join(work, name);
  cpSync(defaultPolicyDir, path.join(root, 'policies'), { recursive: true });
  mkdirSync(path.join(root, '.regal'), { recursive: true });
  writeFileSync(path.join(root, '.regal', 'config.yaml'), config);
  return path.join(root, 'policies');
}

const violationsOf = async (dir: string) => {
  const r = await lintRego(dir);
  if (!r.ran) throw new Error(r.reason);
  return r.violations;
};

describe.skipIf(!existsSync(regalBinary()))('regal lint', () => {
  it('finds no violation in the shipped policies with the shipped config', async () => {
    const r = await lintRego(defaultPolicyDir);
    expect(r).toMatchObject({ ran: true, violations: [] });
    if (r.ran) expect(r.files).toBeGreaterThanOrEqual(16);
  });

  it('names the file, line and rule of a violation', async () => {
    const dir = copyTree('violation');
    mkdirSync(path.join(dir, 'site'), { recursive: true });
    // A package outside the folder it names, and a comparison Regal wants as a pattern.
    writeFileSync(
      path.join(dir, 'site', 'hours.rego'),
      'package interlock.hours\n\nimport rego.v1\n\nopen(h) if h == 9\n',
    );
    const found = await violationsOf(dir);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'directory-package-mismatch',
          file: 'site/hours.rego',
          line: 1,
        }),
        expect.objectContaining({
          rule: 'equals-pattern-matching',
          file: 'site/hours.rego',
          line: 5,
        }),
      ]),
    );
  });

  it('reads the data references the config excepts as unresolved without it', async () => {
    // Regal reads no data files: without except-paths every data.autonomy… read is flagged.
    const dir = copyTree('no-excepts', 'rules: {}\n');
    const found = await violationsOf(dir);
    expect(found.some((v) => v.rule === 'unresolved-reference')).toBe(true);
  });

  it('uses the nearest .regal/config.yaml above the tree, else the project one', () => {
    const dir = copyTree('nearest');
    expect(regalConfigFor(dir)).toBe(path.join(path.dirname(dir), '.regal', 'config.yaml'));
    expect(regalConfigFor(path.parse(work).root)).toBe(
      path.join(projectRoot, '.regal', 'config.yaml'),
    );
  });
});

describe('regal lint without regal', () => {
  it('says it did not run instead of passing silently', async () => {
    const saved = process.env.INTERLOCK_REGAL;
    process.env.INTERLOCK_REGAL = path.join(work, 'no-such-regal');
    try {
      expect(await lintRego(defaultPolicyDir)).toMatchObject({ ran: false });
    } finally {
      if (saved === undefined) delete process.env.INTERLOCK_REGAL;
      else process.env.INTERLOCK_REGAL = saved;
    }
  });
});
