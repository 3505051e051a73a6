# METADATA
# title: Decision entrypoint
# description: |
#   The single Wasm entrypoint (interlock/decision/result). It gathers every step's
#   findings; the gateway's pipeline applies them in order with deny-overrides.
#   Invariants compiled from YAML fill data.interlock.invariants.violation.
package interlock.decision

import rego.v1

# METADATA
# title: Decision result
# description: Every step's findings for one proposed action, read by the gateway.
# entrypoint: true
result := {
	"baseline": [f | some f in data.interlock.baseline.deny],
	"invariants": [v | some v in data.interlock.invariants.violation],
	"rate_limits": [f | some f in data.interlock.ratelimit.exceeded],
	"policy": data.interlock.policy.decision,
}
