/**
 * Reads TLC's `-tool` output: messages framed by `@!@!@STARTMSG code:severity @!@!@` and
 * `@!@!@ENDMSG code @!@!@`. Turns them into a result with the state counts and, on a
 * violation, the property and the trace.
 */

export interface TraceState {
  /** 1-based position in the behaviour. */
  index: number;
  /** The action that led here (`Initial predicate` for the first state). */
  action: string;
  vars: Record<string, string>;
}

export interface SpecViolation {
  /** The property TLC names, or `deadlock`. */
  property: string;
  kind: 'invariant' | 'action property' | 'temporal property' | 'deadlock' | 'assertion' | 'error';
  message: string;
  trace: TraceState[];
}

export interface ParsedOutput {
  states: number | null;
  distinct: number | null;
  depth: number | null;
  violation?: SpecViolation;
  errors: string[];
}

interface Message {
  code: number;
  severity: number;
  body: string;
}

export function messages(output: string): Message[] {
  const out: Message[] = [];
  const re = /@!@!@STARTMSG (\d+):(\d+) @!@!@\n([\s\S]*?)@!@!@ENDMSG \1 @!@!@/g;
  for (const m of output.matchAll(re))
    out.push({ code: Number(m[1]), severity: Number(m[2]), body: m[3]!.trimEnd() });
  return out;
}

/** A state as TLC prints it: `/\ var = value` lines, values possibly spanning lines. */
export function parseState(body: string): TraceState | undefined {
  const [head, ...rest] = body.split('\n');
  const m = /^(\d+): <(.*?)>/.exec(head ?? '');
  if (!m) return undefined;
  const action = m[2]!.replace(/ line \d+, col \d+ to line \d+, col \d+ of module \w+$/, '');
  const vars: Record<string, string> = {};
  let current: string | undefined;
  for (const line of rest) {
    const v = /^(?:\/\\ )?(\w+) = (.*)$/.exec(line);
    if (v && (line.startsWith('/\\ ') || rest.length === 1 || Object.keys(vars).length === 0)) {
      current = v[1]!;
      vars[current] = v[2]!;
    } else if (current && line.trim() !== '') {
      vars[current] += ` ${line.trim()}`;
    }
  }
  return { index: Number(m[1]), action, vars };
}

const VIOLATIONS: Record<number, SpecViolation['kind']> = {
  2110: 'invariant',
  2112: 'action property',
  2116: 'temporal property',
  2114: 'deadlock',
  2132: 'assertion',
};

export function parseOutput(output: string): ParsedOutput {
  const msgs = messages(output);
  const result: ParsedOutput = { states: null, distinct: null, depth: null, errors: [] };
  const trace: TraceState[] = [];
  for (const m of msgs) {
    if (m.code === 2199) {
      const s = /([\d,]+) states generated, ([\d,]+) distinct states found/.exec(m.body);
      if (s) {
        result.states = Number(s[1]!.replace(/,/g, ''));
        result.distinct = Number(s[2]!.replace(/,/g, ''));
      }
    } else if (m.code === 2194) {
      const d = /depth of the complete state graph search is (\d+)/.exec(m.body);
      if (d) result.depth = Number(d[1]);
    } else if (m.code === 2217) {
      const st = parseState(m.body);
      if (st) trace.push(st);
    } else if (VIOLATIONS[m.code]) {
      const kind = VIOLATIONS[m.code]!;
      const named =
        /(?:Invariant|Action property|Temporal property|property) (\S+) is violated/.exec(m.body);
      result.violation = {
        property: named?.[1] ?? (kind === 'deadlock' ? 'deadlock' : kind),
        kind,
        message: m.body.split('\n')[0]!,
        trace,
      };
    } else if (m.severity === 1 && m.code !== 2121) {
      result.errors.push(m.body);
    }
  }
  return result;
}

/** The trace, one state after another, with the variables each step changed marked `*`. */
export function formatTrace(trace: readonly TraceState[]): string {
  const lines: string[] = [];
  let prev: Record<string, string> | undefined;
  for (const st of trace) {
    lines.push(`  ${st.index}. ${st.action}`);
    for (const [k, v] of Object.entries(st.vars)) {
      const changed = prev !== undefined && prev[k] !== v;
      lines.push(`     ${changed ? '*' : ' '} ${k} = ${v}`);
    }
    prev = st.vars;
  }
  return lines.join('\n');
}
