# METADATA
# title: Shell command analysis over argv
# description: |
#   A shell.exec action carries argv, the exact vector the driver executes: the gateway
#   tokenizes a command line once, and nothing here splits text that will be executed as
#   words. This package finds every program that argv runs: through wrappers (env, nice,
#   timeout, ...) read with each wrapper's own options, through `find -exec`, and through the
#   scripts of `sh -c`, which are shell text and are analysed as such. Rego forbids recursion,
#   so the unfolding has a fixed depth and anything nested deeper is reported (and denied).
package interlock.lib.shell

import rego.v1

syntax := data.shell.syntax

known_shells := {s | some s in syntax.shells}

interpreters := known_shells | {s | some s in syntax.interpreters}

wrappers := syntax.wrappers

# --- programs and options -----------------------------------------------------------

# program(argv) is the base name of the program argv runs ("" for an empty argv).
program(argv) := name if {
	count(argv) > 0
	parts := split(argv[0], "/")
	name := parts[count(parts) - 1]
}

program(argv) := "" if count(argv) == 0

# option_word(w, spec) holds for a word that getopt reads as options: -x, -xyz, --long,
# the lone "-" (env's -i), and for shells +x.
option_word(w, _) if {
	startswith(w, "-")
	w != "--"
}

option_word(w, spec) if {
	spec.plus_options
	startswith(w, "+")
	count(w) > 1
}

# The option lists of a spec, each defaulting to empty.
opts(spec, name) := {o | some o in object.get(spec, name, [])}

long_names(spec) := (opts(spec, "long_flags") | opts(spec, "long_values")) | opts(spec, "long_opaque")

# resolve_long(name, spec) is the long option name abbreviates: itself, or the one option it
# is a unique prefix of (GNU getopt accepts --recur for --recursive).
resolve_long(name, spec) := name if {
	name in long_names(spec)
} else := full if {
	count(name) > 0
	candidates := {n | some n in long_names(spec); startswith(n, name)}
	count(candidates) == 1
	some full in candidates
}

# word_kind(w, spec) says how getopt reads one option word: flag, value_next (its value is
# the next word), value_inline, opaque (a whole command line as one string) or unknown.
word_kind("-", _) := "flag"

word_kind(w, spec) := k if {
	startswith(w, "--")
	count(w) > 2
	parts := split(substring(w, 2, -1), "=")
	k := long_kind(resolve_long(parts[0], spec), count(parts) > 1, spec)
} else := "unknown" if {
	startswith(w, "--")
	count(w) > 2
} else := k if {
	count(w) > 1
	not startswith(w, "--")
	k := short_kind(split(substring(w, 1, -1), ""), spec)
}

long_kind(name, _, spec) := "opaque" if name in opts(spec, "long_opaque")

long_kind(name, inline, spec) := "value_inline" if {
	name in opts(spec, "long_values")
	inline == true
}

long_kind(name, inline, spec) := "value_next" if {
	name in opts(spec, "long_values")
	not inline
}

long_kind(name, _, spec) := "flag" if name in opts(spec, "long_flags")

# A cluster of short options (-iu NAME, -n5): flags up to the first option that takes a
# value; the rest of the cluster, if any, is that value.
short_kind(chars, spec) := k if {
	takers := opts(spec, "short_values") | opts(spec, "short_opaque")
	at := {i | some i, c in chars; c in takers}
	count(at) > 0
	first := min(at)
	every c in array.slice(chars, 0, first) {
		c in opts(spec, "short_flags")
	}
	k := short_taker_kind(chars, first, spec)
} else := "flag" if {
	takers := opts(spec, "short_values") | opts(spec, "short_opaque")
	every c in chars {
		c in opts(spec, "short_flags")
		not c in takers
	}
} else := "unknown"

short_taker_kind(chars, i, spec) := "opaque" if {
	chars[i] in opts(spec, "short_opaque")
} else := "value_next" if {
	i == count(chars) - 1
} else := "unknown" if {
	# Shells read every o or O of a cluster as taking the next word (bash -oc errexit SCRIPT),
	# where getopt would take the rest of the cluster: a value option must end a shell cluster.
	spec.plus_options
} else := "value_inline"

# consumed(argv, i, spec): word i is the value of the option word before it.
consumed(argv, i, spec) if {
	i >= 2
	option_word(argv[i - 1], spec)
	word_kind(argv[i - 1], spec) == "value_next"
}

# env treats any word with "=" before the command as an assignment (even "=x").
is_assignment(w, spec) if {
	spec.assignments
	contains(w, "=")
	not startswith(w, "-")
}

# first_positional(argv, spec) is the index where the wrapped command (or, for a wrapper
# with positionals of its own, those) begins; undefined when there is none.
first_positional(argv, spec) := min(positional_starts(argv, spec))

