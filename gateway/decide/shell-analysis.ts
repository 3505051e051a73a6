/**
 * The gateway's copy of interlock.lib.shell: the same algorithm over argv, step for step, run
 * in JavaScript so the Wasm policy does not pay for it. OPA's Wasm runtime compiles every
 * regular expression afresh on each call (about 10 µs each), and `sh -c` scripts need several.
 *
 * The policy decides on the result exactly as on its own analysis (interlock.lib.command).
 * The copy is used only for bundles whose shell-analysis sources are the ones it mirrors
 * (MIRRORED_SOURCES, checked when a bundle loads), and property tests compare it with the
 * Rego analysis evaluated in Wasm. Function names follow the Rego's, to keep them comparable.
 */
import type { OptionProblem, OptionSpec, ShellAnalysis, ShellSyntax } from '../schema/shell.ts';
import { findHiddenCharacter } from './shell-argv.ts';

/**
 * sha256 of every non-test Rego source that can define rules in interlock.lib.shell or
 * interlock.lib.command, by path. Edit those files and this copy is switched off for the
 * bundle (the Rego analysis runs, slower) until the copy is brought level and re-pinned.
 */
export const MIRRORED_SOURCES: Readonly<Record<string, string>> = {
  'interlock/lib/command/command.rego':
    'eeeb9bc471abbe4551345321931b34bcc8e84a20e383fc4ea36ed89d0d01ffcf',
  'interlock/lib/shell/shell.rego':
    '0e5c592727c2a01c539f6062a8450ada3faac93eacdd2241dd5e08f587dfdc1b',
};

