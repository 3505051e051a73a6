/**
 * The layering holds: dependency-cruiser finds no import outside a layer's allow-list and no
 * file cycle (.dependency-cruiser.cjs), and no two folders import each other, directly or
 * around a loop. Folders are the units people reason about; a cycle between them means one
 * cannot be understood, tested or replaced without the other.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const CruiseSchema = z.object({
  modules: z.array(
    z.object({ source: z.string(), dependencies: z.array(z.object({ resolved: z.string() })) }),
  ),
  summary: z.object({
    violations: z.array(
      z.object({ from: z.string(), to: z.string(), rule: z.object({ name: z.string() }) }),
    ),
  }),
});

/** The folder a project file belongs to: gateway/<module>, console/<part>, drivers/<driver>. */
export function folderOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] === 'gateway')
    return parts.length > 2 ? `gateway/${parts[1]}` : `gateway/${parts[1]!.replace(/\.ts$/, '')}`;
  if (parts[0] === 'console' || parts[0] === 'drivers')
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
  return undefined;
}

/** Strongly connected groups of more than one folder (Tarjan). */
export function folderCycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('architecture', () => {
  it('finds the folder cycles it is shown', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(folderCycles(edges)).toEqual([['a', 'b', 'c']]);
    expect(folderCycles(new Map([['a', new Set(['b'])]]))).toEqual([]);
  });

  it('every import stays in its layer, and no files or folders form a cycle', async () => {
    const run = await execa(
      'npx',
      [
        'depcruise',
        'gateway',
        'console',
        'drivers',
        'bench',
        'bin',
        'scripts',
        'test',
        '--config',
        '.dependency-cruiser.cjs',
        '--output-type',
        'json',
      ],
      { reject: false },
    );
    const cruise = CruiseSchema.parse(JSON.parse(run.stdout));
    expect(cruise.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual(
      [],
    );
    expect(cruise.modules.length).toBeGreaterThan(200);

    const edges = new Map<string, Set<string>>();
    for (const m of cruise.modules) {
      if (/\.test\.tsx?$/.test(m.source)) continue;
      const from = folderOf(m.source);
      if (!from) continue;
      for (const d of m.dependencies) {
        const to = folderOf(d.resolved);
        if (!to || to === from) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
    expect(edges.size).toBeGreaterThan(15);
    expect(folderCycles(edges)).toEqual([]);
  }, 60_000);
});
