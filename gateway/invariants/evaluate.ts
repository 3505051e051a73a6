/**
 * The reference semantics of invariants, in TypeScript: three-valued (true, false, undefined
 * for a missing value), written independently of the Rego translation. The property tests
 * compare the Wasm bundle's verdicts with it.
 */
import type { PolicyData } from '../schema/policy-data.ts';
import type { Expr } from './ast.ts';
import { clockMinutes, globMatch } from './check.ts';
import type { LoadedInvariant } from './load.ts';
import { countKey } from '../schema/context.ts';
import { durationMs } from './check.ts';
import { program, ShellAnalyser } from '../decide/shell-analysis.ts';

type V = unknown;
type T = boolean | undefined;

export interface DecisionInput {
  action: { kind: string; target: string; params: Record<string, unknown> };
  actor: { id: string; roles: string[] };
  context: Record<string, unknown> & {
    level: string;
    now: number;
    state?: Record<string, unknown>;
    history?: {
      last?: Record<string, Record<string, unknown>>;
      rate?: Record<string, unknown>;
      counts?: Record<string, number>;
    };
    clock?: { minute: number; weekday: number; time?: string };
    batch?: { size: number };
  };
}

const get = (o: unknown, ...keys: string[]): V => {
  let cur = o;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, k))
      return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
};

export function nextState(input: DecisionInput, data: PolicyData): Record<string, unknown> {
  const state = { ...(input.context.state ?? {}) };
  const effects = data.catalog[input.action.kind]?.effects ?? {};
  for (const [field, effect] of Object.entries(effects)) {
    if ('param' in effect) {
      const v = input.action.params[effect.param];
      if (v !== undefined) state[field] = v;
    } else state[field] = effect.set;
  }
  return state;
}

const equal = (a: V, b: V): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A number as whole millionths, rounded half away from zero as OPA's round does (L.num). */
const grid = (x: number): number => Math.sign(x) * Math.round(Math.abs(x) * 1_000_000);

/** The value's type as Rego's type_name says it. */
const kindOf = (v: V): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * OPA's arithmetic is exact decimal; 12 significant digits make 0.1 + 0.2 come out as 0.3 here too.
 */
const exact = (x: number): number => Number(x.toPrecision(12));

export class Evaluator {
  constructor(
    private readonly input: DecisionInput,
    private readonly data: PolicyData,
  ) {}

  /**
   * The base name of every program the action's argv runs (shell.exec), or undefined without one.
   */
  private programs(): string[] | undefined {
    const argv = get(this.input.action.params, 'argv');
    const syntax = this.data.shell?.syntax;
    if (!Array.isArray(argv) || !argv.every((w) => typeof w === 'string') || !syntax)
      return undefined;
    return new ShellAnalyser(syntax)
      .analyse(argv, { anyCharacters: true })
      ?.invocations.map(program);
  }

  private last(): Record<string, unknown> | undefined {
    return get(this.input.context, 'history', 'last', this.input.action.kind) as
      Record<string, unknown> | undefined;
  }

  path(segs: string[]): V {
    const [root, a, b] = segs as [string, string | undefined, string | undefined];
    const { input } = this;
    switch (root) {
      case 'action':
        return a === 'params' ? get(input.action.params, b!) : get(input.action, a!);
      case 'params':
        return get(input.action.params, a!);
      case 'state':
        return get(input.context.state ?? {}, a!);
      case 'next':
        return get(nextState(input, this.data), a!);
      case 'last':
        return a === 'at' || a === 'value' ? get(this.last(), a) : get(this.last(), 'params', a!);
      case 'level':
      case 'now':
        return input.context[root];
      case 'actor':
        return get(input.actor, a!);
      default:
        return get(input.context, root, a!);
    }
  }

  value(e: Expr): V {
    switch (e.t) {
      case 'num':
      case 'str':
      case 'bool':
        return e.v;
      case 'null':
        return null;
      case 'list': {
        const items = e.items.map((i) => this.value(i));
        return items.some((i) => i === undefined) ? undefined : items;
      }
      case 'path':
        return this.path(e.segs);
      case 'neg': {
        const v = this.value(e.e);
        return typeof v === 'number' ? -v : undefined;
      }
      case 'bin': {
        if (['+', '-', '*', '/'].includes(e.op)) {
          const l = this.value(e.l);
          const r = this.value(e.r);
          if (typeof l !== 'number' || typeof r !== 'number') return undefined;
          if (e.op === '/') return r === 0 ? undefined : exact(l / r);
          return exact(e.op === '+' ? l + r : e.op === '-' ? l - r : l * r);
        }
        return this.truth(e);
      }
      case 'call': {
        const nums = (): number[] | undefined => {
          const vs = e.args.map((a) => this.value(a));
          return vs.every((v) => typeof v === 'number') ? (vs as number[]) : undefined;
        };
        switch (e.fn) {
          case 'abs': {
            const n = nums();
            return n ? Math.abs(n[0]!) : undefined;
          }
          case 'min':
          case 'max': {
            const n = nums();
            return n ? (e.fn === 'min' ? Math.min(...n) : Math.max(...n)) : undefined;
          }
          case 'len': {
            const v = this.value(e.args[0]!);
            return typeof v === 'string' || Array.isArray(v) ? v.length : undefined;
          }
          case 'count':
          case 'history.count':
            return this.count((e.args[0] as { v: string }).v, (e.args[1] as { v: string }).v);
          case 'ramp': {
            const p = (e.args[0] as { v: string }).v;
            const last = this.last();
            const v = this.input.action.params[p];
            const lv = get(last, 'params', p);
            const at = get(last, 'at');
            if (typeof v !== 'number' || typeof lv !== 'number' || typeof at !== 'number') return 0;
            return Math.abs(v - lv) / Math.max((this.input.context.now - at) / 1000, 0.001);
          }
        }
        return this.truth(e);
      }
      default:
        return this.truth(e);
    }
  }

