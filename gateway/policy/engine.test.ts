import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../decide/pipeline.ts';
import { defaultCacheDir, defaultPolicyDir } from '../paths.ts';
import { PolicyEngine } from './engine.ts';

const agent = { id: 'agent-1', roles: ['agent'] };
const context = {
  level: 'L3+',
  state: { mode: 'RUNNING' },
  history: { last: {}, rate: {} },
  now: 1,
  estop: false,
};
const setPower = { kind: 'roaster.set_power', target: 'roaster-1', params: { value: 10 } };

let dir: string;
let engine: PolicyEngine;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'interlock-engine-'));
  await cp(defaultPolicyDir, dir, { recursive: true });
  engine = new PolicyEngine({ policyDir: dir, cacheDir: defaultCacheDir });
});

afterEach(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe('PolicyEngine', () => {
  it('denies everything before a bundle has loaded', () => {
    expect(engine.current).toBeUndefined();
    expect(decide({ envelope: setPower, actor: agent, context }, engine.current).effect).toBe(
      'deny',
    );
  });

  it('keeps serving the old bundle when a reload hits a syntax error, and reports file:line', async () => {
    const first = await engine.reload();
    expect(first.ok).toBe(true);
    const digest = engine.current?.digest;

    const file = path.join(dir, 'interlock', 'policy', 'policy.rego');
    const src = await readFile(file, 'utf8');
    const lines = src.split('\n');
    const at = lines.findIndex((l) => l.startsWith('levels :='));
    lines[at] = 'levels := [ this is not rego';
    await writeFile(file, lines.join('\n'));

    const second = await engine.reload();
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.error.code).toBe('policy_compile_failed');
    expect(second.error.locations[0]).toMatchObject({
      file: 'interlock/policy/policy.rego',
      line: at + 1,
    });
    expect(second.error.message).toContain(`interlock/policy/policy.rego:${at + 1}`);
    expect(engine.current?.digest).toBe(digest);
    expect(decide({ envelope: setPower, actor: agent, context }, engine.current).effect).toBe(
      'allow',
    );
  });

  it('reports a YAML data error with file, line and column and keeps the old bundle', async () => {
    await engine.reload();
    const digest = engine.current?.digest;
    await writeFile(path.join(dir, 'broken.yaml'), 'catalog:\n  x.y: [unclosed\n');
    const r = await engine.reload();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.locations[0]).toMatchObject({ file: 'broken.yaml', line: 3 });
    expect(engine.current?.digest).toBe(digest);
  });

  it('denies when the loaded policy throws at evaluation time', async () => {
    // Two complete definitions that disagree: OPA aborts the evaluation with a conflict.
    await writeFile(
      path.join(dir, 'interlock', 'policy', 'conflict.rego'),
      'package interlock.policy\n\nimport rego.v1\n\ndecision := {"effect": "allow", "reasons": [], "rules": []} if input.action.params.value > 5\n',
    );
    const r = await engine.reload();
    expect(r.ok).toBe(true);
    const d = decide({ envelope: setPower, actor: agent, context }, engine.current);
    expect(d).toMatchObject({
      effect: 'deny',
      stage: 'engine',
      rules: ['engine.evaluation_failed'],
    });
    expect(d.reasons[0]).toMatch(/conflict/);
  });

  it('does not recompile an unchanged tree (digest cache)', async () => {
    await engine.reload();
    const again = await engine.reload();
    expect(again).toMatchObject({ ok: true, changed: false, fromCache: true });
  });

  it('rejects a builtin the Wasm host cannot run at build time, not at decision time', async () => {
    await engine.reload();
    await writeFile(
      path.join(dir, 'interlock', 'policy', 'clock.rego'),
      'package interlock.policy\n\nimport rego.v1\n\nnow_ns := time.now_ns()\n',
    );
    const r = await engine.reload();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/policy\/clock\.rego:5/);
    expect(r.error.message).toMatch(/time\.now_ns/);
  });

  it('picks up a file change when watching', async () => {
    let notify: (() => void) | undefined;
    engine.close();
    engine = new PolicyEngine({
      policyDir: dir,
      cacheDir: defaultCacheDir,
      onReload: (res) => res.ok && res.changed && notify?.(),
    });
    await engine.reload();
    const digest = engine.current?.digest;
    const seen = new Promise<void>((resolve) => {
      notify = resolve;
    });
    engine.watch(50);
    await writeFile(path.join(dir, 'extra.yaml'), 'extra_note: hello\n');
    await seen;
    expect(engine.current?.digest).not.toBe(digest);
  });
});