// The Rego's patterns. RE2's \s is [\t\n\f\r ]; JavaScript's is wider, so it is spelled out.
const OPERATOR = /\|\||&&|[|;&<>`\n\r]|\$\(|\$\{/g;
const WORD = /(?:[^\t\n\f\r "']+|"[^"]*"|'[^']*')+/g;
const SEGMENT = /[^|;&\n\r`()<>]+/g;
const RUN = /[^\t\n\f\r "']+|"[^"]*"|'[^']*'/g;
const WELL_QUOTED = /^(?:[^"'\\]|\\[^"'\\]|"[^"\\]*"|'[^']*')*$/;
const SPECIAL = /["'\\|;&<>`$()\n\r\t]/;

// Argv with any character outside ASCII goes to the Rego analysis: Rego counts and slices
// strings by code point and JavaScript by UTF-16 unit, and this copy does not chase the difference.
const MIRRORED_CHARACTERS = /^\p{ASCII}*$/u;

const FIND_EXEC_ACTIONS = new Set(['-exec', '-execdir', '-ok', '-okdir']);

type Argv = string[];
type WordKind = 'flag' | 'value_next' | 'value_inline' | 'opaque' | 'unknown';

const findAll = (re: RegExp, s: string): string[] => Array.from(s.matchAll(re), (m) => m[0]);

/** An option spec with its lists as sets, built once per bundle. */
class Options {
  readonly shortFlags: Set<string>;
  readonly shortValues: Set<string>;
  readonly shortOpaque: Set<string>;
  readonly longFlags: Set<string>;
  readonly longValues: Set<string>;
  readonly longOpaque: Set<string>;
  readonly longNames: string[];
  readonly ownPositionals: number;
  readonly assignments: boolean;
  readonly plusOptions: boolean;

  constructor(spec: OptionSpec) {
    this.shortFlags = new Set(spec.short_flags ?? []);
    this.shortValues = new Set(spec.short_values ?? []);
    this.shortOpaque = new Set(spec.short_opaque ?? []);
    this.longFlags = new Set(spec.long_flags ?? []);
    this.longValues = new Set(spec.long_values ?? []);
    this.longOpaque = new Set(spec.long_opaque ?? []);
    this.longNames = [...new Set([...this.longFlags, ...this.longValues, ...this.longOpaque])];
    this.ownPositionals = spec.own_positionals ?? 0;
    this.assignments = spec.assignments === true;
    this.plusOptions = spec.plus_options === true;
  }
}

/** A shell analyser for one bundle's word lists. */
export class ShellAnalyser {
  readonly #shells: Set<string>;
  readonly #wrappers: Map<string, Options>;
  readonly #shellOptions: Options;

  constructor(syntax: ShellSyntax) {
    this.#shells = new Set(syntax.shells);
    this.#wrappers = new Map(Object.entries(syntax.wrappers).map(([k, v]) => [k, new Options(v)]));
    this.#shellOptions = new Options(syntax.shell_options);
  }

  /**
   * analyse returns the analysis of argv, or undefined when it is not one this copy mirrors.
   * `anyCharacters` analyses non-ASCII argv too (the invariants' reference evaluator, which
   * only needs the programs); the policy never receives such an analysis.
   */
  analyse(
    argv: readonly string[],
    options: { anyCharacters?: boolean } = {},
  ): ShellAnalysis | undefined {
    if (!options.anyCharacters && !argv.every((w) => MIRRORED_CHARACTERS.test(w))) return undefined;
    const top = [...argv];
    const l0 = this.expand([top]);
    const l1 = this.expand(this.scriptArgvs(this.scriptsIn(l0)));
    const l2 = this.expand(this.scriptArgvs(this.scriptsIn(l1)));
    const invocations = uniqueArgvs([...l0, ...l1, ...l2]);
    const scripts = [
      ...new Set([...this.scriptsIn(l0), ...this.scriptsIn(l1), ...this.scriptsIn(l2)]),
    ];
    const pipedInto = new Set<string>();
    for (const s of scripts) {
      const parts = s.split('|');
      for (let i = 1; i < parts.length; i++) {
        for (const a of this.chain(words(parts[i]!))) if (a.length > 0) pipedInto.add(program(a));
      }
    }
    const problems = new Map<string, OptionProblem>();
    for (const a of invocations) {
      const spec = this.specOf(a);
      if (spec)
        for (const p of optionProblems(a, spec))
          problems.set(`${p.program}\u0000${p.option}\u0000${p.problem}`, p);
    }
    return {
      argv: top,
      invocations,
      scripts,
      script_operators: [...new Set(scripts.flatMap(operators))],
      piped_into: [...pipedInto],
      option_problems: [...problems.values()],
      too_deep: this.tooDeep(l2, invocations),
      ambiguous_quoting: scripts.some((s) => !plain(s) && !WELL_QUOTED.test(s)),
      hidden_character: findHiddenCharacter(top.join(' ')) !== undefined,
    };
  }

  specOf(argv: Argv): Options | undefined {
    const prog = program(argv);
    return this.#wrappers.get(prog) ?? (this.#shells.has(prog) ? this.#shellOptions : undefined);
  }

  /** unwrap1: strips one wrapper program, or returns argv as it is. */
  unwrap1(argv: Argv): Argv {
    const spec = this.#wrappers.get(program(argv));
    if (!spec) return argv;
    const first = firstPositional(argv, spec);
    // A wrapper with nothing to wrap runs nothing.
    if (first === undefined) return [];
    return argv.slice(first + spec.ownPositionals);
  }

  /** chain: argv followed by what each wrapper in turn runs, five wrappers deep. */
  chain(argv: Argv): Argv[] {
    const out = [argv];
    for (let i = 0; i < 5; i++) out.push(this.unwrap1(out[i]!));
    return out;
  }

  /** expand: every argv these run directly, through wrappers and `find -exec`. */
  expand(argvs: readonly Argv[]): Argv[] {
    const direct: Argv[] = [];
    for (const argv of argvs) for (const a of this.chain(argv)) if (a.length > 0) direct.push(a);
    const out = [...direct];
    for (const d of direct)
      for (const sub of findExecs(d))
        for (const a of this.chain(sub)) if (a.length > 0) out.push(a);
    return uniqueArgvs(out);
  }

  /** c_script: the script a `sh -c ... SCRIPT` invocation runs. */
  shellCScript(argv: Argv): string | undefined {
    if (!this.#shells.has(program(argv))) return undefined;
    const spec = this.#shellOptions;
    const i = firstPositional(argv, spec);
    if (i === undefined || i >= argv.length) return undefined;
    for (let j = 1; j < i; j++) {
      const w = argv[j]!;
      if (optionWord(w, spec) && !consumed(argv, j, spec) && !w.startsWith('--') && w.includes('c'))
        return argv[i];
    }
    return undefined;
  }

  scriptsIn(argvs: readonly Argv[]): string[] {
    const out: string[] = [];
    for (const a of argvs) {
      const s = this.shellCScript(a);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  scriptArgvs(scripts: readonly string[]): Argv[] {
    const out: Argv[] = [];
    for (const s of scripts) {
      for (const seg of segments(s)) {
        const argv = words(seg);
        if (argv.length > 0) out.push(argv);
      }
    }
    return out;
  }

  tooDeep(l2: readonly Argv[], invocations: readonly Argv[]): boolean {
    if (l2.some((a) => this.shellCScript(a) !== undefined)) return true;
    if (invocations.some((a) => this.#wrappers.has(program(this.chain(a)[5]!)))) return true;
    return invocations.some((a) =>
      findExecs(a).some((sub) => this.chain(sub).some((b) => findExecs(b).length > 0)),
    );
  }
}

/**
 * The Rego builds these lists as sets. Without the same dedup a wrapper chain (which repeats
 * the innermost argv to fill five levels) multiplies through every level, and the policy
 * parses the copies.
 */
function uniqueArgvs(argvs: readonly Argv[]): Argv[] {
  return [...new Map(argvs.map((a) => [JSON.stringify(a), a])).values()];
}

function plain(s: string): boolean {
  return !SPECIAL.test(s);
}

function operators(s: string): string[] {
  return plain(s) ? [] : findAll(OPERATOR, s);
}

function segments(s: string): string[] {
  return plain(s) ? [s] : findAll(SEGMENT, s);
}

function words(s: string): string[] {
  return plain(s) ? s.split(' ').filter((w) => w !== '') : findAll(WORD, s).map(unquote);
}

function unquote(w: string): string {
  if (!w.includes('"') && !w.includes("'") && !w.includes('\\')) return w;
  return findAll(RUN, w).map(stripRun).join('');
}

function stripRun(r: string): string {
  if (r.length >= 2 && (r.startsWith('"') || r.startsWith("'"))) return r.slice(1, -1);
  return r.replaceAll('\\', '');
}

/** The last part of argv[0] split at "/", as the Rego's split-and-index computes it. */
export function program(argv: readonly string[]): string {
  if (argv.length === 0) return '';
  const first = argv[0]!;
  return first.slice(first.lastIndexOf('/') + 1);
}

function optionWord(w: string, spec: Options): boolean {
  if (w.startsWith('-') && w !== '--') return true;
  return spec.plusOptions && w.startsWith('+') && w.length > 1;
}

function resolveLong(name: string, spec: Options): string | undefined {
  if (spec.longNames.includes(name)) return name;
  if (name.length === 0) return undefined;
  const candidates = spec.longNames.filter((n) => n.startsWith(name));
  return candidates.length === 1 ? candidates[0] : undefined;
}

function wordKind(w: string, spec: Options): WordKind | undefined {
  if (w === '-') return 'flag';
  if (w.startsWith('--') && w.length > 2) {
    const parts = w.slice(2).split('=');
    const name = resolveLong(parts[0]!, spec);
    if (name === undefined) return 'unknown';
    const inline = parts.length > 1;
    if (spec.longOpaque.has(name)) return 'opaque';
    if (spec.longValues.has(name)) return inline ? 'value_inline' : 'value_next';
    return 'flag';
  }
  if (w.length > 1 && !w.startsWith('--')) return shortKind(w.slice(1).split(''), spec);
  return undefined;
}

function shortKind(chars: string[], spec: Options): WordKind {
  const first = chars.findIndex((c) => spec.shortValues.has(c) || spec.shortOpaque.has(c));
  if (first >= 0) {
    if (!chars.slice(0, first).every((c) => spec.shortFlags.has(c))) return 'unknown';
    if (spec.shortOpaque.has(chars[first]!)) return 'opaque';
    if (first === chars.length - 1) return 'value_next';
    // Shells read every o or O of a cluster as taking the next word: refused.
    return spec.plusOptions ? 'unknown' : 'value_inline';
  }
  return chars.every((c) => spec.shortFlags.has(c)) ? 'flag' : 'unknown';
}

function consumed(argv: Argv, i: number, spec: Options): boolean {
  return i >= 2 && optionWord(argv[i - 1]!, spec) && wordKind(argv[i - 1]!, spec) === 'value_next';
}

function isAssignment(w: string, spec: Options): boolean {
  return spec.assignments && w.includes('=') && !w.startsWith('-');
}

function firstPositional(argv: Argv, spec: Options): number | undefined {
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i]!;
    if (consumed(argv, i, spec)) continue;
    if (w === '--') return i + 1;
    if (!optionWord(w, spec) && !isAssignment(w, spec)) return i;
  }
  return undefined;
}

function optionProblems(argv: Argv, spec: Options): OptionProblem[] {
  const first = firstPositional(argv, spec);
  const out: OptionProblem[] = [];
  const prog = program(argv);
  for (let i = 1; i < argv.length && (first === undefined || i < first); i++) {
    const w = argv[i]!;
    if (!optionWord(w, spec)) continue;
    const taken = consumed(argv, i, spec);
    const kind = wordKind(w, spec);
    if (!taken && kind === 'opaque') out.push({ program: prog, option: w, problem: 'opaque' });
    else if (!taken && kind === 'unknown')
      out.push({ program: prog, option: w, problem: 'unknown' });
    else if (taken && kind === 'value_next')
      out.push({ program: prog, option: w, problem: 'ambiguous_value' });
  }
  // An option right after the wrapper's own positionals: where the command starts is unclear.
  if (first !== undefined && spec.ownPositionals > 0) {
    const w = argv[first + spec.ownPositionals];
    if (w !== undefined && w.startsWith('-'))
      out.push({ program: prog, option: w, problem: 'unknown' });
  }
  return out;
}

/** find_execs: every command `find ... -exec CMD ... ;` runs. */
export function findExecs(argv: Argv): Argv[] {
  if (program(argv) !== 'find') return [];
  const out: Argv[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (!FIND_EXEC_ACTIONS.has(argv[i]!)) continue;
    let end = argv.length;
    for (let j = i + 1; j < argv.length; j++) {
      // ";" ends it, and "+" only right after "{}": find reads any other "+" as an argument.
      if (argv[j] === ';' || (argv[j] === '+' && j > i + 1 && argv[j - 1] === '{}')) {
        end = j;
        break;
      }
    }
    const sub = argv.slice(i + 1, end);
    if (sub.length > 0) out.push(sub);
  }
  return out;
}
