# Catalog constraints: the target states a kind may run in and how fast a setpoint may
# change. They are part of the baseline: no level or approval lifts them.
package interlock.baseline

import data.interlock.lib.fmt.quote
import data.interlock.lib.fmt.show
import rego.v1

state := object.get(input, ["context", "state"], {})

deny contains finding("baseline.constraint.require_state", sprintf("%s requires the target in state %s; its state is unknown", [action.kind, concat(" or ", allowed)])) if {
	allowed := entry.constraints.require_state
	not state.mode
}

deny contains finding("baseline.constraint.require_state", sprintf("%s requires the target in state %s; it is %s", [action.kind, concat(" or ", allowed), show(state.mode)])) if {
	allowed := entry.constraints.require_state
	state.mode
	not state.mode in allowed
}

# A setpoint may move at most ramp_per_second units per second since its last accepted change.
deny contains finding("baseline.constraint.ramp", sprintf("%s.%s would change by %s in %s s; the ramp limit is %s per second", [action.kind, c.param, show(delta), show(round(elapsed * 10) / 10), show(c.per_second)])) if {
	c := entry.constraints.ramp
	last := input.context.history.last[action.kind]
	value := action.params[c.param]
	delta := abs(value - last.value)
	elapsed := max([input.context.now - last.at, 0]) / 1000
	delta > c.per_second * elapsed
}
