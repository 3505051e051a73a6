# Catalog constraints: the target states a kind may run in and how fast a setpoint may
# change. They are part of the baseline: no level or approval lifts them.
package interlock.baseline

import data.interlock.lib.fmt
import data.interlock.lib.invariants
import rego.v1

state := object.get(input, ["context", "state"], {})

deny contains finding(
	"baseline.constraint.require_state",
	concat("", [action.kind, " requires the target in state ", concat(" or ", allowed), "; its state is unknown"]),
) if {
	allowed := entry.constraints.require_state
	not state.mode
}

deny contains finding(
	"baseline.constraint.require_state",
	concat("", [action.kind, " requires the target in state ", concat(" or ", allowed), "; it is ", fmt.show(state.mode)]),
) if {
	allowed := entry.constraints.require_state
	state.mode
	not state.mode in allowed
}

# A setpoint may move at most ramp_per_second units per second since its last accepted change.
deny contains finding("baseline.constraint.ramp", concat("", [
	action.kind, ".", c.param, " would change by ", fmt.show(delta), " in ", fmt.show(round(elapsed * 10) / 10),
	" s; the ramp limit is ", fmt.show(c.per_second), " per second",
])) if {
	c := entry.constraints.ramp
	last := input.context.history.last[action.kind]
	value := action.params[c.param]
	delta := abs(value - last.value)
	elapsed := max([input.context.now - last.at, 0]) / 1000
	invariants.num(delta) > invariants.num(c.per_second * elapsed)
}

# Who may propose the kind at all: an entry with proposer_roles is refused to every other role,
# whatever the level (an agent must not author a restore of old content, say).
deny contains finding(
	"baseline.constraint.proposer_roles",
	concat("", [
		action.kind, " is proposed by ", concat(" or ", allowed), " only; ",
		fmt.show(object.get(input, ["actor", "id"], null)), " is ", concat(" and ", roles),
	]),
) if {
	allowed := entry.proposer_roles
	roles := [r | some r in object.get(input, ["actor", "roles"], [])]
	every r in roles {
		not r in allowed
	}
}
