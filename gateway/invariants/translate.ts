/**
 * Translates checked invariants to one Rego package, `interlock.invariants`, whose
 * `violation` set the decision entrypoint already gathers.
 *
 * Semantics are three-valued and fail closed: an assertion holds only when it is *true*; a
 * value that is missing makes it neither true nor false, so the invariant is violated. For
 * that, every expression compiles two ways: statements that succeed iff it is true (`pos`)
 * and iff it is false (`neg`), with negation pushed inward. Rego's own `not` would turn
 * "undefined" into "true".
 */
import { countKey } from '../schema/context.ts';
import type { PolicyData } from '../schema/policy-data.ts';
import type { Expr } from './ast.ts';
import { clockMinutes, durationMs, globMatch, kindsInScope } from './check.ts';
import type { LoadedInvariant } from './load.ts';

export interface CountQuery {
  /** The kind glob as written. */
  kind: string;
  window_ms: number;
  /**
   * The catalog kinds the glob names, resolved at compile time so the gateway counts with `kind IN
   * (…)`.
   */
  kinds: string[];
}

export interface InvariantManifest {
  ids: string[];
  /**
   * Windowed counts the gateway must supply in context.history.counts, keyed
   * `${kind}@${window_ms}`.
   */
  counts: CountQuery[];
  /** Kinds whose last completed params the gateway must supply in context.history.last. */
  last: string[];
}

// A Rego string literal. Every character outside printable ASCII is written as an escape:
// JSON.stringify leaves DEL, C1 controls, zero-width marks and the byte-order mark raw, and a
// raw U+FEFF is a parse error in Rego (the others would hide text in the generated policy).
const q = (s: string): string =>
  JSON.stringify(s).replace(/[^\x20-\x7e]/gu, (c) =>
    c
      .split('')
      .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join(''),
  );

const FLIP: Record<string, string> = {
  '<': '>=',
  '<=': '>',
  '>': '<=',
  '>=': '<',
  '==': '!=',
  '!=': '==',
};

class Gen {
  readonly rules: string[] = [];
  #n = 0;
  usesLast = false;

  constructor(
    private readonly prefix: string,
    private readonly counts: Map<string, CountQuery>,
    private readonly data: PolicyData,
  ) {}

  /** A helper rule true when any of the bodies succeeds. */
  helper(bodies: string[][]): string {
    const name = `${this.prefix}_h${this.#n++}`;
    for (const body of bodies)
      this.rules.push(
        `${name} if {\n${(body.length ? body : ['true']).map((s) => `\t${s}`).join('\n')}\n}`,
      );
    return name;
  }

  /**
   * 1 when the proposed action is of a kind the pattern names (it counts toward "at most N"), else
   * 0.
   */
  self(pattern: string): string {
    const kinds = Object.keys(this.data.catalog).filter((k) => globMatch(pattern, k));
    const name = `${this.prefix}_h${this.#n++}`;
    this.rules.push(
      `${name} := 1 if {\n\tinput.action.kind in {${kinds.map(q).join(', ')}}\n} else := 0`,
    );
    return name;
  }

  count(kind: string, window: string): string {
    const query = {
      kind,
      window_ms: durationMs(window)!,
      kinds: Object.keys(this.data.catalog).filter((k) => globMatch(kind, k)),
    };
    this.counts.set(countKey(query), query);
    return `input.context.history.counts[${q(countKey(query))}]`;
  }

  path(segs: string[]): string {
    const [root, a, b] = segs;
    switch (root) {
      case 'action':
        return a === 'params' ? `input.action.params[${q(b!)}]` : `input.action.${a}`;
      case 'params':
        return `input.action.params[${q(a!)}]`;
      case 'state':
        return `input.context.state[${q(a!)}]`;
      case 'next':
        return `L.next[${q(a!)}]`;
      case 'last':
        this.usesLast = true;
        return a === 'at' || a === 'value' ? `L.last.${a}` : `L.last.params[${q(a!)}]`;
      case 'level':
      case 'now':
        return `input.context.${root}`;
      case 'actor':
        return `input.actor.${a}`;
      case 'batch':
      case 'clock':
        return `input.context.${root}.${a}`;
      default:
        throw new Error(`unchecked path ${segs.join('.')}`);
    }
  }

