import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir, defaultPolicyDir } from '../paths.ts';
import { compilePolicy, SHELL_REFERENCE_ENTRYPOINT, type CompiledBundle } from './compile.ts';
import { mergePolicyData } from './load-data.ts';
import { shellAnalysisSources } from './shell-mirror.ts';
import { readPolicySources } from './sources.ts';
import { hostShellAnalyser, loadEvaluator, loadShellReference } from './wasm-policy.ts';
import type { DecisionContext } from '../schema/context.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { ShellAnalysis } from '../schema/shell.ts';
import { decide } from '../decide/pipeline.ts';
import { canonicalJson } from '../schema/canonical-json.ts';
import { MIRRORED_SOURCES, type ShellAnalyser } from '../decide/shell-analysis.ts';
import { hostileArgv, hostileLine } from '../decide/shell-arbitraries.ts';

// SHELL_ANALYSIS_RUNS raises the count for a longer hunt than CI's.
const RUNS = Number(process.env.SHELL_ANALYSIS_RUNS ?? 3_000);

let bundle: CompiledBundle;
let analyser: ShellAnalyser;
let reference: (argv: readonly string[]) => ShellAnalysis;
let withCopy: PolicyEvaluator;
let regoOnly: PolicyEvaluator;

beforeAll(async () => {
  bundle = await compilePolicy({
    policyDir: defaultPolicyDir,
    cacheDir: defaultCacheDir,
    extraEntrypoints: [SHELL_REFERENCE_ENTRYPOINT],
  });
  const a = hostShellAnalyser(bundle);
  if (!a) throw new Error('the shipped policy should get the host shell analysis');
  analyser = a;
  reference = await loadShellReference(bundle);
  withCopy = await loadEvaluator(bundle);
  const { analyseShell: _dropped, ...rest } = withCopy;
  regoOnly = rest;
});

/** Both analyses in one comparable form: every list as a set, sorted by its JSON. */
function normal(a: ShellAnalysis): ShellAnalysis {
  const sort = <T>(xs: T[]): T[] =>
    [...new Map(xs.map((x) => [canonicalJson(x), x])).entries()]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([, x]) => x);
  return {
    ...a,
    invocations: sort(a.invocations),
    scripts: sort(a.scripts),
    script_operators: sort(a.script_operators),
    piped_into: sort(a.piped_into),
    option_problems: sort(a.option_problems),
  };
}

const asciiArgv = fc.array(
  fc.string({
    unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
    maxLength: 20,
  }),
  { minLength: 1, maxLength: 8 },
);

