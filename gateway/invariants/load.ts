/**
 * Reads `invariants/**\/*.yaml`: YAML with node positions, the zod schema, and every
 * expression parsed. Every problem is reported as file:line:col; nothing half-loaded escapes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isScalar, LineCounter, parseDocument, Scalar } from 'yaml';
import { PolicyCompileError, type SourceLocation } from '../schema/errors.ts';
import type { Expr } from './ast.ts';
import { InvariantFileSchema, type Invariant } from './dsl.ts';
import { ExpressionSyntaxError, parseExpression } from './grammar.ts';

/** An expression with the means to point at any offset of it in its file. */
export interface SourcedExpr {
  text: string;
  ast: Expr;
  at(offset: number): { line: number; column: number };
}

export type MessagePart = { lit: string } | { path: Expr & { t: 'path' }; text: string };

export interface LoadedInvariant {
  inv: Invariant;
  file: string;
  line: number;
  when?: SourcedExpr;
  asserts: {
    expr: SourcedExpr;
    message: MessagePart[];
    messageAt: (offset: number) => { line: number; column: number };
  }[];
}

export interface InvariantSource {
  /** Relative to the invariants folder, with forward slashes. */
  path: string;
  content: string;
}

export async function readInvariantSources(dir: string): Promise<InvariantSource[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: InvariantSource[] = [];
  for (const e of entries) {
    if (!e.isFile() || !/\.ya?ml$/.test(e.name)) continue;
    const abs = path.join(e.parentPath, e.name);
    out.push({
      path: path.relative(dir, abs).split(path.sep).join('/'),
      content: await readFile(abs, 'utf8'),
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export class InvariantErrors {
  readonly list: SourceLocation[] = [];
  /** Regex patterns met while checking, for the RE2 check that follows. */
  readonly patterns: { pattern: string; file: string; line: number; column: number }[] = [];
  pattern(pattern: string, file: string, pos: { line: number; column: number }): void {
    this.patterns.push({ pattern, file, line: pos.line, column: pos.column });
  }
  add(file: string, pos: { line: number; column: number }, message: string): void {
    this.list.push({ file, line: pos.line, column: pos.column, message });
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const lines = this.list
      .slice(0, 20)
      .map((l) => `${l.file}:${l.line}:${l.column ?? 1}: ${l.message}`);
    throw new PolicyCompileError(`invariants do not compile:\n${lines.join('\n')}`, this.list);
  }
}

/** Where, in the file, offset `o` of a scalar's value lies. */
function scalarLocator(
  text: string,
  node: Scalar | undefined,
  counter: LineCounter,
  value: string,
): (o: number) => { line: number; column: number } {
  const range = node?.range;
  let base = range ? range[0] : 0;
  if (node && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)) base += 1;
  else if (node && node.type !== Scalar.PLAIN) {
    // Block scalars: the value starts on a later line; find its first characters.
    const found = text.indexOf(value.slice(0, Math.min(20, value.length)), base);
    if (found >= 0) base = found;
  }
  return (o) => {
    const p = counter.linePos(Math.min(text.length, base + o));
    return { line: p.line, column: p.col };
  };
}

function nodeAt(doc: ReturnType<typeof parseDocument>, keys: readonly PropertyKey[]): unknown {
  return doc.getIn(keys as (string | number)[], true);
}

function positionOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  keys: readonly PropertyKey[],
): { line: number; column: number } {
  // The deepest node that exists on the path.
  for (let n = keys.length; n >= 0; n--) {
    const node = nodeAt(doc, keys.slice(0, n)) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const p = counter.linePos(node.range[0]);
      return { line: p.line, column: p.col };
    }
  }
  return { line: 1, column: 1 };
}

const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g;

function parseMessage(
  message: string,
  at: (o: number) => { line: number; column: number },
  file: string,
  errors: InvariantErrors,
): MessagePart[] {
  const parts: MessagePart[] = [];
  let last = 0;
  for (const m of message.matchAll(TEMPLATE)) {
    if (m.index > last) parts.push({ lit: message.slice(last, m.index) });
    const inner = m[1] ?? '';
    const innerAt = m.index + m[0].indexOf(inner);
    try {
      const ast = parseExpression(inner);
      if (ast.t !== 'path')
        errors.add(
          file,
          at(innerAt),
          `message templates hold a path like {{params.value}}, not "${inner}"`,
        );
      else parts.push({ path: ast, text: inner });
    } catch (err) {
      errors.add(
        file,
        at(innerAt + (err instanceof ExpressionSyntaxError ? err.offset : 0)),
        `in message template: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    last = m.index + m[0].length;
  }
  if (last < message.length) parts.push({ lit: message.slice(last) });
  return parts;
}

/**
 * Parses every file; returns the invariants, or throws one PolicyCompileError listing every
 * problem.
 */
export function loadInvariants(
  sources: readonly InvariantSource[],
  displayDir = 'invariants',
): LoadedInvariant[] {
  const errors = new InvariantErrors();
  const loaded: LoadedInvariant[] = [];
  const seen = new Map<string, string>();
  for (const src of sources) {
    const file = `${displayDir}/${src.path}`;
    const counter = new LineCounter();
    const doc = parseDocument(src.content, {
      lineCounter: counter,
      prettyErrors: false,
      uniqueKeys: true,
    });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const p = counter.linePos(e.pos[0]);
        errors.add(
          file,
          { line: p.line, column: p.col },
          `not valid YAML: ${e.message.split('\n')[0]}`,
        );
      }
      continue;
    }
    const parsed = InvariantFileSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.add(
          file,
          positionOf(doc, counter, issue.path),
          `${issue.path.join('.') || '(file)'}: ${issue.message}`,
        );
      continue;
    }
    parsed.data.invariants.forEach((inv, i) => {
      const base = ['invariants', i];
      const line = positionOf(doc, counter, base).line;
      const previous = seen.get(inv.id);
      if (previous)
        errors.add(
          file,
          positionOf(doc, counter, [...base, 'id']),
          `invariant ${inv.id} is defined twice (also in ${previous})`,
        );
      seen.set(inv.id, `${file}:${line}`);
      const sourced = (keys: (string | number)[], text: string): SourcedExpr | undefined => {
        const node = nodeAt(doc, keys);
        const at = scalarLocator(src.content, isScalar(node) ? node : undefined, counter, text);
        try {
          return { text, ast: parseExpression(text), at };
        } catch (err) {
          errors.add(
            file,
            at(err instanceof ExpressionSyntaxError ? err.offset : 0),
            `${keys.slice(2).join('.')}: ${err instanceof Error ? err.message : String(err)}`,
          );
          return undefined;
        }
      };
      const when =
        inv.when?.expr !== undefined
          ? sourced([...base, 'when', 'expr'], inv.when.expr)
          : undefined;
      const asserts: LoadedInvariant['asserts'] = [];
      inv.assert.forEach((a, k) => {
        const expr = sourced([...base, 'assert', k, 'expr'], a.expr);
        const msgNode = nodeAt(doc, [...base, 'assert', k, 'message']);
        const messageAt = scalarLocator(
          src.content,
          isScalar(msgNode) ? msgNode : undefined,
          counter,
          a.message,
        );
        const message = parseMessage(a.message, messageAt, file, errors);
        if (expr) asserts.push({ expr, message, messageAt });
      });
      loaded.push({ inv, file, line, ...(when ? { when } : {}), asserts });
    });
  }
  errors.throwIfAny();
  return loaded;
}
