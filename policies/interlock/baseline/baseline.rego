# METADATA
# title: Baseline
# description: |
#   Hard deny patterns and absolute bounds. Nothing overrides a baseline deny:
#   not the autonomy level, not an approval, not a token. Each finding is
#   {rule, reason}; the pipeline denies when any exist.
package interlock.baseline

import data.interlock.lib.command as cmd
import data.interlock.lib.fmt
import data.interlock.lib.shell
import rego.v1

action := input.action

argv := cmd.argv

syntax := data.shell.syntax

entry := data.catalog[action.kind]

# --- the findings --------------------------------------------------------------

# The shell rules add to shell_deny, which is evaluated for shell.exec only: other kinds do
# not pay for them. Rules about a program look it up in cmd.by_program (the invocations by
# base name) rather than scanning every invocation.
deny contains f if {
	action.kind == "shell.exec"
	some f in shell_deny
}

# Absolute bounds from the catalog.
deny contains finding(
	"baseline.bounds.min",
	concat("", [action.kind, ".", name, " = ", fmt.show(value), " is below the minimum ", fmt.show(spec.min)]),
) if {
	some name, spec in entry.params
	value := action.params[name]
	is_number(value)
	value < spec.min
}

deny contains finding(
	"baseline.bounds.max",
	concat("", [action.kind, ".", name, " = ", fmt.show(value), " is above the maximum ", fmt.show(spec.max)]),
) if {
	some name, spec in entry.params
	value := action.params[name]
	is_number(value)
	value > spec.max
}

deny contains finding(
	"baseline.catalog.unknown_kind",
	concat("", ["action kind ", fmt.quote(action.kind), " is not in the catalog"]),
) if {
	not data.catalog[action.kind]
}

# --- shell.exec: hard deny patterns -----------------------------------------

shell_deny contains finding("baseline.shell.empty", "shell.exec argv runs no program") if {
	not nonempty_argv
}

shell_deny contains finding("baseline.shell.hidden_character", concat(" ", [
	"an argv word holds a control character, a Unicode space, or a zero-width or bidirectional mark:",
	"what it runs cannot be shown as decided",
])) if {
	cmd.hidden_character
}

shell_deny contains finding(
	"baseline.shell.hidden_character",
	"params.cwd holds a control character, a Unicode space, or a zero-width or bidirectional mark",
) if {
	regex.match(cmd.hidden_character_regex, action.params.cwd)
}

# rm -r and rm -rf: the options are read once per rm invocation. Without -f too, since the
# driver's rm has no terminal and no standard input, so it never asks.
shell_deny contains finding(rule, concat("", [why, concat(" ", a)])) if {
	some a in cmd.by_program.rm
	options := rm_options(a)
	shorts := short_flags(options)
	rm_recursive(options, shorts)
	[rule, why] := rm_finding(options, shorts)
}

shell_deny contains finding(
	"baseline.shell.find_delete",
	concat("", ["hard-denied pattern: recursive deletion through find: ", concat(" ", a)]),
) if {
	some a in cmd.by_program.find
	find_deletes(a)
}

shell_deny contains finding(
	"baseline.shell.interpreter_delete",
	concat("", ["hard-denied pattern: ", fmt.quote(prog), " code that deletes or runs a program (", marker, ")"]),
) if {
	some prog, invocations in cmd.by_program
	code_runner(prog)
	some a in invocations
	some w in array.slice(a, 1, count(a))
	some marker in syntax.deletion_markers
	contains(lower(w), marker)
}

shell_deny contains finding(
	"baseline.shell.pipe_to_shell",
	concat("", ["hard-denied pattern pipe-to-shell: output piped into ", fmt.quote(prog)]),
) if {
	some prog in cmd.piped_into
	interpreter(prog)
}

# A script may hold words, quotes, and the operators that separate commands; anything else is
# shell grammar this analysis does not read (globs and braces in a program name, redirections,
# here-strings, subshells, reserved words, functions), so it is denied rather than guessed.
# trim leaves a character outside the set at either end of whatever remains, so a non-empty
# result means the script holds one (a regex would be compiled again on every call in Wasm).
shell_deny contains finding("baseline.shell.script_syntax", concat("", [
	"a shell script uses syntax the baseline does not read (only words, quotes and | ; & between commands are): ",
	fmt.quote(s),
])) if {
	some s in cmd.scripts
	trim(s, script_characters) != ""
}

