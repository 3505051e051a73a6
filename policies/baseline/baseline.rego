# METADATA
# title: Baseline
# description: |
#   Hard deny patterns and absolute bounds. Nothing overrides a baseline deny:
#   not the autonomy level, not an approval, not a token. Each finding is
#   {rule, reason}; the pipeline denies when any exist.
package interlock.baseline

import data.interlock.lib.command as cmd
import data.interlock.lib.shell
import data.interlock.lib.fmt.quote
import data.interlock.lib.fmt.show
import rego.v1

action := input.action

command := cmd.line

# --- shell.exec: hard deny patterns -----------------------------------------

deny contains finding("baseline.shell.operator", concat("", ["shell operator ", quote(op), " is not allowed: commands run as a single argv, never through a shell"])) if {
	some op in cmd.operators
}

deny contains finding("baseline.shell.rm_recursive_force", concat("", ["hard-denied pattern rm -rf (recursive forced delete): ", concat(" ", argv)])) if {
	some argv in cmd.commands
	shell.program(argv) == "rm"
	rm_recursive(argv)
	rm_force(argv)
}

deny contains finding("baseline.shell.pipe_to_shell", concat("", ["hard-denied pattern pipe-to-shell: output piped into ", quote(prog)])) if {
	some prog in cmd.piped_into
	prog in shell.interpreters
}

deny contains finding(concat("", ["baseline.shell.", rule]), concat("", ["hard-denied pattern ", prog, " (", why, "): ", concat(" ", argv)])) if {
	some argv in cmd.invocations
	prog := shell.program(argv)
	some rule, spec in denied_programs
	matches_program(prog, spec)
	why := spec.why
}

deny contains finding("baseline.shell.nesting_too_deep", "shell wrappers or `sh -c` scripts nest deeper than the baseline can inspect") if {
	cmd.too_deep
}

deny contains finding("baseline.shell.ambiguous_quoting", "escaped or unbalanced quotes: the baseline cannot tell what this command runs") if {
	cmd.ambiguous_quoting
}

deny contains finding("baseline.shell.empty", "shell.exec command runs no program") if {
	command
	count(cmd.commands) == 0
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

deny contains finding("baseline.bounds.min", concat("", [action.kind, ".", name, " = ", show(value), " is below the minimum ", show(spec.min)])) if {
	some name, spec in entry.params
	value := action.params[name]
	is_number(value)
	value < spec.min
}

deny contains finding("baseline.bounds.max", concat("", [action.kind, ".", name, " = ", show(value), " is above the maximum ", show(spec.max)])) if {
	some name, spec in entry.params
	value := action.params[name]
	is_number(value)
	value > spec.max
}

deny contains finding("baseline.catalog.unknown_kind", concat("", ["action kind ", quote(action.kind), " is not in the catalog"])) if {
	not data.catalog[action.kind]
}

finding(rule, reason) := {"rule": rule, "reason": reason}
