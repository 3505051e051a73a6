# METADATA
# title: The proposed argv, analysed once
# description: |
#   Wasm memoizes rules but not function calls, so the shell analysis of this decision's
#   argv is computed here once, as rules, and read by the baseline and the policy.
#   The gateway may supply the same analysis in input.analysis.shell, computed by its copy
#   of interlock.lib.shell (gateway/decide/shell-analysis.ts); it does so only for the exact
#   lib sources that copy mirrors, and `reference` below is what property tests compare it
#   with. Without a supplied analysis (opa test, other hosts) the Rego analysis runs.
package interlock.lib.command

import data.interlock.lib.shell
import rego.v1

argv := input.action.params.argv if input.action.kind == "shell.exec"

# The host's analysis counts only when it is of this very argv.
supplied := a if {
	a := input.analysis.shell
	a.argv == argv
}

invocations := {c | some c in supplied.invocations} if {
	supplied
} else := analysed_invocations

scripts := {s | some s in supplied.scripts} if {
	supplied
} else := analysed_scripts

script_operators := {o | some o in supplied.script_operators} if {
	supplied
} else := analysed_script_operators

piped_into := {p | some p in supplied.piped_into} if {
	supplied
} else := analysed_piped_into

option_problems := {p | some p in supplied.option_problems} if {
	supplied
} else := analysed_option_problems

too_deep if supplied.too_deep == true

too_deep if {
	not supplied
	analysed_too_deep
}

ambiguous_quoting if supplied.ambiguous_quoting == true

ambiguous_quoting if {
	not supplied
	analysed_ambiguous_quoting
}

# hidden_character: an argv word holds a character that separates words for some tokenizer
# or hides text. The gateway refuses these before the policy runs; this is the same check
# for every other host.
hidden_character if supplied.hidden_character == true

hidden_character if {
	not supplied
	analysed_hidden_character
}

# programs is the base name of every program the argv runs, wrappers included.
programs contains p if some p, _ in by_program

# by_program indexes the invocations by program base name, so a rule about one program
# looks it up instead of scanning every invocation (and splitting every argv[0]) again.
by_program[p] := {a | some [q, a] in named; q == p} if some [p, _] in named

named contains [shell.program(a), a] if some a in invocations

# --- the Rego analysis --------------------------------------------------------

levels := shell.levels(argv)

analysed_invocations := shell.invocations_of(levels)

analysed_scripts := shell.scripts_of(levels)

analysed_script_operators := shell.script_operators_of(analysed_scripts)

analysed_piped_into := shell.piped_into_of(analysed_scripts)

analysed_option_problems := shell.option_problems_of(analysed_invocations)

default analysed_too_deep := false

analysed_too_deep if shell.too_deep_of(levels, analysed_invocations)

default analysed_ambiguous_quoting := false

analysed_ambiguous_quoting if shell.ambiguous_of(analysed_scripts)

# The characters gateway/decide/shell-argv.ts refuses (HIDDEN_CHARACTER_RE2, pinned by a test).
# One line, so that the test finds it as written there; a raw string cannot be wrapped.
# regal ignore:line-length
hidden_character_regex := `[\x{0000}-\x{001F}\x{007F}-\x{009F}\x{00A0}\x{00AD}\x{034F}\x{061C}\x{115F}-\x{1160}\x{1680}\x{17B4}-\x{17B5}\x{180B}-\x{180F}\x{2000}-\x{200F}\x{2028}-\x{202F}\x{205F}-\x{206F}\x{2800}\x{3000}\x{3164}\x{FE00}-\x{FE0F}\x{FEFF}\x{FFA0}\x{FFF0}-\x{FFFB}\x{13430}-\x{1343F}\x{1BCA0}-\x{1BCA3}\x{1D173}-\x{1D17A}\x{E0000}-\x{E0FFF}]`

default analysed_hidden_character := false

analysed_hidden_character if regex.match(hidden_character_regex, concat(" ", argv))

# reference is the Rego analysis of input.action.params.argv, whatever the input supplies:
# the gateway's property tests evaluate it as a second Wasm entrypoint.
reference := {
	"argv": argv,
	"invocations": analysed_invocations,
	"scripts": analysed_scripts,
	"script_operators": analysed_script_operators,
	"piped_into": analysed_piped_into,
	"option_problems": analysed_option_problems,
	"too_deep": analysed_too_deep,
	"ambiguous_quoting": analysed_ambiguous_quoting,
	"hidden_character": analysed_hidden_character,
}
