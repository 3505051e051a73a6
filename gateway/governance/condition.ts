/**
 * Breaker conditions: the invariants' expression language (same grammar and parser) over
 * a target's windowed metrics, e.g. `executions >= 3 and error_rate > 0.05`.
 */
import type { Expr } from '../invariants/ast.ts';
import { ExpressionSyntaxError, parseExpression } from '../invariants/grammar.ts';
import { ValidationError } from '../schema/errors.ts';
import { METRIC_NAMES, type WindowMetrics } from './window.ts';

const KNOWN = new Set<string>(METRIC_NAMES);

function check(e: Expr, field: string): void {
  const bad = (message: string): never => {
    throw new ValidationError(`${field}: ${message}`, [{ field, message }]);
  };
  switch (e.t) {
    case 'path':
      if (e.segs.length !== 1 || !KNOWN.has(e.segs[0]!))
        bad(`unknown metric ${e.segs.join('.')}; known: ${METRIC_NAMES.join(', ')}`);
      return;
    case 'num':
    case 'bool':
      return;
    case 'neg':
    case 'not':
      return check(e.e, field);
    case 'bin':
      if (e.op === 'in' || e.op === 'not in') bad('`in` has no use over metrics');
      check(e.l, field);
      return check(e.r, field);
    case 'call':
      if (!['abs', 'min', 'max'].includes(e.fn))
        bad(`unknown function ${e.fn}; conditions may use abs, min, max`);
      return e.args.forEach((a) => check(a, field));
    default:
      return bad(`${e.t} values have no use in a condition`);
  }
}

/** Parses and validates; a problem is a 4xx naming the field. */
export function parseCondition(text: string, field = 'condition'): Expr {
  let ast: Expr;
  try {
    ast = parseExpression(text);
  } catch (err) {
    const at = err instanceof ExpressionSyntaxError ? ` at column ${err.offset + 1}` : '';
    throw new ValidationError(
      `${field}: ${err instanceof Error ? err.message : String(err)}${at}`,
      [{ field, message: `not a condition${at}` }],
    );
  }
  check(ast, field);
  return ast;
}

function num(e: Expr, m: WindowMetrics): number {
  switch (e.t) {
    case 'num':
      return e.v;
    case 'path':
      return Number(m[e.segs[0] as keyof WindowMetrics] ?? 0);
    case 'neg':
      return -num(e.e, m);
    case 'call': {
      const xs = e.args.map((a) => num(a, m));
      return e.fn === 'abs' ? Math.abs(xs[0]!) : e.fn === 'min' ? Math.min(...xs) : Math.max(...xs);
    }
    case 'bin': {
      const l = num(e.l, m);
      const r = num(e.r, m);
      switch (e.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return r === 0 ? 0 : l / r;
        default:
          return holds(e, m) ? 1 : 0;
      }
    }
    default:
      return holds(e, m) ? 1 : 0;
  }
}

export function holds(e: Expr, m: WindowMetrics): boolean {
  switch (e.t) {
    case 'bool':
      return e.v;
    case 'not':
      return !holds(e.e, m);
    case 'bin':
      switch (e.op) {
        case 'and':
          return holds(e.l, m) && holds(e.r, m);
        case 'or':
          return holds(e.l, m) || holds(e.r, m);
        case '<':
          return num(e.l, m) < num(e.r, m);
        case '<=':
          return num(e.l, m) <= num(e.r, m);
        case '>':
          return num(e.l, m) > num(e.r, m);
        case '>=':
          return num(e.l, m) >= num(e.r, m);
        case '==':
          return num(e.l, m) === num(e.r, m);
        case '!=':
          return num(e.l, m) !== num(e.r, m);
        default:
          return num(e, m) !== 0;
      }
    default:
      return num(e, m) !== 0;
  }
}
