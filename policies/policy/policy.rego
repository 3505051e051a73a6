# METADATA
# title: Autonomy policy
# description: |
#   The effect for an action at the autonomy level in force: allow, require_approval
#   (with count, roles, timeout and, at veto levels, a veto window) or deny. Runs after
#   the baseline, invariants and rate limits; those deny on their own.
package interlock.policy

import data.interlock.lib.shell
import data.interlock.lib.fmt.quote
import data.interlock.lib.fmt.show
import rego.v1

action := input.action

entry := data.catalog[action.kind]

levels := data.autonomy.order

# The level in force, with the radio operating modes accepted as aliases.
level := data.autonomy.aliases[input.context.level] if {
	data.autonomy.aliases[input.context.level]
} else := input.context.level

rank(l) := i if {
	some i, x in levels
	x == l
}

# Whitelist entries in force: every addition at or below the current level.
whitelist contains key if {
	some l, keys in data.autonomy.whitelist
	rank(l) <= rank(level)
	some key in keys
}

# A classified action is looked up as kind:class (shell.exec:safe).
key := sprintf("%s:%s", [action.kind, class]) if {
	class := classification
} else := action.kind

classification := "safe" if {
	action.kind == "shell.exec"
	cmds := shell.all_commands(action.params.command)
	count(cmds) > 0
	every argv in cmds {
		safe_command(argv)
	}
} else := "unclassified" if action.kind == "shell.exec"

safe_command(argv) if {
	some prefix in data.shell.safe_prefixes
	count(argv) >= count(prefix)
	shell.program(argv) == prefix[0]
	array.slice(argv, 1, count(prefix)) == array.slice(prefix, 1, count(prefix))
}

approval_rule := data.autonomy.approval[entry.risk]

approval := {
	"count": approval_rule.count,
	"roles": approval_rule.roles,
	"timeout_seconds": approval_rule.timeout_seconds,
}

veto_approval := object.union(approval, {"count": 0, "veto_window_seconds": data.autonomy.veto_window_seconds})

known_level if rank(level)

automatic if entry.always_allowed

automatic if key in whitelist

automatic if {
	level == "L5"
	not key in {k | some k in data.autonomy.manual_only}
}

# --- the decision: the first matching branch wins -----------------------------

decision := d if {
	not known_level
	d := deny_with("policy.level.unknown", sprintf("autonomy level %s is not one of %s", [quote(object.get(input, ["context", "level"], null)), concat(", ", levels)]))
} else := d if {
	not entry
	d := deny_with("policy.catalog.unknown_kind", sprintf("action kind %s is not in the catalog", [quote(action.kind)]))
} else := d if {
	entry.always_allowed
	d := allow_with("policy.kind.always_allowed", sprintf("%s is always allowed", [action.kind]))
} else := d if {
	level in data.autonomy.recommend_only
	d := {
		"effect": "deny",
		"recommendation": true,
		"reasons": [sprintf("level %s recommends only: recorded as a recommendation, not executed", [level])],
		"rules": ["policy.level.recommend_only"],
	}
} else := d if {
	automatic
	d := allow_with(sprintf("policy.whitelist.%s", [level]), sprintf("%s is automatic at level %s", [key, level]))
} else := d if {
	level in data.autonomy.veto_levels
	entry.risk != "critical"
	d := {
		"effect": "require_approval",
		"approval": veto_approval,
		"reasons": [sprintf("%s at level %s executes after a %s s veto window unless vetoed", [key, level, show(data.autonomy.veto_window_seconds)])],
		"rules": [sprintf("policy.veto.%s", [level])],
	}
} else := {
	"effect": "require_approval",
	"approval": approval,
	"reasons": [sprintf("%s at level %s needs %s approval(s) from %s (risk %s)", [key, level, show(approval.count), concat(" or ", approval.roles), entry.risk])],
	"rules": [sprintf("policy.approval.%s", [entry.risk])],
}

allow_with(rule, reason) := {"effect": "allow", "reasons": [reason], "rules": [rule]}

deny_with(rule, reason) := {"effect": "deny", "reasons": [reason], "rules": [rule]}
