/**
 * The gateway's copy of interlock.lib.shell: the same algorithm, step for step, run in
 * JavaScript so the Wasm policy does not pay for it. OPA's Wasm runtime compiles every
 * regular expression afresh on each call (about 10 µs each), and a quoted, wrapped command
 * line needs dozens of calls; here a whole analysis takes 0.6–4.5 µs.
 *
 * The policy decides on the result exactly as on its own analysis (interlock.lib.command).
 * The copy is used only for bundles whose shell-analysis sources are the ones it mirrors
 * (MIRRORED_SOURCES, checked when a bundle loads), and property tests compare it with the
 * Rego analysis evaluated in Wasm. Function names follow the Rego's, to keep them comparable.
 */
import type { ShellAnalysis, ShellSyntax } from '../schema/shell.ts';

/**
 * sha256 of every non-test Rego source that can define rules in interlock.lib.shell or
 * interlock.lib.command, by path. Edit those files and this copy is switched off for the
 * bundle (the Rego analysis runs, slower) until the copy is brought level and re-pinned.
 */
export const MIRRORED_SOURCES: Readonly<Record<string, string>> = {
  'lib/command.rego': '086016d293631c26c1dd05e723297481d4ca1e748afd08df157f53dce87d216d',
  'lib/shell.rego': '9a1614ba53bc6e64b5d3ad8b30be9e75959112a6344e8ac3d18d128d9931f892',
};