  term(e: Expr): string {
    switch (e.t) {
      case 'num':
        return String(e.v);
      case 'str':
        return q(e.v);
      case 'bool':
        return String(e.v);
      case 'null':
        return 'null';
      case 'list':
        return `[${e.items.map((i) => this.term(i)).join(', ')}]`;
      case 'path':
        return this.path(e.segs);
      case 'neg':
        return `(0 - ${this.term(e.e)})`;
      case 'bin':
        if (['+', '-', '*', '/'].includes(e.op))
          return `(${this.term(e.l)} ${e.op} ${this.term(e.r)})`;
        break;
      case 'call':
        switch (e.fn) {
          case 'abs':
            return `abs(${this.term(e.args[0]!)})`;
          case 'min':
          case 'max':
            return `${e.fn}([${e.args.map((a) => this.term(a)).join(', ')}])`;
          case 'len':
            return `count(${this.term(e.args[0]!)})`;
          case 'count':
          case 'history.count':
            return this.count((e.args[0] as { v: string }).v, (e.args[1] as { v: string }).v);
          case 'ramp':
            this.usesLast = true;
            return `L.ramp(${q((e.args[0] as { v: string }).v)})`;
        }
        break;
    }
    // A condition used as a value: true or false, never undefined.
    const holds = this.helper([this.pos(e)]);
    const isFalse = this.helper([this.neg(e)]);
    return this.helperValue(holds, isFalse);
  }

  helperValue(holds: string, isFalse: string): string {
    const name = `${this.prefix}_h${this.#n++}`;
    this.rules.push(`${name} := true if ${holds}\n${name} := false if ${isFalse}`);
    return name;
  }

  /** Statements that all succeed iff `e` is true. */
  pos(e: Expr): string[] {
    switch (e.t) {
      case 'bool':
        return e.v ? [] : ['false'];
      case 'path':
        return [`${this.term(e)} == true`];
      case 'not':
        return this.neg(e.e);
      case 'bin':
        switch (e.op) {
          case 'and':
            return [...this.pos(e.l), ...this.pos(e.r)];
          case 'or':
            return [this.helper([this.pos(e.l), this.pos(e.r)])];
          case 'in':
            return [`${this.term(e.l)} in ${this.term(e.r)}`];
          case 'not in': {
            const l = this.term(e.l);
            const r = this.term(e.r);
            return [`_ = ${l}`, `_ = ${r}`, `not ${l} in ${r}`];
          }
          default:
            return this.compare(e, e.op);
        }
      case 'call':
        return this.callPos(e);
      default:
        return ['false'];
    }
  }

  /** Statements that all succeed iff `e` is false (defined, and false). */
  neg(e: Expr): string[] {
    switch (e.t) {
      case 'bool':
        return e.v ? ['false'] : [];
      case 'path':
        return [`${this.term(e)} == false`];
      case 'not':
        return this.pos(e.e);
      case 'bin':
        switch (e.op) {
          case 'and':
            return [this.helper([this.neg(e.l), this.neg(e.r)])];
          case 'or':
            return [...this.neg(e.l), ...this.neg(e.r)];
          case 'in': {
            const l = this.term(e.l);
            const r = this.term(e.r);
            return [`_ = ${l}`, `_ = ${r}`, `not ${l} in ${r}`];
          }
          case 'not in':
            return [`${this.term(e.l)} in ${this.term(e.r)}`];
          default:
            return this.compare(e, FLIP[e.op] ?? e.op);
        }
      case 'call':
        return this.callNeg(e);
      default:
        return ['false'];
    }
  }

