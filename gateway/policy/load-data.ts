/** Merges the policy tree's YAML files into the one `data` document Rego reads. */
import { parseYaml, YamlError } from '../schema/yaml.ts';
import { PolicyCompileError, type SourceLocation } from '../schema/errors.ts';
import { PolicyDataSchema, type PolicyData } from '../schema/policy-data.ts';
import type { PolicySource } from './sources.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * mergePolicyData parses, merges and validates the data sources; conflicts name both files.
 *
 * A file is merged at the path of its folder, as `opa test`, `opa eval -d` and the editors' OPA
 * integrations load it: `autonomy.yaml` at the tree's root is `data.autonomy` when it holds an
 * `autonomy:` key, and `shell/syntax.yaml` holding `wrappers:` is `data.shell.wrappers`.
 */
export function mergePolicyData(sources: readonly PolicySource[]): PolicyData {
  const merged: Json = {};
  const owner = new Map<string, string>();
  const errors: SourceLocation[] = [];

  for (const src of sources) {
    if (src.kind !== 'data') continue;
    let doc: unknown;
    try {
      doc = parseYaml(src.content, src.path);
    } catch (err) {
      if (!(err instanceof YamlError)) throw err;
      errors.push({ file: src.path, line: err.line, column: err.column, message: err.reason });
      continue;
    }
    if (doc === undefined || doc === null) continue;
    if (!isObject(doc)) {
      errors.push({
        file: src.path,
        line: 1,
        message: 'policy data must be a mapping at the top level',
      });
      continue;
    }
    const folder = src.path.split('/').slice(0, -1);
    mergeInto(merged, nestUnder(folder, doc), [], src.path, owner, errors);
  }
  if (errors.length > 0)
    throw new PolicyCompileError(formatLocations('policy data does not load', errors), errors);

  const parsed = PolicyDataSchema.safeParse(merged);
  if (!parsed.success) {
    const locs = parsed.error.issues.map((i) => {
      const key = i.path.join('.');
      return {
        file: ownerOf(owner, i.path) ?? '(policy data)',
        line: 0,
        message: `${key}: ${i.message}`,
      };
    });
    throw new PolicyCompileError(formatLocations('policy data is invalid', locs), locs);
  }
  return parsed.data;
}

/** nestUnder wraps doc in one object per folder name, outermost first. */
function nestUnder(folder: readonly string[], doc: Json): Json {
  return folder.reduceRight<Json>((inner, name) => ({ [name]: inner }), doc);
}

/** The file that defined the key's first two levels, or else its top level. */
function ownerOf(owner: Map<string, string>, p: readonly PropertyKey[]): string | undefined {
  return owner.get(p.slice(0, 2).map(String).join('.')) ?? owner.get(String(p[0]));
}

function mergeInto(
  target: Json,
  doc: Json,
  at: string[],
  file: string,
  owner: Map<string, string>,
  errors: SourceLocation[],
): void {
  for (const [k, v] of Object.entries(doc)) {
    const keyPath = [...at, k];
    const existing = target[k];
    if (existing === undefined) {
      target[k] = v;
      owner.set(keyPath.slice(0, 2).join('.'), file);
    } else if (isObject(existing) && isObject(v)) {
      mergeInto(existing, v, keyPath, file, owner, errors);
    } else {
      errors.push({
        file,
        line: 0,
        message: `${keyPath.join('.')} is also defined in ${owner.get(keyPath.slice(0, 2).join('.')) ?? 'another file'}`,
      });
    }
  }
}

/** formatLocations renders compiler locations as `file:line: message` lines. */
export function formatLocations(title: string, locs: readonly SourceLocation[]): string {
  return [
    title,
    ...locs.map(
      (l) =>
        `  ${l.file}${l.line ? `:${l.line}` : ''}${l.column ? `:${l.column}` : ''}: ${l.message}`,
    ),
  ].join('\n');
}
