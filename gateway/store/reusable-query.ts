/**
 * Hot-path queries built and compiled once per dialect and shape, then run with each call's
 * values.
 *
 * Building a Kysely query and compiling it to SQL cost about a seventh of a decision's CPU
 * time: a proposal sends some twenty queries, each rebuilt from scratch although only its
 * values change. Here a query is built once with stand-ins for its arguments, compiled, and
 * kept; a call puts its own values where the stand-ins landed among the parameters. The SQL
 * text is byte-for-byte what the builder gives for the same arguments (tested).
 *
 * The shape of a call is what its builder may branch on: which values are undefined, how long
 * each array is and which keys each plain object has, in order (an insert's columns). A
 * builder must use everything else only as a value, and must not test one for truthiness (a
 * stand-in is always truthy: branch on `=== undefined` instead). One that turns a value into
 * text, or drops one, is refused at its first compile.
 */
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Conn } from './conn.ts';
import { InterlockError } from '../schema/errors.ts';

/** Shapes kept per query and dialect. */
export const MAX_SHAPES = 64;

/**
 * Where one value goes: its path into the call's arguments (indices and property names). A
 * builder that turns one into text or a number (a template string, a concatenation, a
 * comparison) is refused at once: the SQL it would keep holds the stand-in, not the value.
 */
class Slot {
  constructor(readonly path: readonly (string | number)[]) {}
  [Symbol.toPrimitive](): never {
    throw new InterlockError(
      'internal',
      `reusable query: the value at ${JSON.stringify(this.path)} was used as text or a number; builders pass values on as they are`,
    );
  }
}

interface Template {
  sql: string;
  parameters: readonly unknown[];
  query: CompiledQuery['query'];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** What a builder may branch on: undefined or not, array lengths, object keys in order. */
function shapeOf(v: unknown): string {
  if (v === undefined) return 'u';
  if (Array.isArray(v)) {
    let shape = '[';
    for (const e of v) shape += `${shapeOf(e)},`;
    return `${shape}]`;
  }
  if (isPlainObject(v)) {
    // Each key behind its length, so no key can run into the next.
    let shape = '{';
    for (const k in v) shape += `${k.length}:${k}=${shapeOf(v[k])},`;
    return `${shape}}`;
  }
  return 's';
}

/** The arguments with a Slot in place of every value, and the paths of those slots. */
function standIn(v: unknown, path: (string | number)[], slots: string[]): unknown {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((e, i) => standIn(e, [...path, i], slots));
  if (isPlainObject(v))
    return Object.fromEntries(
      Object.entries(v).map(([k, e]) => [k, standIn(e, [...path, k], slots)]),
    );
  slots.push(JSON.stringify(path));
  return new Slot(path);
}

function valueAt(args: readonly unknown[], path: readonly (string | number)[]): unknown {
  let v: unknown = args;
  for (const step of path) v = (v as Record<string | number, unknown>)[step];
  return v;
}

function compileTemplate(
  name: string,
  compilable: Compilable<unknown>,
  slots: readonly string[],
): Template {
  const compiled = compilable.compile();
  const used = new Set<string>();
  for (const p of compiled.parameters) if (p instanceof Slot) used.add(JSON.stringify(p.path));
  for (const slot of slots)
    if (!used.has(slot))
      throw new InterlockError(
        'internal',
        `reusable query ${name}: the value at ${slot} is not a parameter of the compiled SQL`,
      );
  return { sql: compiled.sql, parameters: compiled.parameters, query: compiled.query };
}

/**
 * reusableQuery(name, build) runs `build(db, ...args)`'s query, compiled once per dialect and
 * shape. The compiled form depends on the dialect only (its adapter), not on the connection
 * or transaction it runs on.
 */
export function reusableQuery<Args extends readonly unknown[], Row>(
  name: string,
  build: (db: Conn, ...args: Args) => Compilable<Row>,
): (db: Conn, ...args: Args) => Promise<QueryResult<Row>> {
  const byAdapter = new WeakMap<object, Map<string, Template>>();
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let templates = byAdapter.get(adapter);
    if (!templates) byAdapter.set(adapter, (templates = new Map()));
    const shape = shapeOf(args);
    let template = templates.get(shape);
    if (!template) {
      // Past the cap, a shape is built as usual: the cache stays bounded whatever the callers.
      if (templates.size >= MAX_SHAPES) return db.executeQuery(build(db, ...args));
      const slots: string[] = [];
      // The builder sees stand-ins where values go; `as Args`: they take the values' places.
      const standIns = standIn(args, [], slots) as unknown as Args;
      template = compileTemplate(name, build(db, ...standIns) as Compilable<unknown>, slots);
      templates.set(shape, template);
    }
    const parameters = template.parameters.map((p) =>
      p instanceof Slot ? valueAt(args, p.path) : p,
    );
    const compiled: CompiledQuery<Row> = {
      sql: template.sql,
      parameters,
      query: template.query,
      queryId: createQueryId(),
    };
    return db.executeQuery(compiled);
  };
}