  /**
   * A comparison that holds only between values of one type. Rego orders values across types
   * (`"0" >= 1` is true) and `"0" != 0` is true, so without the guard a value of the wrong type
   * would pass where the right type fails. With it, a wrong type makes the comparison neither
   * true nor false, like a missing value: the invariant is violated. A comparison with the
   * literal null (a test for absence) has no guard.
   */
  compare(e: Expr & { t: 'bin' }, op: string): string[] {
    const l = this.term(e.l);
    const r = this.term(e.r);
    if (e.l.t === 'null' || e.r.t === 'null') return [`${l} ${op} ${r}`];
    // Numbers compare on a 10^-6 grid: OPA's Go evaluator and its Wasm one round sums such as
    // 1.1 + 0.2 differently, and on the grid they agree (L.num, policies/interlock/lib/invariants/invariants.rego).
    return [`type_name(${l}) == type_name(${r})`, `L.num(${l}) ${op} L.num(${r})`];
  }

  callPos(e: Expr & { t: 'call' }): string[] {
    const [a, b, c] = e.args;
    const lit = (x: Expr | undefined): string => (x as { v: string }).v;
    switch (e.fn) {
      case 'within':
        return [`L.within(${clockMinutes(lit(a))}, ${clockMinutes(lit(b))})`];
      case 'never':
        return this.neg({ t: 'bin', op: 'and', l: a!, r: b!, start: e.start, end: e.end });
      case 'at_most':
        return [`${this.count(lit(b), lit(c))} + ${this.self(lit(b))} <= ${this.term(a!)}`];
      case 'matches': {
        const s = this.term(a!);
        const need = requiredLiterals(lit(b));
        return [
          ...(need ? [`L.contains_any(${s}, ${JSON.stringify(need)})`] : []),
          `regex.match(${q(lit(b))}, ${s})`,
        ];
      }
      case 'startswith':
      case 'endswith':
      case 'contains':
        return [`${e.fn}(${this.term(a!)}, ${this.term(b!)})`];
      case 'runs':
        return [`L.runs_any(${this.term(a!)})`];
      case 'exists':
        return [`_ = ${this.term(a!)}`];
      default:
        return [`${this.term(e)} == true`];
    }
  }

  callNeg(e: Expr & { t: 'call' }): string[] {
    const [a, b, c] = e.args;
    const lit = (x: Expr | undefined): string => (x as { v: string }).v;
    switch (e.fn) {
      case 'within':
        return ['_ = L.minute', `not L.within(${clockMinutes(lit(a))}, ${clockMinutes(lit(b))})`];
      case 'never':
        return this.pos({ t: 'bin', op: 'and', l: a!, r: b!, start: e.start, end: e.end });
      case 'at_most':
        return [`${this.count(lit(b), lit(c))} + ${this.self(lit(b))} > ${this.term(a!)}`];
      case 'matches': {
        const s = this.term(a!);
        const need = requiredLiterals(lit(b));
        // Else-chained, so the regex runs only when the cheap test cannot decide.
        if (need) {
          const name = `${this.prefix}_h${this.#n++}`;
          this.rules.push(
            `${name} := true if {\n\tnot L.contains_any(${s}, ${JSON.stringify(need)})\n} else := true if {\n\tnot regex.match(${q(lit(b))}, ${s})\n}`,
          );
          return [`_ = ${s}`, `${name} == true`];
        }
        return [`_ = ${s}`, `not regex.match(${q(lit(b))}, ${s})`];
      }
      case 'startswith':
      case 'endswith':
      case 'contains': {
        const s = this.term(a!);
        const t = this.term(b!);
        return [`_ = ${s}`, `_ = ${t}`, `not ${e.fn}(${s}, ${t})`];
      }
      case 'runs':
        // Decided only on an argv: without one, runs() is neither true nor false.
        return ['_ = input.action.params.argv', `not L.runs_any(${this.term(a!)})`];
      case 'exists':
        return [`not ${this.helper([[`_ = ${this.term(a!)}`]])}`];
      default:
        return [`${this.term(e)} == false`];
    }
  }
}

