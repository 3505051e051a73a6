/**
 * Property tests for invariants: fast-check generates random action sequences, target states,
 * levels, clocks and prior history from the catalog's params schemas, runs every step through
 * the real decision pipeline and Wasm bundle, and checks two things against the reference
 * semantics (evaluate.ts): no allowed action violates the invariant, and the bundle reports a
 * violation exactly when the reference does. A failure carries the shrunk counterexample.
 */
import fc from 'fast-check';
import { decide, shellParamsIssue } from '../decide/pipeline.ts';
import { canonicalShellParams } from '../decide/shell-argv.ts';
import type { ParamSpec } from '../schema/catalog.ts';
import { clockTime, countKey, type DecisionContext } from '../schema/context.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { PolicyData } from '../schema/policy-data.ts';
import type { Expr } from './ast.ts';
import { clockMinutes, globMatch, kindsInScope } from './check.ts';
import { Evaluator, violates, type DecisionInput } from './evaluate.ts';
import type { LoadedInvariant } from './load.ts';

export interface Step {
  kind: string;
  params: Record<string, unknown>;
  /** Milliseconds since the previous step. */
  afterMs: number;
}

export interface Scenario {
  state: Record<string, unknown>;
  level: string;
  actor: { id: string; roles: string[] };
  /**
   * The clock the gateway supplies; null when it supplies none (the invariant must still fail
   * closed).
   */
  clock: { minute: number; weekday: number } | null;
  /** The target the actions are for: invariants may be scoped to target globs. */
  target: string;
  batchSize: number | null;
  /**
   * Counts of earlier actions, before the sequence starts, per count key; a key left out is not
   * supplied at all.
   */
  prior: Record<string, number>;
  /** A completed action per kind before the sequence starts: its params, and how long ago. */
  priorLast: Record<string, { agoMs: number; params: Record<string, unknown> } | null>;
  steps: Step[];
}

export interface PropertyFailure {
  problem: string;
  message: string;
  /** The step that failed, its decision input, and the scenario that leads to it (shrunk). */
  step: number;
  input: DecisionInput;
  scenario: Scenario;
  seed: number;
}

export interface InvariantResult {
  id: string;
  ok: boolean;
  runs: number;
  /** Steps that reached the policy (not rejected as invalid input). */
  decisions: number;
  failure?: PropertyFailure;
}

function literals(e: Expr, into: { strings: Set<string>; numbers: Set<number> }): void {
  switch (e.t) {
    case 'str':
      into.strings.add(e.v);
      // Words inside a pattern (`curl|wget`) are strings the generator should try.
      for (const w of e.v.split(/[^A-Za-z0-9_./~-]+/)) if (w.length >= 2) into.strings.add(w);
      return;
    case 'num':
      into.numbers.add(e.v);
      return;
    case 'list':
      e.items.forEach((i) => literals(i, into));
      return;
    case 'neg':
    case 'not':
      literals(e.e, into);
      return;
    case 'bin':
      literals(e.l, into);
      literals(e.r, into);
      return;
    case 'call':
      e.args.forEach((a) => literals(a, into));
      return;
    default:
      return;
  }
}

const SHELLISH = [
  '>',
  '>>',
  ';',
  '|',
  '&&',
  'x.txt',
  '/workspace/out',
  '/etc/hosts',
  '~/f',
  'ls',
  'echo',
  'cat',
  'http://x',
  'https://x',
  'http:/x',
];

/** Values of the wrong type for a field: what a sloppy controller or agent sends. */
const WRONG_TYPES: unknown[] = ['0', '30', '', 'true', true, false, null, [1], { v: 1 }];

