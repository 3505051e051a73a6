# METADATA
# title: Autonomy policy
# description: |
#   The effect for an action at the autonomy level in force: allow, require_approval
#   (with count, roles, timeout and, at veto levels, a veto window) or deny. Runs after
#   the baseline, invariants and rate limits; those deny on their own.
package interlock.policy

import data.interlock.lib.command as cmd
import data.interlock.lib.fmt
import rego.v1

action := input.action

entry := data.catalog[action.kind]

levels := data.autonomy.order

# The level in force, with the radio operating modes accepted as aliases.
level := data.autonomy.aliases[input.context.level] if {
	data.autonomy.aliases[input.context.level]
} else := input.context.level

# Each level's position in the order, computed once per decision (a function would be
# re-run at every call: Wasm memoizes rules, not functions).
ranks[x] := i if some i, x in levels

# Whitelist entries in force: every addition at or below the current level.
whitelist contains key if {
	some l, keys in data.autonomy.whitelist
	ranks[l] <= ranks[level]
	some key in keys
}

# A classified action is looked up as kind:class (shell.exec:safe).
key := concat("", [action.kind, ":", classification]) if {
	classification
} else := action.kind

# Safe (automatic where shell.exec:safe is whitelisted) is decided on argv alone: argv[0] is
# an absolute path directly inside a system binary directory, its base name and the words
# after it match a safe prefix, and a package install names packages, not URLs or files.
# Wrappers, shells and interpreters are never safe, since they are not safe prefixes.
classification := "safe" if {
	action.kind == "shell.exec"
	safe_argv(cmd.argv)
} else := "unclassified" if {
	action.kind == "shell.exec"
}

safe_argv(argv) if {
	name := system_binary(argv[0])
	some prefix in data.shell.safe_prefixes
	prefix[0] == name
	count(argv) >= count(prefix)
	array.slice(argv, 1, count(prefix)) == array.slice(prefix, 1, count(prefix))
	safe_arguments(array.slice(argv, count(prefix), count(argv)), prefix)
}

# system_binary(path) is the base name of a program directly inside a system binary directory.
system_binary(path) := name if {
	some dir in data.shell.system_bin_dirs
	startswith(path, dir)
	name := substring(path, count(dir), -1)
	name != ""
	not contains(name, "/")
	not name in {".", ".."}
}

safe_arguments(_, prefix) if not prefix in data.shell.package_name_prefixes

safe_arguments(args, prefix) if {
	prefix in data.shell.package_name_prefixes
	every w in args {
		package_name(w)
	}
}

# A package name: letters and digits with . _ + - @ inside, ending in a letter or digit (apt
# reads a trailing - as "remove" and + as "install"), no option, path, URL, pattern or local
# package file.
package_name(w) if {
	regex.match(`^[A-Za-z0-9@][A-Za-z0-9@._+-]*[A-Za-z0-9]$`, w)
	not contains(w, "..")
	every suffix in {".deb", ".rpm", ".rb", ".tar", ".gz", ".tgz", ".zip", ".whl", ".pkg"} {
		not endswith(w, suffix)
	}
}

approval_rule := data.autonomy.approval[entry.risk]

approval := {
	"count": approval_rule.count,
	"roles": approval_rule.roles,
	"timeout_seconds": approval_rule.timeout_seconds,
}

veto_approval := object.union(
	approval,
	{"count": 0, "veto_window_seconds": data.autonomy.veto_window_seconds},
)

known_level if ranks[level]

automatic if entry.always_allowed

automatic if key in whitelist

automatic if {
	level == "L5"
	not key in data.autonomy.manual_only
}

# --- the decision: the first matching branch wins -----------------------------

decision := unknown_level if {
	not known_level
} else := unknown_kind if {
	not entry
} else := allow_with("policy.kind.always_allowed", concat("", [action.kind, " is always allowed"])) if {
	entry.always_allowed
} else := recommendation if {
	level in data.autonomy.recommend_only
} else := allow_with(concat("", ["policy.whitelist.", level]), concat("", [key, " is automatic at level ", level])) if {
	automatic
} else := veto if {
	level in data.autonomy.veto_levels
	entry.risk != "critical"
} else := needs_approval

# The branches' decisions, named so that the order above reads at a glance. Each is computed
# only when its branch is reached.
unknown_level := deny_with("policy.level.unknown", concat("", [
	"autonomy level ", fmt.quote(object.get(input, ["context", "level"], null)),
	" is not one of ", concat(", ", levels),
]))

unknown_kind := deny_with(
	"policy.catalog.unknown_kind",
	concat("", ["action kind ", fmt.quote(action.kind), " is not in the catalog"]),
)

recommendation := {
	"effect": "deny",
	"recommendation": true,
	"reasons": [concat("", ["level ", level, " recommends only: recorded as a recommendation, not executed"])],
	"rules": ["policy.level.recommend_only"],
}

veto := {
	"effect": "require_approval",
	"approval": veto_approval,
	"reasons": [concat("", [
		key, " at level ", level, " executes after a ",
		fmt.show(data.autonomy.veto_window_seconds), " s veto window unless vetoed",
	])],
	"rules": [concat("", ["policy.veto.", level])],
}

needs_approval := {
	"effect": "require_approval",
	"approval": approval,
	"reasons": [concat("", [
		key, " at level ", level, " needs ", fmt.show(approval.count), " approval(s) from ",
		concat(" or ", approval.roles), " (risk ", entry.risk, ")",
	])],
	"rules": [concat("", ["policy.approval.", entry.risk])],
}

allow_with(rule, reason) := {"effect": "allow", "reasons": [reason], "rules": [rule]}

deny_with(rule, reason) := {"effect": "deny", "reasons": [reason], "rules": [rule]}
