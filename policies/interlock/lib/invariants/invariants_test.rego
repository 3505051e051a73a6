package interlock.lib.invariants_test

import data.interlock.lib.invariants
import rego.v1

catalog := {"roaster.set_power": {
	"risk": "low",
	"params": {},
	"effects": {"power": {"param": "value"}, "mode": {"set": "RUNNING"}},
}}

input_at(minute) := {
	"action": {"kind": "roaster.set_power", "target": "roaster-1", "params": {"value": 60}},
	"context": {
		"now": 10000,
		"state": {"power": 40, "fan": 3, "mode": "PREHEATING"},
		"clock": {"minute": minute},
		"history": {"last": {"roaster.set_power": {"at": 6000, "value": 50, "params": {"value": 50}}}},
	},
}

test_kind_and_target_globs if {
	invariants.kind_in(["roaster.*"]) with input as input_at(0)
	not invariants.kind_in(["shell.*"]) with input as input_at(0)
	invariants.target_in(["roaster-?"]) with input as input_at(0)
}

test_next_applies_param_and_set_effects if {
	n := invariants.next with input as input_at(0) with data.catalog as catalog
	n == {"power": 60, "fan": 3, "mode": "RUNNING"}
}

test_ramp_is_units_per_second_since_last if {
	r := invariants.ramp("value") with input as input_at(0)
	r == 2.5
}

test_ramp_is_zero_without_history if {
	r := invariants.ramp("value") with input as object.remove(input_at(0), ["context"])
	r == 0
}

test_within_plain_and_wrapping_windows if {
	invariants.within(60, 120) with input as input_at(90)
	not invariants.within(60, 120) with input as input_at(120)
	invariants.within(1320, 360) with input as input_at(1400)
	invariants.within(1320, 360) with input as input_at(30)
	not invariants.within(1320, 360) with input as input_at(700)
}

test_self_counts_the_proposed_action if {
	invariants.self("roaster.set_*") == 1 with input as input_at(0)
	invariants.self("shell.exec") == 0 with input as input_at(0)
}
