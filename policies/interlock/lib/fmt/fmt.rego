# METADATA
# title: Message formatting
# description: |
#   The Wasm host's sprintf understands only %s/%d-style verbs, unlike Go's. Policies
#   format every value through show(), so messages read the same under `opa test` and Wasm.
package interlock.lib.fmt

import rego.v1

# show(x) is x when it is a string, else its JSON text.
show(x) := x if is_string(x)

show(x) := json.marshal(x) if not is_string(x)

# quote(x) is x's JSON text (strings in double quotes).
quote(x) := json.marshal(x)