// The Rego's patterns. RE2's \s is [\t\n\f\r ]; JavaScript's is wider, so it is spelled out.
const OPERATOR = /\|\||&&|[|;&<>`\n\r]|\$\(|\$\{/g;
const WORD = /(?:[^\t\n\f\r "']+|"[^"]*"|'[^']*')+/g;
const SEGMENT = /[^|;&\n\r`()<>]+/g;
const RUN = /[^\t\n\f\r "']+|"[^"]*"|'[^']*'/g;
const WELL_QUOTED = /^(?:[^"'\\]|\\[^"'\\]|"[^"\\]*"|'[^']*')*$/;
const SPECIAL = /["'\\|;&<>`$()\n\r\t]/;

// Lines with any character outside ASCII go to the Rego analysis: RE2 matches UTF-8 code
// points and JavaScript UTF-16 code units, and this copy does not chase the difference.
const MIRRORED_CHARACTERS = /^\p{ASCII}*$/u;

type Argv = string[];

const findAll = (re: RegExp, s: string): string[] => Array.from(s.matchAll(re), (m) => m[0]);

/** A shell analyser for one bundle's word lists. */
export class ShellAnalyser {
  readonly #shells: Set<string>;
  readonly #wrappers: Map<string, Set<string>>;
  readonly #ownPositionals: Map<string, number>;

  constructor(syntax: ShellSyntax) {
    this.#shells = new Set(syntax.shells);
    this.#wrappers = new Map(Object.entries(syntax.wrappers).map(([k, v]) => [k, new Set(v)]));
    this.#ownPositionals = new Map(Object.entries(syntax.wrapper_own_positionals));
  }

  /** analyse returns the analysis of line, or undefined when the line is not one this copy mirrors. */
  analyse(line: string): ShellAnalysis | undefined {
    if (!MIRRORED_CHARACTERS.test(line)) return undefined;
    // The Rego recomputes a piece's wrapper chain wherever it needs it; here each is built once.
    // (Methods, not closures: the tsx loader the gateway runs under wraps every closure it creates.)
    const chains = new Map<string, Argv[]>();
    const d0 = this.simpleCommands(line, chains);
    const d1 = this.unfold(d0, chains);
    const d2 = this.unfold(d1, chains);
    const commands = [...d0, ...d1, ...d2];
    const scripts = new Set([line]);
    for (const a of commands) {
      const script = this.shellCScript(a);
      if (script !== undefined) scripts.add(script);
    }
    const invocations: Argv[] = [];
    const pipedInto = new Set<string>();
    for (const script of scripts) {
      for (const seg of segments(script)) {
        let previous: Argv | undefined;
        for (const argv of this.chainOf(seg, chains)) {
          // unwrap1 returns a non-wrapper's argv itself, so a chain repeats it; a Rego set would not.
          if (argv.length > 0 && argv !== previous) invocations.push(argv);
          previous = argv;
        }
      }
      const parts = script.split('|');
      for (let i = 1; i < parts.length; i++) {
        const argv = this.chainOf(parts[i]!, chains)[5]!;
        if (argv.length > 0) pipedInto.add(program(argv));
      }
    }
    return {
      line,
      commands,
      scripts: [...scripts],
      invocations,
      operators: plain(line) ? [] : [...new Set(findAll(OPERATOR, line))],
      piped_into: [...pipedInto],
      too_deep: d2.some((a) => this.shellCScript(a) !== undefined) || commands.some((a) => this.#wrappers.has(program(a))),
      ambiguous_quoting: [...scripts].some((x) => !plain(x) && !WELL_QUOTED.test(x)),
    };
  }

  /** The wrapper chain of a piece's words, built once per analysis. */
  chainOf(piece: string, chains: Map<string, Argv[]>): Argv[] {
    let c = chains.get(piece);
    if (!c) {
      c = this.chain(words(piece));
      chains.set(piece, c);
    }
    return c;
  }

  /** simple_commands: the argv (wrappers removed) of each top-level piece of cmd. */
  simpleCommands(cmd: string, chains: Map<string, Argv[]>): Argv[] {
    const out: Argv[] = [];
    for (const seg of segments(cmd)) {
      const argv = this.chainOf(seg, chains)[5]!;
      if (argv.length > 0) out.push(argv);
    }
    return out;
  }

  /** One level of commands_at_depth: what the `sh -c` scripts of these commands run. */
  unfold(level: readonly Argv[], chains: Map<string, Argv[]>): Argv[] {
    const out: Argv[] = [];
    for (const a of level) {
      const script = this.shellCScript(a);
      if (script !== undefined) out.push(...this.simpleCommands(script, chains));
    }
    return out;
  }

  /** chain: argv followed by what each wrapper in turn runs, five wrappers deep. */
  chain(argv: Argv): Argv[] {
    const out = [argv];
    for (let i = 0; i < 5; i++) out.push(this.unwrap1(out[i]!));
    return out;
  }

  /** unwrap1: strips one wrapper program, or returns argv as it is. */
  unwrap1(argv: Argv): Argv {
    const prog = program(argv);
    const flags = this.#wrappers.get(prog);
    if (!flags) return argv;
    const first = firstPositional(argv, flags);
    // A wrapper with nothing to wrap runs nothing.
    if (first === undefined) return [];
    return argv.slice(first + (this.#ownPositionals.get(prog) ?? 0));
  }

  /** shell_c_script: the script a `sh -c SCRIPT` invocation runs. */
  shellCScript(argv: Argv): string | undefined {
    if (!this.#shells.has(program(argv))) return undefined;
    const at = argv.findIndex((w, j) => j >= 1 && isShortOption(w) && w.includes('c'));
    if (at < 0 || at + 1 >= argv.length) return undefined;
    return argv[at + 1];
  }
}

function plain(s: string): boolean {
  return !SPECIAL.test(s);
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
function program(argv: Argv): string {
  if (argv.length === 0) return '';
  const first = argv[0]!;
  return first.slice(first.lastIndexOf('/') + 1);
}

function isAssignment(w: string): boolean {
  return w.indexOf('=') > 0 && !w.startsWith('-');
}

function isShortOption(w: string): boolean {
  return w.startsWith('-') && !w.startsWith('--') && w.length > 1;
}

function firstPositional(argv: Argv, valueFlags: ReadonlySet<string>): number | undefined {
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i]!;
    const takesValue = i >= 2 && valueFlags.has(argv[i - 1]!);
    if (!w.startsWith('-') && !isAssignment(w) && !takesValue) return i;
  }
  return undefined;
}
