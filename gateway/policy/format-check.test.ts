import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPolicyDir } from '../paths.ts';
import { unformattedRego } from './format-check.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'interlock-fmt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('opa fmt', () => {
  it('finds nothing to change in the shipped policies', async () => {
    expect(await unformattedRego(defaultPolicyDir)).toEqual([]);
  });

  it('names a file laid out otherwise, and leaves it as it was', async () => {
    const file = path.join(dir, 'p.rego');
    const text = 'package p\n\n\n\nallow   if   true\n';
    writeFileSync(file, text);
    expect(await unformattedRego(dir)).toEqual([file]);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('fails on a file it cannot parse instead of passing it', async () => {
    const bad = mkdtempSync(path.join(dir, 'bad-'));
    writeFileSync(path.join(bad, 'q.rego'), 'package q\n\nallow if {\n');
    await expect(unformattedRego(bad)).rejects.toThrow(/opa fmt failed/);
  });
});
