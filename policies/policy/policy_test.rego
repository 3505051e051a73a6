package interlock.policy_test

import data.interlock.policy
import rego.v1

act(kind, params, level) := {"action": {"kind": kind, "target": "t", "params": params}, "context": {"level": level, "now": 0}}

effect(kind, params, level) := e if {
	e := policy.decision.effect with input as act(kind, params, level)
}

test_l1_l2_recommend_only if {
	every level in ["L1", "L2"] {
		d := policy.decision with input as act("roaster.set_power", {"value": 10}, level)
		d.effect == "deny"
		d.recommendation == true
		d.rules == ["policy.level.recommend_only"]
	}
}

test_l3_requires_approval_for_everything_but_abort if {
	every kind in ["roaster.set_power", "roaster.set_fan", "roaster.set_drum", "roaster.cooling_cycle", "roaster.emergency_shutdown"] {
		effect(kind, {}, "L3") == "require_approval"
	}
	effect("roaster.abort", {}, "L3") == "allow"
}

test_abort_always_allowed if {
	every level in ["L1", "L2", "L3", "L3+", "L4", "L4+", "L5"] {
		effect("roaster.abort", {}, level) == "allow"
	}
}

test_l3_plus_whitelist if {
	effect("roaster.set_power", {"value": 10}, "L3+") == "allow"
	effect("roaster.set_fan", {"value": 3}, "L3+") == "allow"
	effect("roaster.set_drum", {"rpm": 60}, "L3+") == "require_approval"
}

test_l4_veto_window if {
	effect("roaster.set_drum", {"rpm": 60}, "L4") == "allow"
	d := policy.decision with input as act("roaster.cooling_cycle", {}, "L4")
	d.effect == "require_approval"
	d.approval.count == 0
	d.approval.veto_window_seconds == 30
}

test_critical_needs_two_approvers_even_at_veto_levels if {
	d := policy.decision with input as act("roaster.preheat", {"target_temp": 200}, "L4")
	d.effect == "require_approval"
	d.approval.count == 2
	not d.approval.veto_window_seconds
	effect("roaster.preheat", {"target_temp": 200}, "L4+") == "allow"
}

test_l5_allows_all_but_manual_only if {
	effect("roaster.emergency_shutdown", {}, "L5") == "allow"
	effect("shell.exec", {"command": "make build"}, "L5") == "require_approval"
	effect("shell.exec", {"command": "ls"}, "L5") == "allow"
}

test_shell_classification if {
	effect("shell.exec", {"command": "which git"}, "L3+") == "allow"
	effect("shell.exec", {"command": "brew install node"}, "L3+") == "allow"
	effect("shell.exec", {"command": "brew uninstall node"}, "L3+") == "require_approval"
	effect("shell.exec", {"command": "nice ls -la"}, "L3+") == "allow"
	effect("shell.exec", {"command": "sh -c 'ls'"}, "L3+") == "require_approval"
	effect("shell.exec", {"command": "ls"}, "L3") == "require_approval"
}

test_radio_mode_aliases if {
	effect("roaster.set_power", {"value": 1}, "manual_assist") == "deny"
	effect("roaster.set_power", {"value": 1}, "semi_auto") == "require_approval"
	effect("roaster.set_drum", {"rpm": 1}, "auto_with_human_override") == "allow"
	effect("roaster.preheat", {"target_temp": 150}, "full_auto_guardrailed") == "allow"
	effect("roaster.emergency_shutdown", {}, "lights_out_overnight") == "allow"
}

test_unknown_level_and_kind_deny if {
	d := policy.decision with input as act("roaster.set_power", {"value": 1}, "L9")
	d.rules == ["policy.level.unknown"]
	d2 := policy.decision with input as act("nope.kind", {}, "L3")
	d2.rules == ["policy.catalog.unknown_kind"]
}

test_missing_level_denies if {
	d := policy.decision with input as {"action": {"kind": "roaster.set_power", "params": {"value": 1}}}
	d.effect == "deny"
}

test_approval_by_risk if {
	low := policy.decision with input as act("roaster.set_power", {"value": 1}, "L3")
	low.approval == {"count": 1, "roles": ["operator", "admin"], "timeout_seconds": 300}
	high := policy.decision with input as act("shell.exec", {"command": "make"}, "L3")
	high.approval.timeout_seconds == 600
}
