# METADATA
# title: Invariant helpers
# description: |
#   What the generated package interlock.invariants calls: scope matching, the projected
#   next state, the last completed values, rate of change, time-of-day windows.
package interlock.lib.invariants

import data.interlock.lib.command
import rego.v1

# num(x): a number as a whole count of millionths; any other value unchanged. Invariants and
# the ramp constraint compare numbers this way: OPA's Go evaluator and its Wasm runtime round a
# sum such as 1.1 + 0.2 differently (1.1 + 0.2 <= 1.3 is false in one and true in the other),
# and on the 10^-6 grid both agree. Limits finer than a millionth are not representable.
num(x) := round(x * 1000000) if {
	is_number(x)
} else := x

# runs_any(names): the shell.exec argv runs one of these programs (base names), anywhere in it.
runs_any(names) if {
	some p in command.programs
	p in names
}

kind_in(patterns) if {
	some p in patterns
	glob.match(p, null, input.action.kind)
}

target_in(patterns) if {
	some p in patterns
	glob.match(p, null, input.action.target)
}

entry := object.get(data.catalog, input.action.kind, {})

state := object.get(input, ["context", "state"], {})

# The target's state after the action, as the catalog's effects describe it.
next := object.union(state, {field: v |
	some field, effect in object.get(entry, "effects", {})
	v := effect_value(effect)
})

effect_value(effect) := input.action.params[effect.param]

effect_value(effect) := effect.set

# The last completed action of this kind on this target (params, value, at).
last := input.context.history.last[input.action.kind]

# Units per second between the last completed value and the proposed one; 0 with no history.
ramp(p) := r if {
	r := abs(input.action.params[p] - last.params[p]) / max([(input.context.now - last.at) / 1000, 0.001])
} else := 0

minute := input.context.clock.minute

# Whether the clock is in [from, to), minutes of the day; a window may wrap past midnight.
within(from, to) if {
	from <= to
	minute >= from
	minute < to
}

within(from, to) if {
	from > to
	minute >= from
}

within(from, to) if {
	from > to
	minute < to
}

# 1 when the proposed action is of the kind the pattern names: it counts toward "at most N".
self(pattern) := 1 if {
	glob.match(pattern, null, input.action.kind)
} else := 0

# Whether s contains any of the words: a cheap test that lets a regex be skipped.
contains_any(s, words) if {
	some w in words
	contains(s, w)
}
