/**
 * The one YAML reader (the `yaml` package, YAML 1.2 core schema): configuration, policy data,
 * the readiness checklist and invariants all parse through it, so every syntax error names
 * its file, line and column the same way.
 */
import { LineCounter, parseDocument } from 'yaml';

export class YamlError extends Error {
  readonly code = 'yaml_invalid';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'YamlError';
  }
}

/** Parses one YAML document; a syntax error throws YamlError at its position. Empty is null. */
export function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const at = lineCounter.linePos(first.pos[0]);
    throw new YamlError(file, at.line, at.col, first.message.split('\n')[0] ?? first.message);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}
