# METADATA
# title: Shell command analysis
# description: |
#   Splits a shell.exec command line into the simple commands a shell would run,
#   so baseline rules match on programs and flags rather than on raw text.
#   Rego forbids recursion, so nested `sh -c` strings are unfolded to a fixed depth
#   and anything nested deeper is reported (and denied by the baseline).
package interlock.lib.shell

import rego.v1

# Anything that lets one command line run several commands, substitute output, or redirect.
operator_regex := `\|\||&&|[|;&<>\x60\n\r]|\$\(|\$\{`

# A word: runs of unquoted text and quoted strings glued together, as a shell would join them.
word_regex := `(?:[^\s"']+|"[^"]*"|'[^']*')+`

# Pieces of a command line between operators.
segment_regex := `[^|;&\n\r\x60()<>]+`

# The word lists are policy data (data.shell.syntax, policies/data/catalog-shell.yaml), so a
# pack can add a wrapper or an interpreter without editing this file.
shells := {s | some s in data.shell.syntax.shells}

interpreters := shells | {s | some s in data.shell.syntax.interpreters}

# Programs that run their arguments as another command; the value lists their options that
# consume the next word.
wrappers := data.shell.syntax.wrappers

# Wrappers whose first positional argument is theirs, not the wrapped command's.
wrapper_own_positionals := data.shell.syntax.wrapper_own_positionals