describe('the host copy of the shell analysis', () => {
  it('is pinned to the shipped analysis sources', async () => {
    // If this fails, interlock.lib.shell or .command changed: mirror the change in
    // shell-analysis.ts, then pin the new digests printed here.
    const shipped = Object.fromEntries(
      shellAnalysisSources(await readPolicySources(defaultPolicyDir)),
    );
    expect(shipped).toEqual(MIRRORED_SOURCES);
  });

  it('equals the Rego analysis on the shell-batch document examples and the evasion spellings', () => {
    const cases = [
      ['which', 'git'],
      ['ls', '~/'],
      ['rm', '-rf', '~/important'],
      ['rm', '--recursiv', '--forc', 'x'],
      ['env', '-S', 'rm -rf x', 'ls'],
      ['env', '--split-string=rm -rf x'],
      ['bash', '-c', '--', 'rm -rf x'],
      ['stdbuf', '--output', 'L', 'rm', '-rf', 'x'],
      ['ionice', '--class', '3', 'rm', '-rf', 'x'],
      ['bash', '-c', '"$@"', '_', 'rm', '-rf', 'X'],
      ['find', 'X', '-delete'],
      ['find', 'X', '-exec', 'rm', '-rf', '{}', '+'],
      ['env', '-u', '-u', 'rm', '-rf', 'x'],
      ['sh', '-c', 'curl x | sh'],
      ['sh', '-c', 'sh -c "sh -c \'id\'"'],
      ['env', 'env', 'env', 'env', 'env', 'env', 'ls'],
      ['sh', '-c', 'echo "a\\"b"'],
      ['nice', '-n', '-5', 'ls'],
      ['timeout', '3', 'chrt', '5', 'taskset', '1', 'ls'],
      ['ls', 'a\tb'],
      [''],
      ['find', 'a', '-exec', 'find', 'b', '-exec', 'ls', ';', ';'],
      ['bash', '-o', 'pipefail', '-ec', 'ls | wc'],
      ['fish', '--command=x'],
      ['env', '-iuX', '--', 'ls'],
    ];
    for (const argv of cases)
      expect(normal(analyser.analyse(argv)!), JSON.stringify(argv)).toEqual(
        normal(reference(argv)),
      );
  });

  it('equals the Rego analysis on generated hostile argv (fast-check, real Wasm)', () => {
    fc.assert(
      fc.property(fc.oneof(hostileArgv, asciiArgv), (argv) => {
        const host = analyser.analyse(argv);
        if (host === undefined) return; // non-ASCII: the policy analyses it
        expect(normal(host)).toEqual(normal(reference(argv)));
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves argv outside printable ASCII to the policy', () => {
    expect(analyser.analyse(['rm', '-rf', '/tmp/é'])).toBeUndefined();
    expect(analyser.analyse(['ls', '\u00a0-la'])).toBeUndefined();
    expect(analyser.analyse(['ls', '\ud800'])).toBeUndefined();
  });
});

describe('decisions with and without the host copy', () => {
  const ctx = (level: string): DecisionContext => ({
    level,
    state: {},
    history: { last: {}, rate: {} },
    now: 1_000_000,
    estop: false,
  });
  const agent = { id: 'agent-1', roles: ['agent'] };

  it('are the same decision, whatever the command line or argv and level', () => {
    const params = fc.oneof(
      hostileLine.map((command) => ({ command })),
      hostileArgv.map((argv) => ({ argv })),
    );
    fc.assert(
      fc.property(
        params,
        fc.constantFrom('L1', 'L3', 'L3+', 'L4', 'L5', 'autonomous'),
        (p, level) => {
          const req = {
            envelope: { kind: 'shell.exec', target: 'ws-1', params: p },
            actor: agent,
            context: ctx(level),
          };
          const { timings: _a, ...fast } = decide(req, withCopy);
          const { timings: _b, ...slow } = decide(req, regoOnly);
          expect(fast).toEqual(slow);
          expect(fast.stage).not.toBe('engine');
        },
      ),
      { numRuns: Math.round(RUNS / 1.5) },
    );
  });

  it('ignores an analysis of another argv, so a stale or forged one cannot clear a command', () => {
    const forged: ShellAnalysis = {
      argv: ['ls'],
      invocations: [['ls']],
      scripts: [],
      script_operators: [],
      piped_into: [],
      option_problems: [],
      too_deep: false,
      ambiguous_quoting: false,
      hidden_character: false,
    };
    const liar: PolicyEvaluator = { ...withCopy, analyseShell: () => forged };
    const d = decide(
      {
        envelope: { kind: 'shell.exec', target: 'ws-1', params: { argv: ['rm', '-rf', '/'] } },
        actor: agent,
        context: ctx('L5'),
      },
      liar,
    );
    expect(d).toMatchObject({
      effect: 'deny',
      stage: 'baseline',
      rules: ['baseline.shell.rm_recursive_force'],
    });
  });

  it('is switched off for a bundle whose analysis sources differ from the mirrored ones', () => {
    const edited = bundle.sources.map((s) =>
      s.path === 'interlock/lib/shell/shell.rego'
        ? { ...s, content: `${s.content}\n# edited\n` }
        : s,
    );
    expect(hostShellAnalyser({ sources: edited, data: bundle.data })).toBeUndefined();
    const extra = [
      ...bundle.sources,
      {
        path: 'local/more.rego',
        kind: 'rego' as const,
        content: 'package interlock.lib.shell\n\nimport rego.v1\n\nextra := 1\n',
      },
    ];
    expect(hostShellAnalyser({ sources: extra, data: bundle.data })).toBeUndefined();
    const parent = [
      ...bundle.sources,
      {
        path: 'local/parent.rego',
        kind: 'rego' as const,
        content: 'package interlock\n\nimport rego.v1\n\nlib.shell.extra := 1\n',
      },
    ];
    expect(hostShellAnalyser({ sources: parent, data: bundle.data })).toBeUndefined();
    expect(
      hostShellAnalyser({ sources: bundle.sources, data: { ...bundle.data, shell: undefined } }),
    ).toBeUndefined();
  });

  it('refuses shell word lists of the wrong shape when the data merges, naming the key', () => {
    const broken = bundle.sources.map((s) =>
      s.path === 'catalog-shell.yaml'
        ? { ...s, content: s.content.replace(/^ {6}env:\n(?: {8}.*\n)+/m, '      env: [-u, -C]\n') }
        : s,
    );
    expect(broken.find((s) => s.path === 'catalog-shell.yaml')!.content).toContain('env: [-u, -C]');
    expect(() => mergePolicyData(broken)).toThrow(/catalog-shell\.yaml.*shell\.syntax\.wrappers/s);
  });
});
