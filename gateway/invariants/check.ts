/**
 * Type-checks invariant expressions against the catalog: every path names something the
 * decision input carries for the kinds in scope, operators get operands of the right type,
 * functions get the arguments they need (literal where the compiler needs a constant).
 */
import type { PolicyData } from '../schema/policy-data.ts';
import type { Expr } from './ast.ts';
import type { InvariantErrors, LoadedInvariant, SourcedExpr } from './load.ts';

export type Ty = 'number' | 'string' | 'bool' | 'list' | 'null' | 'any';

export const ROOTS = [
  'action',
  'params',
  'state',
  'next',
  'last',
  'level',
  'now',
  'actor',
  'batch',
  'clock',
] as const;

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

export function clockMinutes(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Glob matching as Rego's glob.match with no delimiters does it: `*` is any run of characters. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

interface Env {
  file: string;
  kinds: string[];
  data: PolicyData;
  errors: InvariantErrors;
}

const paramTy = (t: string): Ty =>
  t === 'number' || t === 'integer'
    ? 'number'
    : t === 'boolean'
      ? 'bool'
      : t === 'string_list'
        ? 'list'
        : 'string';

function paramType(env: Env, name: string): { ty: Ty } | { error: string } {
  const types = new Set<Ty>();
  const lacking: string[] = [];
  for (const kind of env.kinds) {
    const spec = env.data.catalog[kind]?.params[name];
    if (spec) types.add(paramTy(spec.type));
    else lacking.push(kind);
  }
  if (lacking.length === env.kinds.length)
    return {
      error: `unknown path params.${name}: no kind in scope (${env.kinds.join(', ')}) has a param "${name}"`,
    };
  if (lacking.length > 0)
    return {
      error: `params.${name} is not a param of ${lacking.join(', ')}; narrow the scope to kinds that have it`,
    };
  return { ty: types.size === 1 ? [...types][0]! : 'any' };
}

function stateType(env: Env, field: string, root: string): { ty: Ty } | { error: string } {
  const packs = new Set(env.kinds.map((k) => k.split('.')[0]!));
  let ty: Ty | undefined;
  for (const pack of packs) {
    const fields = env.data.state_fields[pack];
    const t = fields?.[field];
    if (!t)
      return {
        error: `unknown path ${root}.${field}: the ${pack} state has ${fields ? Object.keys(fields).join(', ') : 'no declared fields (state_fields.' + pack + ')'}`,
      };
    ty = ty === undefined || ty === t ? t : 'any';
  }
  return { ty: ty ?? 'any' };
}

function pathType(env: Env, segs: string[]): { ty: Ty } | { error: string } {
  const [root, a, b, ...rest] = segs;
  const path = segs.join('.');
  const leaf = (ok: boolean, ty: Ty, hint: string): { ty: Ty } | { error: string } =>
    ok ? { ty } : { error: `unknown path ${path}; ${hint}` };
  switch (root) {
    case 'action':
      if (a === 'params' && b !== undefined && rest.length === 0) return paramType(env, b);
      return leaf(
        (a === 'kind' || a === 'target') && b === undefined,
        'string',
        'action has kind, target and params.<name>',
      );
    case 'params':
      return a !== undefined && b === undefined
        ? paramType(env, a)
        : { error: `unknown path ${path}; use params.<name>` };
    case 'state':
    case 'next':
      return a !== undefined && b === undefined
        ? stateType(env, a, root)
        : { error: `unknown path ${path}; use ${root}.<field>` };
    case 'last':
      if (b !== undefined || a === undefined)
        return { error: `unknown path ${path}; use last.at, last.value or last.<param>` };
      if (a === 'at' || a === 'value') return { ty: 'number' };
      return paramType(env, a);
    case 'level':
    case 'now':
      return leaf(a === undefined, root === 'level' ? 'string' : 'number', `${root} has no fields`);
    case 'actor':
      return leaf(
        (a === 'id' || a === 'roles') && b === undefined,
        a === 'roles' ? 'list' : 'string',
        'actor has id and roles',
      );
    case 'batch':
      return leaf(a === 'size' && b === undefined, 'number', 'batch has size');
    case 'clock':
      return leaf(
        (a === 'minute' || a === 'weekday' || a === 'time') && b === undefined,
        a === 'time' ? 'string' : 'number',
        'clock has minute (of the day), weekday (0 = Sunday) and time ("HH:MM", for messages)',
      );
    default:
      return { error: `unknown path ${path}; paths start with ${ROOTS.join(', ')}` };
  }
}

const compatible = (a: Ty, b: Ty): boolean =>
  a === b || a === 'any' || b === 'any' || a === 'null' || b === 'null';

/** The checks typeOf's cases share: report at a node, require a type, require a string literal. */
interface Checker {
  env: Env;
  src: SourcedExpr;
  fail(node: Expr, message: string): Ty;
  want(node: Expr, ty: Ty, what: string): void;
  literal(node: Expr | undefined, what: string): string | undefined;
  typeOf(node: Expr): Ty;
}

function checker(env: Env, src: SourcedExpr): Checker {
  const k: Checker = {
    env,
    src,
    fail(node, message) {
      env.errors.add(env.file, src.at(node.start), message);
      return 'any';
    },
    want(node, ty, what) {
      const got = k.typeOf(node);
      if (!compatible(got, ty) || got === 'null')
        k.fail(node, `type error: ${what} must be ${ty}, not ${got}`);
    },
    literal(node, what) {
      if (node?.t === 'str') return node.v;
      if (node) k.fail(node, `${what} must be a string literal`);
      return undefined;
    },
    typeOf: (node) => typeOf(node, env, src),
  };
  return k;
}

function typeOf(e: Expr, env: Env, src: SourcedExpr): Ty {
  const k = checker(env, src);
  switch (e.t) {
    case 'num':
      return 'number';
    case 'str':
      return 'string';
    case 'bool':
      return 'bool';
    case 'null':
      return 'null';
    case 'list':
      for (const item of e.items) typeOf(item, env, src);
      return 'list';
    case 'path': {
      const r = pathType(env, e.segs);
      return 'error' in r ? k.fail(e, r.error) : r.ty;
    }
    case 'neg':
      k.want(e.e, 'number', 'the operand of unary -');
      return 'number';
    case 'not':
      k.want(e.e, 'bool', 'the operand of not');
      return 'bool';
    case 'bin':
      return binaryType(e, k);
    case 'call':
      return callType(e, k);
  }
}

/** Arithmetic wants numbers; comparisons want comparable sides; `in` wants a list; logic wants bools. */
function binaryType(e: Extract<Expr, { t: 'bin' }>, k: Checker): Ty {
  const { fail, want } = k;
  const typeOf = (node: Expr): Ty => k.typeOf(node);
  switch (e.op) {
    case '+':
    case '-':
    case '*':
    case '/':
      want(e.l, 'number', `the left side of ${e.op}`);
      want(e.r, 'number', `the right side of ${e.op}`);
      return 'number';
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const l = typeOf(e.l);
      const r = typeOf(e.r);
      if (!(
        (l === 'number' || l === 'string' || l === 'any') &&
        compatible(l, r) &&
        r !== 'null' &&
        r !== 'bool' &&
        r !== 'list'
      ))
        fail(e, `type error: cannot compare ${l} ${e.op} ${r}`);
      return 'bool';
    }
    case '==':
    case '!=': {
      const l = typeOf(e.l);
      const r = typeOf(e.r);
      if (!compatible(l, r)) fail(e, `type error: ${l} ${e.op} ${r} is never true`);
      return 'bool';
    }
    case 'in':
    case 'not in':
      typeOf(e.l);
      want(e.r, 'list', `the right side of ${e.op}`);
      return 'bool';
    case 'and':
    case 'or':
      want(e.l, 'bool', `the left side of ${e.op}`);
      want(e.r, 'bool', `the right side of ${e.op}`);
      return 'bool';
  }
  return 'any';
}