function stringArb(vocab: string[]): fc.Arbitrary<string> {
  const word = fc.oneof(fc.constantFrom(...vocab, ...SHELLISH), fc.string({ maxLength: 6 }));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...vocab) },
    {
      weight: 3,
      arbitrary: fc.array(word, { minLength: 1, maxLength: 5 }).map((ws) => ws.join(' ')),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

function numberArb(
  spec: { min?: number; max?: number; integer?: boolean },
  hints: number[],
): fc.Arbitrary<number> {
  const min = spec.min ?? -10;
  const max = spec.max ?? Math.max(300, ...hints.map((h) => h * 2));
  const inRange = hints.filter(
    (h) => h >= min && h <= max && (!spec.integer || Number.isInteger(h)),
  );
  const near = inRange.flatMap((h) => [h, h - 1, h + 1]).filter((h) => h >= min && h <= max);
  // Decimals with at most 2 places: OPA computes with exact decimals, the reference with doubles,
  // and the two agree on such values (see the rounding in evaluate.ts).
  const range = spec.integer
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : fc.integer({ min: Math.ceil(min * 100), max: Math.floor(max * 100) }).map((c) => c / 100);
  return near.length > 0 ? fc.oneof(range, fc.constantFrom(...near)) : range;
}

function paramArb(spec: ParamSpec, vocab: string[], hints: number[]): fc.Arbitrary<unknown> {
  if (spec.enum) return fc.constantFrom(...spec.enum);
  switch (spec.type) {
    case 'boolean':
      return fc.boolean();
    case 'string': {
      const min = spec.min_length ?? 0;
      const max = spec.max_length ?? 4096;
      // Fitted to the declared length, not filtered: a filter almost never passes a long minimum
      // (a 64-character digest) and the run would spin.
      return stringArb(vocab).map((s) =>
        s.length < min ? s + 'x'.repeat(min - s.length) : s.slice(0, max),
      );
    }
    case 'string_list': {
      // Argv-like lists: vocabulary words (program names, with and without a directory) and shell
      // words.
      const item = fc.oneof(
        fc.constantFrom(...vocab),
        fc.constantFrom(...vocab).map((w) => `/usr/bin/${w}`),
        fc.constantFrom(...SHELLISH),
        fc.string({ maxLength: 6 }),
      );
      return fc.array(item, {
        minLength: spec.min_items ?? 0,
        maxLength: Math.min(spec.max_items ?? 6, 6),
      });
    }
    default:
      return numberArb(
        {
          ...(spec.min !== undefined ? { min: spec.min } : {}),
          ...(spec.max !== undefined ? { max: spec.max } : {}),
          integer: spec.type === 'integer',
        },
        hints,
      );
  }
}

function stepArb(
  kind: string,
  data: PolicyData,
  vocab: string[],
  hints: number[],
  windows: number[] = [],
): fc.Arbitrary<Step> {
  const entry = data.catalog[kind]!;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(entry.params)) {
    fields[name] = paramArb(spec, vocab, hints);
    if (spec.required) required.push(name);
  }
  // A shell kind takes argv or a command line, exactly one of them: generate each way.
  const record = (omit: string | undefined, also: string[]) =>
    fc.record(Object.fromEntries(Object.entries(fields).filter(([k]) => k !== omit)), {
      requiredKeys: [...required, ...also],
    }) as fc.Arbitrary<Record<string, unknown>>;
  const params =
    fields.argv && fields.command
      ? fc.oneof(record('command', ['argv']), record('argv', ['command']))
      : record(undefined, []);
  return fc.record({
    kind: fc.constant(kind),
    params,
    // Sometimes exactly a count window (or one millisecond either side), so window ends are hit.
    afterMs: fc.oneof(
      fc.integer({ min: 0, max: 2_000 }),
      fc.integer({ min: 0, max: 20 * 60_000 }),
      ...(windows.length ? [fc.constantFrom(...windows.flatMap((w) => [w, w - 1, w + 1]))] : []),
    ),
  });
}

function scenarioArb(
  li: LoadedInvariant,
  kinds: string[],
  data: PolicyData,
  vocab: string[],
  hints: number[],
  countKeys: string[],
  minutes: number[],
): fc.Arbitrary<Scenario> {
  const packs = [...new Set(kinds.map((k) => k.split('.')[0]!))];
  const stateFields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const pack of packs) {
    for (const [field, ty] of Object.entries(data.state_fields[pack] ?? {})) {
      const right =
        ty === 'number'
          ? numberArb({ min: -5 }, hints)
          : ty === 'bool'
            ? fc.boolean()
            : fc.constantFrom(
                ...vocab,
                'RUNNING',
                'OFF',
                'PREHEATING',
                'COOLING',
                'live',
                'safe_loop',
              );
      // Now and then the wrong type: it must fail closed, like a missing field.
      stateFields[field] = fc.oneof(
        { weight: 6, arbitrary: right },
        { weight: 1, arbitrary: fc.constantFrom(...WRONG_TYPES, ...hints.map(String)) },
      );
    }
  }
  // Minutes at and around every time of day the invariant names, so window ends are hit exactly.
  const edges = minutes.flatMap((m) => [m, (m + 1439) % 1440, (m + 1) % 1440]);
  const minute = edges.length
    ? fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.constantFrom(...edges))
    : fc.integer({ min: 0, max: 1439 });
  const windows = countKeys.map((k) => Number(k.split('@')[1])).filter((w) => Number.isFinite(w));
  return fc.record({
    state: fc.record(stateFields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>,
    level: fc.constantFrom(...data.autonomy.order),
    actor: fc.record({
      id: fc.constantFrom('agent-1', 'op-1', 'admin-1', ''),
      roles: fc.subarray(['agent', 'operator', 'admin']),
    }),
    clock: fc.option(fc.record({ minute, weekday: fc.integer({ min: 0, max: 6 }) }), { freq: 6 }),
    target: fc.constantFrom('target-1', 'roaster-1', 'line-1', 'station', 'ws-1', 'llm-budget'),
    batchSize: fc.option(fc.integer({ min: 1, max: 15 })),
    // Each count is sometimes not supplied at all: reading it as 0 would be failing open.
    prior: fc.record(
      Object.fromEntries(
        countKeys.map((k) => [
          k,
          fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 25 })),
        ]),
      ),
      { requiredKeys: [] },
    ) as fc.Arbitrary<Record<string, number>>,
    priorLast: fc.record(
      Object.fromEntries(
        kinds.map((k) => [
          k,
          fc.option(
            fc.record({
              agoMs: fc.integer({ min: 0, max: 60_000 }),
              params: stepArb(k, data, vocab, hints, windows).map((st) => st.params),
            }),
          ),
        ]),
      ),
    ),
    steps: fc.array(fc.oneof(...kinds.map((k) => stepArb(k, data, vocab, hints, windows))), {
      minLength: 1,
      maxLength: 6,
    }),
  });
}

