# METADATA
# title: The proposed command line, analysed once
# description: |
#   Wasm memoizes rules but not function calls, so the shell analysis of this decision's
#   command is computed here once, as rules, and read by the baseline and the policy.
package interlock.lib.command

import data.interlock.lib.shell
import rego.v1

line := input.action.params.command if input.action.kind == "shell.exec"

levels := shell.commands_at_depth(line)

commands := shell.commands_of(levels)

scripts := shell.scripts_of(line, commands)

invocations := shell.invocations_of(scripts)

operators := shell.operators(line)

piped_into := shell.piped_into_of(scripts)

too_deep if shell.too_deep_of(levels)

ambiguous_quoting if shell.ambiguous_of(scripts)
