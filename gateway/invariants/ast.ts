/** The invariant expression language's syntax tree. Offsets are into the expression text. */

export interface Span {
  start: number;
  end: number;
}

export type BinaryOp =
  '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'in' | 'not in' | 'and' | 'or';

export type Expr = Span &
  (
    | { t: 'num'; v: number }
    | { t: 'str'; v: string }
    | { t: 'bool'; v: boolean }
    | { t: 'null' }
    | { t: 'list'; items: Expr[] }
    /** A dotted path: `params.value`, `state.bean_temp`, `last.at`. */
    | { t: 'path'; segs: string[] }
    /** A function call; `history.count(…)` has the name `history.count`. */
    | { t: 'call'; fn: string; args: Expr[] }
    | { t: 'neg'; e: Expr }
    | { t: 'not'; e: Expr }
    | { t: 'bin'; op: BinaryOp; l: Expr; r: Expr }
  );