  private count(kind: string, window: string): number | undefined {
    const c = get(
      this.input.context,
      'history',
      'counts',
      countKey({ kind, window_ms: durationMs(window)! }),
    );
    return typeof c === 'number' ? c : undefined;
  }

  truth(e: Expr): T {
    switch (e.t) {
      case 'bool':
        return e.v;
      case 'path': {
        const v = this.path(e.segs);
        return typeof v === 'boolean' ? v : undefined;
      }
      case 'not': {
        const v = this.truth(e.e);
        return v === undefined ? undefined : !v;
      }
      case 'bin': {
        switch (e.op) {
          case 'and': {
            const l = this.truth(e.l);
            const r = this.truth(e.r);
            if (l === false || r === false) return false;
            return l === true && r === true ? true : undefined;
          }
          case 'or': {
            const l = this.truth(e.l);
            const r = this.truth(e.r);
            if (l === true || r === true) return true;
            return l === false && r === false ? false : undefined;
          }
          case 'in':
          case 'not in': {
            const l = this.value(e.l);
            const r = this.value(e.r);
            if (l === undefined || !Array.isArray(r)) return undefined;
            const found = r.some((x) => equal(x, l));
            return e.op === 'in' ? found : !found;
          }
          default: {
            const l = this.value(e.l);
            const r = this.value(e.r);
            if (l === undefined || r === undefined) return undefined;
            // Values of different types compare as neither true nor false (null aside: a test for
            // absence).
            if (e.l.t !== 'null' && e.r.t !== 'null' && kindOf(l) !== kindOf(r)) return undefined;
            switch (e.op) {
              case '==':
                return typeof l === 'number' && typeof r === 'number'
                  ? grid(l) === grid(r)
                  : equal(l, r);
              case '!=':
                return typeof l === 'number' && typeof r === 'number'
                  ? grid(l) !== grid(r)
                  : !equal(l, r);
            }
            if (typeof l !== typeof r || (typeof l !== 'number' && typeof l !== 'string'))
              return undefined;
            const [a, b] =
              typeof l === 'number' ? [grid(l), grid(r as number)] : [l as string, r as string];
            return e.op === '<' ? a < b : e.op === '<=' ? a <= b : e.op === '>' ? a > b : a >= b;
          }
        }
      }
      case 'call': {
        const [a, b, c] = e.args;
        const lit = (x: Expr | undefined): string => (x as { v: string }).v;
        switch (e.fn) {
          case 'within': {
            const m = get(this.input.context, 'clock', 'minute');
            if (typeof m !== 'number') return undefined;
            return inWindow(m, clockMinutes(lit(a))!, clockMinutes(lit(b))!);
          }
          case 'never':
            return this.truth({
              t: 'not',
              e: { t: 'bin', op: 'and', l: a!, r: b!, start: 0, end: 0 },
              start: 0,
              end: 0,
            });
          case 'at_most': {
            const n = this.count(lit(b), lit(c));
            const limit = this.value(a!);
            if (n === undefined || typeof limit !== 'number') return undefined;
            return n + (globMatch(lit(b), this.input.action.kind) ? 1 : 0) <= limit;
          }
          case 'matches': {
            const s = this.value(a!);
            return typeof s === 'string' ? new RegExp(lit(b), 'u').test(s) : undefined;
          }
          case 'startswith':
          case 'endswith':
          case 'contains': {
            const s = this.value(a!);
            const t = this.value(b!);
            if (typeof s !== 'string' || typeof t !== 'string') return undefined;
            return e.fn === 'startswith'
              ? s.startsWith(t)
              : e.fn === 'endswith'
                ? s.endsWith(t)
                : s.includes(t);
          }
          case 'runs': {
            const programs = this.programs();
            const names = this.value(a!);
            if (programs === undefined || !Array.isArray(names)) return undefined;
            return programs.some((p) => names.includes(p));
          }
          case 'exists':
            return this.value(a!) !== undefined;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

export function inWindow(minute: number, from: number, to: number): boolean {
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

/**
 * Whether an invariant is violated by this input, by the reference semantics (undefined counts as
 * violated).
 */
export function violates(li: LoadedInvariant, input: DecisionInput, data: PolicyData): boolean {
  const { inv } = li;
  const kind = input.action.kind;
  if (!inv.scope.kinds.some((p) => globMatch(p, kind))) return false;
  if (inv.scope.targets && !inv.scope.targets.some((p) => globMatch(p, input.action.target)))
    return false;
  if (inv.when?.kinds && !inv.when.kinds.some((p) => globMatch(p, kind))) return false;
  if (inv.when?.levels && !inv.when.levels.includes(input.context.level)) return false;
  if (inv.when?.time) {
    const m = get(input.context, 'clock', 'minute');
    if (
      typeof m === 'number' &&
      !inWindow(m, clockMinutes(inv.when.time.from)!, clockMinutes(inv.when.time.to)!)
    )
      return false;
  }
  const ev = new Evaluator(input, data);
  if (li.when && ev.truth(li.when.ast) === false) return false;
  return li.asserts.some((a) => ev.truth(a.expr.ast) !== true);
}