interface Accepted {
  kind: string;
  at: number;
  params: Record<string, unknown>;
}

const START = Date.UTC(2026, 0, 5, 0, 0, 0);

/**
 * The decision input of step i, with history built from the steps before it that were not denied.
 */
export function inputAt(
  s: Scenario,
  i: number,
  accepted: Accepted[],
  data: PolicyData,
): DecisionInput {
  const at = START + s.steps.slice(0, i + 1).reduce((t, st) => t + st.afterMs, 0);
  const step = s.steps[i]!;
  const manifest = data.invariant_manifest;
  const counts: Record<string, number> = {};
  for (const c of manifest?.counts ?? []) {
    const key = countKey(c);
    if (s.prior[key] === undefined) continue;
    counts[key] =
      s.prior[key] +
      accepted.filter((a) => a.at >= at - c.window_ms && globMatch(c.kind, a.kind)).length;
  }
  const before = s.priorLast[step.kind];
  const prev =
    [...accepted].reverse().find((a) => a.kind === step.kind) ??
    (before ? { kind: step.kind, at: START - before.agoMs, params: before.params } : undefined);
  const ramp = data.catalog[step.kind]?.constraints?.ramp as { param?: string } | undefined;
  const last: Record<string, Record<string, unknown>> = {};
  if (prev) {
    const value = ramp?.param ? prev.params[ramp.param] : undefined;
    last[step.kind] = {
      at: prev.at,
      params: prev.params,
      ...(typeof value === 'number' ? { value } : {}),
    };
  }
  const minuteNow = s.clock ? (s.clock.minute + Math.floor((at - START) / 60_000)) % 1440 : 0;
  const clock = s.clock
    ? { minute: minuteNow, weekday: s.clock.weekday, time: clockTime(minuteNow) }
    : undefined;
  return {
    action: { kind: step.kind, target: s.target, params: step.params },
    actor: s.actor,
    context: {
      level: s.level,
      state: s.state,
      history: { last, rate: {}, counts },
      now: at,
      estop: false,
      ...(clock ? { clock } : {}),
      ...(s.batchSize !== null ? { batch: { size: s.batchSize } } : {}),
    },
  };
}

/**
 * The input with shell.exec params as the gateway decides them (argv), or undefined when it refuses
 * them.
 */
function canonicalInput(input: DecisionInput): DecisionInput | undefined {
  if (input.action.kind !== 'shell.exec' || shellParamsIssue(input.action.params)) return input;
  const canonical = canonicalShellParams(input.action.params);
  return canonical.ok
    ? { ...input, action: { ...input.action, params: canonical.params } }
    : undefined;
}

function renderMessage(li: LoadedInvariant, input: DecisionInput, data: PolicyData): string {
  const ev = new Evaluator(input, data);
  const failing = li.asserts.find((a) => ev.truth(a.expr.ast) !== true) ?? li.asserts[0]!;
  return failing.message
    .map((p) => ('lit' in p ? p.lit : JSON.stringify(ev.path(p.path.segs) ?? null)))
    .join('');
}