# Quotes and separators together: the analysis cuts a script at separators before it reads
# quotes, so `"r"m -f ";" -r d` would be read as two commands. And `|&` pipes stderr too.
shell_deny contains finding("baseline.shell.script_syntax", concat("", [
	"a shell script mixes quotes with command separators, or uses |&: ",
	"the baseline cannot tell where its commands start: ",
	fmt.quote(s),
])) if {
	some s in cmd.scripts
	script_quotes_and_separators(s)
}

shell_deny contains finding("baseline.shell.script_syntax", concat("", [
	"a shell script command starts with ", fmt.quote(prog),
	", which the baseline does not read as a program",
])) if {
	some prog in cmd.programs
	script_keyword(prog)
}

# flock FILE -c COMMAND runs COMMAND through a shell.
shell_deny contains finding(
	"baseline.shell.opaque_command",
	"\"flock\" runs a command line given as one string (-c): it cannot be read before it runs",
) if {
	some a in cmd.by_program.flock
	some w in a
	flock_command_option(w)
}

# git runs commands named in its configuration: aliases with "!", pagers, editors, hooks.
shell_deny contains finding(
	"baseline.shell.opaque_command",
	concat("", ["git configuration that runs a command (", fmt.quote(w), ") cannot be read before it runs"]),
) if {
	some a in cmd.by_program.git
	some w in a
	git_runs_command(lower(w))
}

shell_deny contains finding("baseline.shell.script_expansion", concat("", [
	"a shell script that expands parameters or substitutes commands ($, `) runs what cannot be read before it runs: ",
	fmt.quote(s),
])) if {
	some s in cmd.scripts
	some c in {"$", "`"}
	contains(s, c)
}

shell_deny contains finding(
	concat("", ["baseline.shell.", rule]),
	concat("", ["hard-denied pattern ", prog, " (", why, "): ", concat(" ", a)]),
) if {
	some prog, invocations in cmd.by_program
	some rule, spec in denied_programs
	matches_program(prog, spec)
	why := spec.why
	some a in invocations
}

shell_deny contains finding(
	"baseline.shell.opaque_command",
	concat("", [fmt.quote(prog), " runs its arguments as one shell command line, which cannot be read before it runs"]),
) if {
	some prog in cmd.programs
	prog in syntax.opaque_programs
}

shell_deny contains finding(
	option_rule[p.problem],
	concat("", [fmt.quote(p.program), " option ", fmt.quote(p.option), option_why[p.problem]]),
) if {
	some p in cmd.option_problems
}

shell_deny contains finding(
	"baseline.shell.nesting_too_deep",
	"shell wrappers, `sh -c` scripts or `find -exec` nest deeper than the baseline can inspect",
) if {
	cmd.too_deep
}

shell_deny contains finding(
	"baseline.shell.ambiguous_quoting",
	"a shell script has escaped or unbalanced quotes: the baseline cannot tell what it runs",
) if {
	cmd.ambiguous_quoting
}

# xargs hands a deleting program arguments read from a pipe: what it deletes cannot be read.
shell_deny contains finding(
	"baseline.shell.xargs_delete",
	concat("", ["hard-denied pattern: xargs runs ", fmt.quote(shell.program(b)), " with arguments read from its input"]),
) if {
	some a in cmd.by_program.xargs
	some b in shell.chain(a)
	shell.program(b) in deleters
}

# --- what the findings read ------------------------------------------------------

nonempty_argv if {
	count(argv) > 0
	argv[0] != ""
}

default rm_finding(_, _) := [
	"baseline.shell.rm_recursive",
	"hard-denied pattern rm -r (recursive delete; without a terminal rm never asks): ",
]

rm_finding(options, shorts) := [
	"baseline.shell.rm_recursive_force",
	"hard-denied pattern rm -rf (recursive forced delete): ",
] if {
	rm_force(options, shorts)
}

# code_runner(prog): a program whose arguments can be code: interpreters, and editors and
# tools with commands of their own (sed's e, vim's !, sqlite3's .system).
# A shell's -c script is read command by command instead (interlock.lib.shell).
code_runner(prog) if {
	interpreter(prog)
	not prog in syntax.shells
}

code_runner(prog) if prog in syntax.code_runners

# interpreter(prog): a shell or interpreter, also under a versioned name (python3.12, perl5.36.0).
interpreter(prog) if prog in syntax.interpreters

interpreter(prog) if prog in syntax.shells

interpreter(prog) if {
	# Only a name with a dot can be versioned: the cheap test first.
	contains(prog, ".")
	some name in array.concat(syntax.interpreters, syntax.shells)
	startswith(prog, name)
	version := substring(prog, count(name), -1)
	version != ""
	trim(version, "0123456789.-") == ""
}

script_characters := `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:,@%+=~'" |;&-`

