# METADATA
# title: The proposed command line, analysed once
# description: |
#   Wasm memoizes rules but not function calls, so the shell analysis of this decision's
#   command is computed here once, as rules, and read by the baseline and the policy.
#   The gateway may supply the same analysis in input.analysis.shell, computed by its copy
#   of interlock.lib.shell (gateway/decide/shell-analysis.ts); it does so only for the exact
#   lib sources that copy mirrors, and `reference` below is what property tests compare it
#   with. Without a supplied analysis (opa test, other hosts) the Rego analysis runs.
package interlock.lib.command

import data.interlock.lib.shell
import rego.v1

line := input.action.params.command if input.action.kind == "shell.exec"

# The host's analysis counts only when it is of this very line.
supplied := a if {
	a := input.analysis.shell
	a.line == line
}

commands := {c | some c in supplied.commands} if supplied else := analysed_commands

scripts := {s | some s in supplied.scripts} if supplied else := analysed_scripts

invocations := {c | some c in supplied.invocations} if supplied else := analysed_invocations

operators := {o | some o in supplied.operators} if supplied else := analysed_operators

piped_into := {p | some p in supplied.piped_into} if supplied else := analysed_piped_into

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

# --- the Rego analysis --------------------------------------------------------

levels := shell.commands_at_depth(line)

analysed_commands := shell.commands_of(levels)

analysed_scripts := shell.scripts_of(line, analysed_commands)

analysed_invocations := shell.invocations_of(analysed_scripts)

analysed_operators := shell.operators(line)

analysed_piped_into := shell.piped_into_of(analysed_scripts)

analysed_too_deep := true if shell.too_deep_of(levels) else := false

analysed_ambiguous_quoting := true if shell.ambiguous_of(analysed_scripts) else := false

# reference is the Rego analysis of input.action.params.command, whatever the input supplies:
# the gateway's property tests evaluate it as a second Wasm entrypoint.
reference := {
	"line": line,
	"commands": analysed_commands,
	"scripts": analysed_scripts,
	"invocations": analysed_invocations,
	"operators": analysed_operators,
	"piped_into": analysed_piped_into,
	"too_deep": analysed_too_deep,
	"ambiguous_quoting": analysed_ambiguous_quoting,
}