export function testInvariant(
  li: LoadedInvariant,
  evaluator: PolicyEvaluator,
  data: PolicyData,
  options: { runs: number; seed?: number },
): InvariantResult {
  const kinds = kindsInScope(li.inv, data);
  const vocab = new Set<string>(['x']);
  const nums = new Set<number>([0]);
  for (const src of [li.when, ...li.asserts.map((a) => a.expr)])
    if (src) literals(src.ast, { strings: vocab, numbers: nums });
  const countKeys = (data.invariant_manifest?.counts ?? []).map(countKey);
  let decisions = 0;
  let found: Omit<PropertyFailure, 'scenario' | 'seed'> | undefined;

  const minutes = clockLiterals(li);
  const property = fc.property(
    scenarioArb(li, kinds, data, [...vocab], [...nums], countKeys, minutes),
    (s) => {
      const accepted: Accepted[] = [];
      for (let i = 0; i < s.steps.length; i++) {
        const input = canonicalInput(inputAt(s, i, accepted, data));
        // A shell line the gateway refuses to tokenize never reaches the policy: nothing to
        // compare.
        if (!input) continue;
        const decision = decide(
          { envelope: input.action, actor: input.actor, context: input.context as DecisionContext },
          evaluator,
        );
        if (decision.stage === 'validation') continue;
        decisions++;
        const expected = violates(li, input, data);
        const reported = decision.invariants.some((v) => v.id === li.inv.id);
        if (decision.effect !== 'deny' && expected) {
          found = {
            problem: `the pipeline allowed (${decision.effect}) an action that violates ${li.inv.id}`,
            message: renderMessage(li, input, data),
            step: i,
            input,
          };
          return false;
        }
        if (reported !== expected) {
          found = {
            problem: expected
              ? `the bundle did not report ${li.inv.id}, which the action violates`
              : `the bundle reported ${li.inv.id}, which the action does not violate`,
            message: renderMessage(li, input, data),
            step: i,
            input,
          };
          return false;
        }
        if (decision.effect !== 'deny')
          accepted.push({
            kind: input.action.kind,
            at: input.context.now,
            params: input.action.params,
          });
      }
      return true;
    },
  );
  const out = fc.check(property, {
    numRuns: options.runs,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  if (!out.failed) return { id: li.inv.id, ok: true, runs: out.numRuns, decisions };
  // `found` is from the last failing run fast-check tried; re-run the shrunk counterexample to be
  // exact.
  const scenario = out.counterexample![0];
  found = undefined;
  property.run([scenario]);
  const failure = found as Omit<PropertyFailure, 'scenario' | 'seed'> | undefined;
  return {
    id: li.inv.id,
    ok: false,
    runs: out.numRuns,
    decisions,
    ...(failure ? { failure: { ...failure, scenario, seed: out.seed } } : {}),
  };
}

/** Every time of day (minutes) the invariant names: within(...) arguments and when.time. */
function clockLiterals(li: LoadedInvariant): number[] {
  const out = new Set<number>();
  for (const t of [li.inv.when?.time?.from, li.inv.when?.time?.to])
    if (t !== undefined && clockMinutes(t) !== undefined) out.add(clockMinutes(t)!);
  const walk = (e: Expr): void => {
    if (e.t === 'call' && e.fn === 'within')
      for (const a of e.args)
        if (a.t === 'str' && clockMinutes(a.v) !== undefined) out.add(clockMinutes(a.v)!);
    if (e.t === 'call') e.args.forEach(walk);
    else if (e.t === 'bin') [e.l, e.r].forEach(walk);
    else if (e.t === 'not' || e.t === 'neg') walk(e.e);
    else if (e.t === 'list') e.items.forEach(walk);
  };
  for (const src of [li.when, ...li.asserts.map((a) => a.expr)]) if (src) walk(src.ast);
  return [...out];
}

export function describeFailure(r: InvariantResult): string {
  const f = r.failure;
  if (!f) return `${r.id}: FAILED (no counterexample recorded)`;
  const lines = [
    `${r.id}: FAILED: ${f.problem}`,
    `  message: ${f.message}`,
    `  counterexample (shrunk; seed ${f.seed}), at step ${f.step + 1} of ${f.scenario.steps.length}:`,
    `    level ${f.scenario.level}, actor ${JSON.stringify(f.scenario.actor)}, state ${JSON.stringify(f.scenario.state)}`,
    `    target ${f.scenario.target}, clock ${f.input.context.clock ? `minute ${f.input.context.clock.minute}` : 'not supplied'}, prior counts ${JSON.stringify(f.scenario.prior)}${f.scenario.batchSize !== null ? `, batch of ${f.scenario.batchSize}` : ''}`,
    ...Object.entries(f.scenario.priorLast).flatMap(([k, l]) =>
      l
        ? [`    before: ${k} ${JSON.stringify(l.params)} completed ${l.agoMs} ms before step 1`]
        : [],
    ),
    ...f.scenario.steps.map(
      (s, i) =>
        `    ${i === f.step ? '→' : ' '} step ${i + 1} (+${s.afterMs} ms): ${s.kind} ${JSON.stringify(s.params)}`,
    ),
  ];
  return lines.join('\n');
}
