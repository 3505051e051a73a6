package interlock.ratelimit_test

import data.interlock.ratelimit
import rego.v1

inp(kind, rate) := {
	"action": {"kind": kind, "target": "roaster-1", "params": {}},
	"context": {"level": "L3", "now": 100000, "history": {"rate": rate}},
}

per_minute(n) := {"roaster_commands_per_minute": {"count": n, "oldest_at": 50000}}

test_under_limit if {
	count(ratelimit.exceeded) == 0 with input as inp("roaster.set_power", per_minute(29))
}

test_at_limit_denies_with_retry_after if {
	got := ratelimit.exceeded with input as inp("roaster.set_power", per_minute(30))
	some f in got
	f.rule == "ratelimit.roaster_commands_per_minute"
	f.retry_after_seconds == 10
}

test_retry_after_without_timestamp_is_the_window if {
	some f in ratelimit.exceeded with input as inp("roaster.set_fan", {"roaster_commands_per_minute": {"count": 31}})
	f.retry_after_seconds == 60
}

test_limit_applies_only_to_matching_kinds if {
	count(ratelimit.exceeded) == 0 with input as inp("roaster.abort", {"roaster_commands_per_minute": {"count": 99}})
	some f in ratelimit.exceeded with input as inp("roaster.abort", {"actor_actions_per_minute": {"count": 120}})
	f.rule == "ratelimit.actor_actions_per_minute"
}
