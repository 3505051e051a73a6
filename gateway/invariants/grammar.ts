/**
 * The expression grammar, a PEG compiled once by peggy. Precedence, loosest first:
 * `or`, `and`, `not`, comparison (`< <= > >= == != in`, `not in`), `+ -`, `* /`, unary `-`.
 */
import peggy from 'peggy';
import type { Expr } from './ast.ts';

const GRAMMAR = String.raw`
Start = _ e:Expr _ { return e; }

Expr = Or

Or = head:And tail:(_ @("or" !IdChar { return 'or'; }) _ @And)* { return tail.reduce((l, [op, r]) => ({ t: 'bin', op, l, r, start: l.start, end: r.end }), head); }

And = head:Not tail:(_ @("and" !IdChar { return 'and'; }) _ @Not)* { return tail.reduce((l, [op, r]) => ({ t: 'bin', op, l, r, start: l.start, end: r.end }), head); }

Not
  = "not" !IdChar _ !("in" !IdChar) e:Not { const l = location(); return { t: 'not', e, start: l.start.offset, end: e.end }; }
  / Cmp

Cmp = l:Sum tail:(_ @CmpOp _ @Sum)? { if (!tail) return l; const [op, r] = tail; return { t: 'bin', op, l, r, start: l.start, end: r.end }; }

CmpOp
  = "<=" / ">=" / "==" / "!=" / "<" / ">"
  / "not" !IdChar _ "in" !IdChar { return 'not in'; }
  / "in" !IdChar { return 'in'; }

Sum = head:Prod tail:(_ @("+" / "-") _ @Prod)* { return tail.reduce((l, [op, r]) => ({ t: 'bin', op, l, r, start: l.start, end: r.end }), head); }

Prod = head:Unary tail:(_ @("*" / "/") _ @Unary)* { return tail.reduce((l, [op, r]) => ({ t: 'bin', op, l, r, start: l.start, end: r.end }), head); }

Unary
  = "-" _ e:Unary { const l = location(); return { t: 'neg', e, start: l.start.offset, end: e.end }; }
  / Primary

Primary
  = Number
  / String
  / Literal
  / List
  / CallOrPath
  / "(" _ e:Expr _ ")" { return e; }

Literal
  = "true" !IdChar { const l = location(); return { t: 'bool', v: true, start: l.start.offset, end: l.end.offset }; }
  / "false" !IdChar { const l = location(); return { t: 'bool', v: false, start: l.start.offset, end: l.end.offset }; }
  / "null" !IdChar { const l = location(); return { t: 'null', start: l.start.offset, end: l.end.offset }; }

List = "[" _ items:(head:Expr tail:(_ "," _ @Expr)* { return [head, ...tail]; })? _ "]" { const l = location(); return { t: 'list', items: items ?? [], start: l.start.offset, end: l.end.offset }; }

CallOrPath = head:Name tail:("." @Name)* args:(_ "(" _ @ArgList _ ")")? {
  const l = location();
  const segs = [head, ...tail];
  if (args) return { t: 'call', fn: segs.join('.'), args, start: l.start.offset, end: l.end.offset };
  return { t: 'path', segs, start: l.start.offset, end: l.end.offset };
}

ArgList = items:(head:Expr tail:(_ "," _ @Expr)* { return [head, ...tail]; })? { return items ?? []; }

Name "name" = !(Keyword !IdChar) n:$([A-Za-z_] IdChar*) { return n; }

Keyword = "and" / "or" / "not" / "in" / "true" / "false" / "null"

IdChar = [A-Za-z0-9_]

Number "number" = $([0-9]+ ("." [0-9]+)?) { const l = location(); return { t: 'num', v: Number(text()), start: l.start.offset, end: l.end.offset }; }

String "string"
  = '"' chars:$([^"\\] / "\\" .)* '"' { const l = location(); return { t: 'str', v: JSON.parse('"' + chars + '"'), start: l.start.offset, end: l.end.offset }; }
  / "'" chars:$([^'\\] / "\\" .)* "'" { const l = location(); return { t: 'str', v: JSON.parse('"' + chars.replace(/\\'/g, "'").replace(/"/g, '\\"') + '"'), start: l.start.offset, end: l.end.offset }; }

_ "whitespace" = [ \t\r\n]*
`;

interface PeggyParser {
  parse(text: string): unknown;
}

let parser: PeggyParser | undefined;

/** A syntax error in an expression, at an offset into its text. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function parseExpression(text: string): Expr {
  parser ??= peggy.generate(GRAMMAR) as PeggyParser;
  try {
    return parser.parse(text) as Expr;
  } catch (err) {
    const e = err as { message?: string; location?: { start: { offset: number } } };
    if (e.location)
      throw new ExpressionSyntaxError(e.message ?? 'syntax error', e.location.start.offset);
    throw err;
  }
}
