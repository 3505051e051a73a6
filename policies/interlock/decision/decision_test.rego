package interlock.decision_test

import data.interlock.decision
import rego.v1

test_result_gathers_every_step if {
	r := decision.result with input as {
		"action": {"kind": "shell.exec", "target": "ws", "params": {"argv": ["sh", "-c", "sudo rm -rf /"]}},
		"context": {"level": "L5", "now": 0, "history": {"rate": {"actor_actions_per_minute": {"count": 500}}}},
	}
	count(r.baseline) >= 2

	# The shipped invariants compile into the same bundle (interlock policy test includes them).
	"INV.SHELL.NO_PRIVILEGE_ESCALATION" in {v.id | some v in r.invariants}
	count(r.rate_limits) == 1
	r.policy.effect == "require_approval"
}