# Characters that mean quoting, escaping or an operator may be present. A line with none of
# them is plain: it is split on spaces without regular expressions, which the Wasm runtime
# compiles afresh on every call (about 10 µs each).
special_characters := {`"`, "'", `\`, "|", ";", "&", "<", ">", "`", "$", "(", ")", "\n", "\r", "\t"}

plain(s) if {
	every c in special_characters {
		not contains(s, c)
	}
}

# operators(cmd) is the set of shell operators found in cmd.
operators(cmd) := set() if {
	plain(cmd)
} else := {m[0] | some m in regex.find_all_string_submatch_n(operator_regex, cmd, -1)}

# segments(s) is the list of pieces of s between operators.
segments(s) := [s] if {
	plain(s)
} else := [m[0] | some m in regex.find_all_string_submatch_n(segment_regex, s, -1)]

# A run inside a word: unquoted text, or one quoted string.
run_regex := `[^\s"']+|"[^"]*"|'[^']*'`

# Quoting the baseline parses exactly: plain characters, escapes of anything but quotes and
# backslashes, and quoted strings that contain no escapes. Anything else is ambiguous.
well_quoted_regex := `^(?:[^"'\\]|\\[^"'\\]|"[^"\\]*"|'[^']*')*$`

# unquote(w) removes one layer of quoting and escapes, giving the argument the shell passes.
unquote(w) := w if {
	# The common case, a plain word, needs no regular expression.
	not contains(w, `"`)
	not contains(w, "'")
	not contains(w, `\`)
} else := concat("", [strip_run(m[0]) | some m in regex.find_all_string_submatch_n(run_regex, w, -1)])

strip_run(r) := substring(r, 1, count(r) - 2) if {
	count(r) >= 2
	some q in {`"`, "'"}
	startswith(r, q)
} else := replace(r, `\`, "")

# words(s) splits s into unquoted words.
words(s) := [w | some w in split(s, " "); w != ""] if {
	plain(s)
} else := [unquote(m[0]) | some m in regex.find_all_string_submatch_n(word_regex, s, -1)]

# program(argv) is the base name of the program argv runs ("" for an empty argv).
program(argv) := name if {
	count(argv) > 0
	parts := split(argv[0], "/")
	name := parts[count(parts) - 1]
}

program(argv) := "" if count(argv) == 0

# env treats any word with "=" before the command as an assignment (string tests, not a
# regex: each regex call costs a compilation in Wasm).
is_assignment(w) if {
	indexof(w, "=") > 0
	not startswith(w, "-")
}

# Index of the first word after argv[0] that is neither an option, an option's value,
# nor (for env) a variable assignment.
first_positional(argv, value_flags) := min({i |
	some i, w in argv
	i >= 1
	not startswith(w, "-")
	not is_assignment(w)
	not takes_value(argv, i, value_flags)
})

takes_value(argv, i, value_flags) if {
	i >= 2
	argv[i - 1] in value_flags
}

# unwrap1(argv) strips one wrapper program, or returns argv as it is.
unwrap1(argv) := rest if {
	prog := program(argv)
	flags := wrappers[prog]
	start := first_positional(argv, flags) + object.get(wrapper_own_positionals, prog, 0)
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

# unwrap(argv) is the command argv finally runs once wrappers are removed.
unwrap(argv) := chain(argv)[5]

# simple_commands(cmd) is the set of argv arrays (wrappers removed) of the top-level pieces of cmd.
simple_commands(cmd) := {argv |
	some seg in segments(cmd)
	argv := unwrap(words(seg))
	count(argv) > 0
}

# short_flags(argv) is the set of single-letter options argv carries (-rf -> r, f).
short_flags(argv) := {c |
	some i, w in argv
	i >= 1
	is_short_option(w)
	some c in split(substring(w, 1, -1), "")
}

# is_short_option(w) holds for -x, -rf, -n5: one dash and something after it, but not --long.
is_short_option(w) if {
	startswith(w, "-")
	not startswith(w, "--")
	count(w) > 1
}

# shell_c_script(argv) is the script string a `sh -c SCRIPT` invocation runs.
shell_c_script(argv) := argv[i] if {
	program(argv) in shells
	flags := {j |
		some j, w in argv
		j >= 1
		is_short_option(w)
		contains(w, "c")
	}
	i := min(flags) + 1
	i < count(argv)
}

# Commands reached by unfolding `sh -c` scripts: depth 0 is the command line itself.
commands_at_depth(cmd) := [d0, d1, d2] if {
	d0 := simple_commands(cmd)
	d1 := {argv | some a in d0; s := shell_c_script(a); some argv in simple_commands(s)}
	d2 := {argv | some a in d1; s := shell_c_script(a); some argv in simple_commands(s)}
}

# The functions below take what an earlier one computed, so a policy can compute each
# piece once per decision (see interlock.lib.command); the one-argument forms are for tests.

# commands_of(levels) is every simple command at any unfolding depth.
commands_of(levels) := (levels[0] | levels[1]) | levels[2]

# scripts_of(cmd, commands) is cmd plus every `sh -c` script inside it.
scripts_of(cmd, commands) := {cmd} | {s | some a in commands; s := shell_c_script(a)}

# invocations_of(scripts) is every argv the scripts run, wrappers included: `env sudo id`
# yields [env sudo id], [sudo id] and [id], so a rule on any program in the chain sees it.
invocations_of(scripts) := {argv |
	some s in scripts
	some seg in segments(s)
	some argv in chain(words(seg))
	count(argv) > 0
}

# piped_into_of(scripts) is the set of programs that receive another command's output through a pipe.
piped_into_of(scripts) := {program(argv) |
	some s in scripts
	parts := split(s, "|")
	some i, part in parts
	i >= 1
	argv := unwrap(words(part))
	count(argv) > 0
}

# too_deep_of(levels) holds when scripts nest deeper than the unfolding depth, or wrappers
# nest deeper than unwrap strips.
too_deep_of(levels) if {
	some a in levels[2]
	shell_c_script(a)
}

too_deep_of(levels) if {
	some a in commands_of(levels)
	wrappers[program(a)]
}

# ambiguous_of(scripts) holds when a script has quoting the baseline cannot parse.
ambiguous_of(scripts) if {
	some s in scripts
	not plain(s)
	not regex.match(well_quoted_regex, s)
}

all_commands(cmd) := commands_of(commands_at_depth(cmd))

all_scripts(cmd) := scripts_of(cmd, all_commands(cmd))

invocations(cmd) := invocations_of(all_scripts(cmd))

piped_into(cmd) := piped_into_of(all_scripts(cmd))

too_deep(cmd) if too_deep_of(commands_at_depth(cmd))

ambiguous_quoting(cmd) if ambiguous_of(all_scripts(cmd))
