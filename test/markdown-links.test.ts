/**
 * Every relative link in every Markdown file of the repository resolves: the file exists, and
 * an anchor names a heading in it (GitHub's slugs). Links that leave the repository are refused.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replaceAll(' ', '-');
}

/** Headings outside code fences, as anchors (repeated headings get -1, -2 as on GitHub). */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!.replace(/`/g, ''));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Links outside code fences and inline code: [text](target). */
export function linksOf(markdown: string): string[] {
  const links: string[] = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    if (fence) continue;
    const prose = line.replace(/`[^`]*`/g, (code) => (code.includes('](') ? '' : code));
    for (const m of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) links.push(m[1]!);
  }
  return links;
}

describe('Markdown links', () => {
  it('reads anchors and links as GitHub does', () => {
    expect(slug('Governance: breakers, metrics, readiness, expansion')).toBe(
      'governance-breakers-metrics-readiness-expansion',
    );
    expect([...anchorsOf('# A\n## `policy eval` input\n```\n# not a heading\n```\n## A')]).toEqual([
      'a',
      'policy-eval-input',
      'a-1',
    ]);
    expect(linksOf('see [x](docs/a.md#b) and `[y](z)` and [w](https://e.org)')).toEqual([
      'docs/a.md#b',
      'https://e.org',
    ]);
  });

  it('every relative link in every tracked Markdown file resolves, anchors included', async () => {
    const files = (await execa('git', ['ls-files', '*.md', '**/*.md'], { cwd: projectRoot })).stdout
      .split('\n')
      .filter(Boolean);
    expect(files.length).toBeGreaterThan(20);
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(projectRoot, file), 'utf8');
      for (const link of linksOf(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
        const [target = '', anchor] = link.split('#');
        const resolved =
          target === ''
            ? path.join(projectRoot, file)
            : path.resolve(path.dirname(path.join(projectRoot, file)), decodeURI(target));
        if (!resolved.startsWith(projectRoot + path.sep) && resolved !== projectRoot) {
          broken.push(`${file}: ${link} leaves the repository`);
          continue;
        }
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${link} (no such file)`);
          continue;
        }
        if (
          anchor &&
          statSync(resolved).isFile() &&
          resolved.endsWith('.md') &&
          !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)
        ) {
          broken.push(`${file}: ${link} (no heading #${anchor})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