/**
 * Literal strings one of which any match of the regex must contain, when the regex makes that
 * plain: a top-level group of alternated words, or a run of literal characters outside groups.
 * OPA's Wasm runtime compiles a regex afresh on every call; a cheap `contains` first skips it.
 */
export function requiredLiterals(re: string): string[] | undefined {
  // Flags such as (?i) change what a literal matches; then no shortcut.
  if (/\(\?[a-zA-Z]/.test(re)) return undefined;
  // An alternation at the top level means no single part is required.
  for (let i = 0; i < re.length; i++) if (re[i] === '|' && depthAt(re, i) === 0) return undefined;
  const words = /\((?:\?:)?([A-Za-z0-9_-]+(?:\|[A-Za-z0-9_-]+)*)\)/.exec(re);
  // Only a group at nesting depth 0 is mandatory, and only if nothing can skip it.
  if (
    words &&
    depthAt(re, words.index) === 0 &&
    !/^[?*]|^\{0/.test(re.slice(words.index + words[0].length))
  )
    return words[1]!.split('|');
  const lit = /^([^\\()[\]{}|.*+?^$]+)/.exec(re);
  if (!lit) return undefined;
  // A quantifier after the run applies to its last character, which may then be absent
  // (`https?://` requires "http", not "https").
  const run = /^[?*{]/.test(re.slice(lit[1]!.length)) ? lit[1]!.slice(0, -1) : lit[1]!;
  return run ? [run] : undefined;
}

/** Group nesting depth at `index`; inside a character class counts as depth 1. */
function depthAt(re: string, index: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < index; i++) {
    if (re[i] === '\\') i++;
    else if (inClass) inClass = re[i] !== ']';
    else if (re[i] === '[') inClass = true;
    else if (re[i] === '(') depth++;
    else if (re[i] === ')') depth--;
  }
  return inClass ? depth + 1 : depth;
}

/** A value for reports: null when missing, never undefined. */
function safeValue(segs: string[]): string {
  const [root, a, b] = segs;
  const get = (parts: string[]): string => `object.get(input, [${parts.join(', ')}], null)`;
  switch (root) {
    case 'action':
      return a === 'params' ? get(['"action"', '"params"', q(b!)]) : get(['"action"', q(a!)]);
    case 'params':
      return get(['"action"', '"params"', q(a!)]);
    case 'state':
      return get(['"context"', '"state"', q(a!)]);
    case 'next':
      return `object.get(L.next, ${q(a!)}, null)`;
    case 'last':
      return a === 'at' || a === 'value'
        ? get(['"context"', '"history"', '"last"', 'input.action.kind', q(a)])
        : get(['"context"', '"history"', '"last"', 'input.action.kind', '"params"', q(a!)]);
    case 'level':
    case 'now':
      return get(['"context"', q(root)]);
    case 'actor':
      return get(['"actor"', q(a!)]);
    default:
      return get(['"context"', q(root!), q(a!)]);
  }
}

/** The values an assertion reads: paths, and the windowed counts it asks for. */
function collectPaths(e: Expr, into: Map<string, string[]>, counts: Map<string, string>): void {
  const recur = (x: Expr): void => collectPaths(x, into, counts);
  switch (e.t) {
    case 'path':
      into.set(e.segs.join('.'), e.segs);
      return;
    case 'list':
      e.items.forEach(recur);
      return;
    case 'neg':
    case 'not':
      recur(e.e);
      return;
    case 'bin':
      recur(e.l);
      recur(e.r);
      return;
    case 'call': {
      const [kind, window] = e.fn === 'at_most' ? [e.args[1], e.args[2]] : [e.args[0], e.args[1]];
      if (
        (e.fn === 'count' || e.fn === 'history.count' || e.fn === 'at_most') &&
        kind?.t === 'str' &&
        window?.t === 'str'
      ) {
        const key = countKey({ kind: kind.v, window_ms: durationMs(window.v)! });
        counts.set(`count(${JSON.stringify(kind.v)}, ${JSON.stringify(window.v)})`, key);
      }
      e.args.forEach(recur);
      return;
    }
    default:
      return;
  }
}

export function translateInvariants(
  loaded: readonly LoadedInvariant[],
  data: PolicyData,
): { rego: string; manifest: InvariantManifest } {
  const counts = new Map<string, CountQuery>();
  const lastKinds = new Set<string>();
  const blocks: string[] = [];
  loaded.forEach((li, i) => {
    const { inv } = li;
    const g = new Gen(`_i${i}`, counts, data);
    // Kind globs resolve against the catalog here, once: a set lookup per decision instead of a
    // glob compiled afresh on every call (OPA's Wasm runtime does not cache compiled globs).
    const kinds = kindsInScope(inv, data);
    const applies: string[] = [`input.action.kind in {${kinds.map(q).join(', ')}}`];
    if (inv.scope.targets) applies.push(`L.target_in(${JSON.stringify(inv.scope.targets)})`);
    if (inv.when?.levels) applies.push(`input.context.level in ${JSON.stringify(inv.when.levels)}`);
    // Outside the window only when the clock says so: a missing clock applies the invariant.
    if (inv.when?.time)
      applies.push(
        `not ${g.helper([['_ = L.minute', `not L.within(${clockMinutes(inv.when.time.from)}, ${clockMinutes(inv.when.time.to)})`]])}`,
      );
    if (li.when) applies.push(`not ${g.helper([g.neg(li.when.ast)])}`);
    const appliesRule = g.helper([applies]);

    li.asserts.forEach((a, k) => {
      const holds = g.helper([g.pos(a.expr.ast)]);
      const paths = new Map<string, string[]>();
      const countValues = new Map<string, string>();
      collectPaths(a.expr.ast, paths, countValues);
      for (const p of a.message) if ('path' in p) paths.set(p.text, p.path.segs);
      const values = [
        ...[...paths.entries()].map(([name, segs]) => `${q(name)}: ${safeValue(segs)}`),
        ...[...countValues.entries()].map(
          ([name, key]) =>
            `${q(name)}: object.get(input, ["context", "history", "counts", ${q(key)}], null)`,
        ),
      ];
      const message = a.message.map((p) =>
        'lit' in p ? q(p.lit) : `show(${safeValue(p.path.segs)})`,
      );
      blocks.push(
        [
          `# ${inv.id} (${li.file}:${li.line}), assertion ${k + 1}: ${a.expr.text.replace(/\s+/g, ' ')}`,
          `violation contains {`,
          `\t"id": ${q(inv.id)},`,
          `\t"severity": ${q(inv.severity)},`,
          `\t"message": concat("", [${message.join(', ')}]),`,
          `\t"values": {${values.join(', ')}}`,
          `} if {`,
          `\t${appliesRule}`,
          `\tnot ${holds}`,
          `}`,
        ].join('\n'),
      );
    });
    blocks.push(...g.rules);
    if (g.usesLast) for (const kind of kindsInScope(inv, data)) lastKinds.add(kind);
  });
  const body = blocks.join('\n');
  // Only the imports the generated rules use: `opa check --strict` refuses unused ones.
  const imports = [
    ...(body.includes('show(') ? ['import data.interlock.lib.fmt.show'] : []),
    ...(body.includes('L.') ? ['import data.interlock.lib.invariants as L'] : []),
    'import rego.v1',
  ];
  const rego = [
    '# Generated by `interlock` from invariants/**/*.yaml. Do not edit: change the YAML.',
    'package interlock.invariants',
    '',
    ...imports,
    '',
    ...blocks.flatMap((b) => [b, '']),
  ].join('\n');
  return {
    rego,
    manifest: {
      ids: loaded.map((l) => l.inv.id),
      counts: [...counts.values()],
      last: [...lastKinds].sort(),
    },
  };
}