/** Each function's arity and argument types; literals where the compiler needs them. */
function callType(e: Extract<Expr, { t: 'call' }>, k: Checker): Ty {
  const { env, src, fail, want, literal } = k;
  const typeOf = (node: Expr): Ty => k.typeOf(node);
  const args = e.args;
  const arity = (n: number, max = n): boolean => {
    if (args.length < n || args.length > max) {
      fail(
        e,
        `${e.fn} takes ${n === max ? n : `${n} to ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}`,
      );
      return false;
    }
    return true;
  };
  switch (e.fn) {
    case 'abs':
      if (arity(1)) want(args[0]!, 'number', 'the argument of abs');
      return 'number';
    case 'min':
    case 'max':
      if (arity(2, 16)) for (const a of args) want(a, 'number', `an argument of ${e.fn}`);
      return 'number';
    case 'len':
      if (arity(1)) typeOf(args[0]!);
      return 'number';
    case 'count':
    case 'history.count': {
      if (arity(2)) {
        literal(args[0], 'the kind pattern');
        const w = literal(args[1], 'the window');
        if (w !== undefined && durationMs(w) === undefined)
          fail(args[1]!, `"${w}" is not a window like 10s, 5m, 1h`);
      }
      return 'number';
    }
    case 'ramp': {
      if (arity(1)) {
        const p = literal(args[0], 'the param name');
        if (p !== undefined) {
          const r = paramType(env, p);
          if ('error' in r) fail(args[0]!, r.error);
          else if (r.ty !== 'number') fail(args[0]!, `ramp needs a numeric param; ${p} is ${r.ty}`);
        }
      }
      return 'number';
    }
    case 'within':
      if (arity(2)) {
        for (const a of args) {
          const c = literal(a, 'a time of day');
          if (c !== undefined && clockMinutes(c) === undefined)
            fail(a, `"${c}" is not a time of day HH:MM`);
        }
      }
      return 'bool';
    case 'never':
      if (arity(2)) for (const a of args) want(a, 'bool', 'an argument of never');
      return 'bool';
    case 'at_most':
      if (arity(3)) {
        if (args[0]!.t !== 'num') fail(args[0]!, 'at_most needs a number literal first');
        literal(args[1], 'the kind pattern');
        const w = literal(args[2], 'the window');
        if (w !== undefined && durationMs(w) === undefined)
          fail(args[2]!, `"${w}" is not a window like 10s, 5m, 1h`);
      }
      return 'bool';
    case 'matches': {
      if (arity(2)) {
        want(args[0]!, 'string', 'the subject of matches');
        const re = literal(args[1], 'the pattern');
        // Checked by OPA's own RE2 once every invariant is read (compile.ts, re2.ts).
        if (re !== undefined) env.errors.pattern(re, env.file, src.at(args[1]!.start));
      }
      return 'bool';
    }
    case 'startswith':
    case 'endswith':
    case 'contains':
      if (arity(2)) {
        want(args[0]!, 'string', `the first argument of ${e.fn}`);
        want(args[1]!, 'string', `the second argument of ${e.fn}`);
      }
      return 'bool';
    case 'runs':
      // runs(["curl", "wget"]): the shell command runs one of these programs, by base name,
      // anywhere in it: after wrappers, inside `sh -c` scripts, through `find -exec`.
      if (arity(1)) {
        const list = args[0]!;
        if (list.t !== 'list' || list.items.length === 0 || list.items.some((i) => i.t !== 'str'))
          fail(list, 'runs takes a non-empty list of program names as string literals');
        const lacking = env.kinds.filter(
          (k) => env.data.catalog[k]?.params.argv?.type !== 'string_list',
        );
        if (lacking.length > 0)
          fail(
            e,
            `runs applies to kinds with an argv (shell.exec); ${lacking.join(', ')} has none: narrow the scope`,
          );
      }
      return 'bool';
    case 'exists':
      if (arity(1) && args[0]!.t !== 'path') fail(args[0]!, 'exists takes a path');
      else if (args[0]?.t === 'path') typeOf(args[0]);
      return 'bool';
    default:
      return fail(
        e,
        `unknown function ${e.fn}; known: abs, min, max, len, count, history.count, ramp, within, never, at_most, matches, startswith, endswith, contains, runs, exists`,
      );
  }
}

/** The catalog kinds an invariant covers (scope, narrowed by when.kinds). */
export function kindsInScope(inv: LoadedInvariant['inv'], data: PolicyData): string[] {
  return Object.keys(data.catalog).filter(
    (k) =>
      inv.scope.kinds.some((p) => globMatch(p, k)) &&
      (!inv.when?.kinds || inv.when.kinds.some((p) => globMatch(p, k))),
  );
}

/**
 * Globs (scope kinds and targets) use `*` and `?` only. Rego's glob.match also reads `[…]`,
 * `{a,b}`, `**` and `\` escapes; the reference evaluator does not, so those are refused to keep
 * one meaning in both.
 */
const GLOB_SYNTAX = /[[\]{}\\]|\*\*/;

export function checkInvariants(
  loaded: readonly LoadedInvariant[],
  data: PolicyData,
  errors: InvariantErrors,
): void {
  for (const li of loaded) {
    for (const p of [
      ...li.inv.scope.kinds,
      ...(li.inv.scope.targets ?? []),
      ...(li.inv.when?.kinds ?? []),
    ]) {
      if (GLOB_SYNTAX.test(p))
        errors.add(
          li.file,
          { line: li.line, column: 1 },
          `${li.inv.id}: glob ${JSON.stringify(p)} uses syntax other than * and ?; only those two mean the same in every evaluator`,
        );
    }
    const kinds = kindsInScope(li.inv, data);
    if (kinds.length === 0) {
      errors.add(
        li.file,
        { line: li.line, column: 1 },
        `${li.inv.id}: its scope matches no kind in the catalog (${li.inv.scope.kinds.join(', ')})`,
      );
      continue;
    }
    for (const lvl of li.inv.when?.levels ?? []) {
      if (!data.autonomy.order.includes(lvl) && !(lvl in data.autonomy.aliases))
        errors.add(li.file, { line: li.line, column: 1 }, `${li.inv.id}: unknown level ${lvl}`);
    }
    const env: Env = { file: li.file, kinds, data, errors };
    const top = (src: SourcedExpr, what: string): void => {
      const ty = typeOf(src.ast, env, src);
      if (ty !== 'bool' && ty !== 'any')
        errors.add(
          li.file,
          src.at(src.ast.start),
          `type error: ${what} must be a condition (bool), not ${ty}`,
        );
    };
    if (li.when) top(li.when, 'when.expr');
    for (const a of li.asserts) {
      top(a.expr, 'assert.expr');
      for (const part of a.message) {
        if ('path' in part) {
          const r = pathType(env, part.path.segs);
          if ('error' in r) errors.add(li.file, a.messageAt(0), `in message: ${r.error}`);
        }
      }
    }
  }
}