positional_starts(argv, spec) := words | after_dashes if {
	words := {i |
		some i, w in argv
		i >= 1
		not consumed(argv, i, spec)
		w != "--"
		not option_word(w, spec)
		not is_assignment(w, spec)
	}
	after_dashes := {j |
		some i, w in argv
		i >= 1
		w == "--"
		not consumed(argv, i, spec)
		j := i + 1
	}
}

# option_problems(argv, spec) is every option word, before the wrapped command, that the
# analysis cannot read: unknown, opaque, or a value that is itself an option taking a value
# (env -u -u rm ...), where the option after it could be read two ways. Also an option right
# after a wrapper's own positionals (setarch x86_64 -R rm ...): some wrappers read options
# there too, so where the command starts cannot be told.
option_problems(argv, spec) := {p |
	some i, w in argv
	i >= 1
	before_command(argv, i, spec)
	option_word(w, spec)
	p := problem(argv, i, w, spec)
} | {p |
	own := object.get(spec, "own_positionals", 0)
	own > 0
	w := argv[first_positional(argv, spec) + own]
	startswith(w, "-")
	p := {"program": program(argv), "option": w, "problem": "unknown"}
}

before_command(argv, i, spec) if i < first_positional(argv, spec)

before_command(argv, _, spec) if not first_positional(argv, spec)

problem(argv, i, w, spec) := {"program": program(argv), "option": w, "problem": "opaque"} if {
	not consumed(argv, i, spec)
	word_kind(w, spec) == "opaque"
} else := {"program": program(argv), "option": w, "problem": "unknown"} if {
	not consumed(argv, i, spec)
	word_kind(w, spec) == "unknown"
} else := {"program": program(argv), "option": w, "problem": "ambiguous_value"} if {
	consumed(argv, i, spec)
	word_kind(w, spec) == "value_next"
}

# --- unwrapping -----------------------------------------------------------------------

# unwrap1(argv) strips one wrapper program, or returns argv as it is.
unwrap1(argv) := rest if {
	spec := wrappers[program(argv)]
	start := first_positional(argv, spec) + object.get(spec, "own_positionals", 0)
	rest := array.slice(argv, start, count(argv))
} else := [] if {
	# A wrapper with nothing to wrap runs nothing.
	wrappers[program(argv)]
} else := argv

# chain(argv) is argv followed by what each wrapper in turn runs (five wrappers deep).
chain(argv) := [argv, a1, a2, a3, a4, a5] if {
	a1 := unwrap1(argv)
	a2 := unwrap1(a1)
	a3 := unwrap1(a2)
	a4 := unwrap1(a3)
	a5 := unwrap1(a4)
}

# find_execs(argv) is every command `find ... -exec CMD ... ;` runs.
find_exec_actions := {"-exec", "-execdir", "-ok", "-okdir"}

find_execs(argv) := {sub |
	program(argv) == "find"
	some i, w in argv
	w in find_exec_actions
	end := min(exec_ends(argv, i) | {count(argv)})
	sub := array.slice(argv, i + 1, end)
	count(sub) > 0
}

# exec_ends(argv, i): where the -exec at i can end: ";", or "+" right after "{}" (find reads
# any other "+" as an argument of the command).
exec_ends(argv, i) := semicolons | pluses if {
	semicolons := {j | some j, x in argv; j > i; x == ";"}
	pluses := {j | some j, x in argv; j > i + 1; x == "+"; argv[j - 1] == "{}"}
}

# expand(argvs) is every argv these run directly: each wrapper chain, and the chains of the
# commands their `find -exec` actions run.
expand(argvs) := direct | {a |
	some d in direct
	some sub in find_execs(d)
	some a in chain(sub)
	count(a) > 0
} if {
	direct := {a | some argv in argvs; some a in chain(argv); count(a) > 0}
}

# --- shell scripts ----------------------------------------------------------------------

# c_script(argv) is the script a `sh -c ... SCRIPT` invocation runs: the first word
# after the shell's options, when one of them is -c.
c_script(argv) := argv[i] if {
	program(argv) in known_shells
	spec := syntax.shell_options
	i := first_positional(argv, spec)
	some j, w in argv
	j >= 1
	j < i
	option_word(w, spec)
	not consumed(argv, j, spec)
	not startswith(w, "--")
	contains(w, "c")
}

# Anything that lets one script run several commands, substitute output, or redirect.
operator_regex := `\|\||&&|[|;&<>\x60\n\r]|\$\(|\$\{`

# A word: runs of unquoted text and quoted strings glued together, as a shell would join them.
word_regex := `(?:[^\s"']+|"[^"]*"|'[^']*')+`