script_quotes_and_separators(s) if contains(s, "|&")

script_quotes_and_separators(s) if {
	some q in {`"`, "'", `\`}
	contains(s, q)
	some sep in {"|", ";", "&"}
	contains(s, sep)
}

script_keyword(prog) if prog in script_keywords

# A command word with "=" is an assignment in a script (FOO=1 rm -rf x runs rm).
script_keyword(prog) if contains(prog, "=")

script_keywords := [
	"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "in",
	"function", "select", "coproc", "!", ".", "[[", "]]", "{", "}", "eval", "source", "trap", "alias",
	"unalias", "hash", "enable", "mapfile", "readarray", "export", "declare", "typeset", "local",
	"readonly", "set", "shopt", "unset", "bind", "complete", "fc", "history", "let", "read",
]

flock_command_option("-c")

flock_command_option(w) if {
	startswith(w, "--comm")
	startswith("--command", split(w, "=")[0])
}

flock_command_option(w) if {
	startswith(w, "-")
	not startswith(w, "--")
	contains(w, "c")
}

git_runs_command(w) if contains(w, "=!")

git_runs_command(w) if {
	some key in git_command_keys
	contains(w, key)
}

git_command_keys := {
	"core.pager", "core.sshcommand", "core.editor", "core.fsmonitor", "core.hookspath", "core.gitproxy",
	"sequence.editor", "diff.external", "credential.helper", "pager.", "uploadpack", "receivepack",
	"--upload-pack", "--receive-pack", "--exec=", "--config-env", "gpg.program", "ssh.variant",
}

option_rule := {
	"opaque": "baseline.shell.opaque_command",
	"unknown": "baseline.shell.unknown_option",
	"ambiguous_value": "baseline.shell.ambiguous_option",
}

option_why := {
	"opaque": " takes a whole command line as one string, which cannot be read before it runs",
	"unknown": " is not one the analysis knows: it cannot tell where the wrapped command starts",
	"ambiguous_value": " is the value of the option before it and itself takes a value: the command can be read two ways",
}

# Programs denied outright, by rule id. `prefixes` also catches families such as mkfs.ext4.
denied_programs := {
	"privilege_escalation": {
		"names": [
			"sudo", "sudoedit", "doas", "su", "pkexec", "runuser", "setpriv", "nsenter", "capsh", "chroot",
			"run0", "systemd-run", "machinectl", "unshare", "newgrp", "fakeroot", "fakeroot-sysv", "fakeroot-tcp",
		],
		"prefixes": [],
		"why": "privilege escalation",
	},
	"remote_access": {
		"names": ["ssh", "scp", "sftp", "slogin", "rsh", "rlogin", "rcp", "sshpass", "dbclient", "ssh-agent"],
		"prefixes": [],
		"why": "remote access",
	},
	"disk_write": {
		"names": ["dd", "mkfs", "fdisk", "sfdisk", "cfdisk", "parted", "wipefs", "shred"],
		"prefixes": ["mkfs."],
		"why": "raw disk operation",
	},
}

matches_program(prog, spec) if prog in spec.names

matches_program(prog, spec) if {
	some p in spec.prefixes
	startswith(prog, p)
}

# rm reads -r, -R, --recursive and any unambiguous prefix of it (--recur); -f, --force, --forc.
rm_recursive(_, shorts) if some c in ({"r", "R"} & shorts)

rm_recursive(options, _) if {
	some w in options
	long_prefix_of(w, "--recursive")
}

rm_force(_, shorts) if "f" in shorts

rm_force(options, _) if {
	some w in options
	long_prefix_of(w, "--force")
}

short_flags(options) := {c |
	some w in options
	not startswith(w, "--")
	some c in split(substring(w, 1, -1), "")
}

# rm_options(a) is rm's option words: those before "--" (GNU rm permutes, so options after
# file names count too).
rm_options(a) := {w |
	some i, w in a
	i >= 1
	i < end_of_options(a)
	startswith(w, "-")
	w != "-"
}

end_of_options(a) := min(ends) if {
	ends := {i | some i, w in a; w == "--"}
	count(ends) > 0
} else := count(a)

long_prefix_of(w, option) if {
	count(w) >= 3
	startswith(option, w)
}

# find deletes with -delete, or by running a deleting program through -exec and its kin.
find_deletes(a) if "-delete" in a

find_deletes(a) if {
	some sub in shell.find_execs(a)
	some b in shell.chain(sub)
	shell.program(b) in deleters
}

deleters := {"rm", "rmdir", "unlink", "shred"}

finding(rule, reason) := {"rule": rule, "reason": reason}
