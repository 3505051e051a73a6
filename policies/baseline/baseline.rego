# METADATA
# title: Baseline
# description: |
#   Hard deny patterns and absolute bounds. Nothing overrides a baseline deny:
#   not the autonomy level, not an approval, not a token. Each finding is
#   {rule, reason}; the pipeline denies when any exist.
package interlock.baseline

import data.interlock.lib.shell
import data.interlock.lib.fmt.quote
import data.interlock.lib.fmt.show
import rego.v1

action := input.action

command := action.params.command if action.kind == "shell.exec"

# --- shell.exec: hard deny patterns -----------------------------------------

deny contains finding("baseline.shell.operator", sprintf("shell operator %s is not allowed: commands run as a single argv, never through a shell", [quote(op)])) if {
	some op in shell.operators(command)
}

deny contains finding("baseline.shell.rm_recursive_force", sprintf("hard-denied pattern rm -rf (recursive forced delete): %s", [concat(" ", argv)])) if {
	some argv in shell.all_commands(command)
	shell.program(argv) == "rm"
	rm_recursive(argv)
	rm_force(argv)
}

deny contains finding("baseline.shell.pipe_to_shell", sprintf("hard-denied pattern pipe-to-shell: output piped into %s", [quote(prog)])) if {
	some prog in shell.piped_into(command)
	prog in shell.interpreters
}

deny contains finding(sprintf("baseline.shell.%s", [rule]), sprintf("hard-denied pattern %s (%s): %s", [prog, why, concat(" ", argv)])) if {
	some argv in shell.invocations(command)
	prog := shell.program(argv)
	some rule, spec in denied_programs
	matches_program(prog, spec)
	why := spec.why
}

deny contains finding("baseline.shell.nesting_too_deep", "shell wrappers or `sh -c` scripts nest deeper than the baseline can inspect") if {
	shell.too_deep(command)
}

deny contains finding("baseline.shell.ambiguous_quoting", "escaped or unbalanced quotes: the baseline cannot tell what this command runs") if {
	shell.ambiguous_quoting(command)
}

deny contains finding("baseline.shell.empty", "shell.exec command runs no program") if {
	command
	count(shell.all_commands(command)) == 0
}

# Programs denied outright, by rule id. `prefixes` also catches families such as mkfs.ext4.
denied_programs := {
	"privilege_escalation": {"names": {"sudo", "doas", "su", "pkexec"}, "prefixes": set(), "why": "privilege escalation"},
	"remote_access": {"names": {"ssh", "scp", "sftp", "slogin"}, "prefixes": set(), "why": "remote access"},
	"disk_write": {"names": {"dd", "mkfs", "fdisk", "sfdisk", "cfdisk"}, "prefixes": {"mkfs."}, "why": "raw disk operation"},
}

matches_program(prog, spec) if prog in spec.names

matches_program(prog, spec) if {
	some p in spec.prefixes
	startswith(prog, p)
}

rm_recursive(argv) if some c in {"r", "R"} & shell.short_flags(argv)

rm_recursive(argv) if "--recursive" in argv

rm_force(argv) if "f" in shell.short_flags(argv)

rm_force(argv) if "--force" in argv

# --- absolute bounds from the catalog -----------------------------------------

entry := data.catalog[action.kind]

deny contains finding("baseline.bounds.min", sprintf("%s.%s = %s is below the minimum %s", [action.kind, name, show(value), show(spec.min)])) if {
	some name, spec in entry.params
	value := action.params[name]
	is_number(value)
	value < spec.min
}

deny contains finding("baseline.bounds.max", sprintf("%s.%s = %s is above the maximum %s", [action.kind, name, show(value), show(spec.max)])) if {
	some name, spec in entry.params
	value := action.params[name]
	is_number(value)
	value > spec.max
}

deny contains finding("baseline.catalog.unknown_kind", sprintf("action kind %s is not in the catalog", [quote(action.kind)])) if {
	not data.catalog[action.kind]
}

finding(rule, reason) := {"rule": rule, "reason": reason}