# Pieces of a script between operators.
segment_regex := `[^|;&\n\r\x60()<>]+`

# Characters that mean quoting, escaping or an operator may be present. A script with none of
# them is plain: it is split on spaces without regular expressions, which the Wasm runtime
# compiles afresh on every call (about 10 µs each).
special_characters := {`"`, "'", `\`, "|", ";", "&", "<", ">", "`", "$", "(", ")", "\n", "\r", "\t"}

plain(s) if {
	every c in special_characters {
		not contains(s, c)
	}
}

# operators(s) is the set of shell operators found in a script.
operators(s) := set() if {
	plain(s)
} else := {m[0] | some m in regex.find_all_string_submatch_n(operator_regex, s, -1)}

# segments(s) is the list of pieces of s between operators.
segments(s) := [s] if {
	plain(s)
} else := [m[0] | some m in regex.find_all_string_submatch_n(segment_regex, s, -1)]

# A run inside a word: unquoted text, or one quoted string.
run_regex := `[^\s"']+|"[^"]*"|'[^']*'`

# Quoting this analysis parses exactly: plain characters, escapes of anything but quotes and
# backslashes, and quoted strings that contain no escapes. Anything else is ambiguous.
well_quoted_regex := `^(?:[^"'\\]|\\[^"'\\]|"[^"\\]*"|'[^']*')*$`

# unquote(w) removes one layer of quoting and escapes, giving the argument the shell passes.
unquote(w) := w if {
	not contains(w, `"`)
	not contains(w, "'")
	not contains(w, `\`)
} else := concat("", [strip_run(m[0]) | some m in regex.find_all_string_submatch_n(run_regex, w, -1)])

strip_run(r) := substring(r, 1, count(r) - 2) if {
	count(r) >= 2
	some q in {`"`, "'"}
	startswith(r, q)
} else := replace(r, `\`, "")

# words(s) splits a script into unquoted words.
words(s) := [w | some w in split(s, " "); w != ""] if {
	plain(s)
} else := [unquote(m[0]) | some m in regex.find_all_string_submatch_n(word_regex, s, -1)]

# script_argvs(scripts) is the argv of every piece of these scripts.
script_argvs(scripts) := {argv |
	some s in scripts
	some seg in segments(s)
	argv := words(seg)
	count(argv) > 0
}

scripts_in(argvs) := {s | some a in argvs; s := c_script(a)}

# --- the analysis, by depth ------------------------------------------------------------

# levels(argv): depth 0 is what argv runs directly; depth 1 and 2 what the `sh -c` scripts
# found one and two levels down run.
levels(argv) := [l0, l1, l2] if {
	l0 := expand({argv})
	l1 := expand(script_argvs(scripts_in(l0)))
	l2 := expand(script_argvs(scripts_in(l1)))
}

invocations_of(lv) := (lv[0] | lv[1]) | lv[2]

scripts_of(lv) := (scripts_in(lv[0]) | scripts_in(lv[1])) | scripts_in(lv[2])

# piped_into_of(scripts) is the set of programs that receive another command's output
# through a pipe inside a script.
piped_into_of(scripts) := {program(a) |
	some s in scripts
	parts := split(s, "|")
	some i, part in parts
	i >= 1
	some a in chain(words(part))
	count(a) > 0
}

script_operators_of(scripts) := {o | some s in scripts; some o in operators(s)}

# too_deep_of(lv, invocations) holds when scripts nest deeper than the unfolding depth, or
# wrappers deeper than unwrap strips, or `find -exec` runs another `find -exec`.
too_deep_of(lv, _) if {
	some a in lv[2]
	c_script(a)
}

too_deep_of(_, invocations) if {
	some a in invocations
	wrappers[program(chain(a)[5])]
}

too_deep_of(_, invocations) if {
	some a in invocations
	some sub in find_execs(a)
	some b in chain(sub)
	count(find_execs(b)) > 0
}

# ambiguous_of(scripts) holds when a script has quoting this analysis cannot parse.
ambiguous_of(scripts) if {
	some s in scripts
	not plain(s)
	not regex.match(well_quoted_regex, s)
}

# spec_of(argv) is how the options of argv's program are read, for wrappers and shells.
spec_of(argv) := wrappers[program(argv)]

spec_of(argv) := syntax.shell_options if program(argv) in known_shells

# option_problems_of(invocations) is every wrapper or shell option the analysis cannot read.
option_problems_of(invocations) := {p |
	some a in invocations
	some p in option_problems(a, spec_of(a))
}

# The one-argument forms are for tests; interlock.lib.command computes each piece once.
invocations(argv) := invocations_of(levels(argv))

scripts(argv) := scripts_of(levels(argv))
