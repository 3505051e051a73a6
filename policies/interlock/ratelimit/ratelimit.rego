# METADATA
# title: Rate limits
# description: |
#   At most `max` accepted actions of matching kinds per window. The gateway supplies
#   the count (and the oldest timestamp) for each limit that applies to this action in
#   input.context.history.rate[<limit id>]; this package decides and says when to retry.
package interlock.ratelimit

import data.interlock.lib.fmt
import rego.v1

action := input.action

# A pattern is a kind, or a prefix ending in * (`roaster.set_*`, `*` for every kind).
applies(limit) if action.kind in limit.kinds

applies(limit) if {
	some pattern in limit.kinds
	endswith(pattern, "*")
	startswith(action.kind, trim_suffix(pattern, "*"))
}

exceeded contains finding if {
	some limit in data.rate_limits
	applies(limit)
	window := object.get(input, ["context", "history", "rate", limit.id], {"count": 0})
	window.count >= limit.max
	retry := retry_after(window, limit)
	finding := {
		"rule": concat("", ["ratelimit.", limit.id]),
		"reason": concat("", [
			"rate limit ", limit.id, ": ", fmt.show(window.count), " of ", fmt.show(limit.max),
			" per ", fmt.show(limit.window_seconds), " s used (per ", concat(", ", limit.per),
			"); retry in ", fmt.show(retry), " s",
		]),
		"retry_after_seconds": retry,
	}
}

# Seconds until the oldest counted action leaves the window (the whole window if unknown).
retry_after(window, limit) := ceil(max([left_ms, 0]) / 1000) if {
	window.oldest_at
	left_ms := (window.oldest_at + (limit.window_seconds * 1000)) - input.context.now
} else := limit.window_seconds
