package interlock.lib.command_test

import data.interlock.lib.command
import rego.v1

shell_input(argv) := {"action": {"kind": "shell.exec", "params": {"argv": argv}}}

host_analysis(argv) := {
	"argv": argv,
	"invocations": [["env", "rm", "-rf", "/"], ["rm", "-rf", "/"]],
	"scripts": [],
	"script_operators": [],
	"piped_into": [],
	"option_problems": [],
	"too_deep": false,
	"ambiguous_quoting": true,
	"hidden_character": false,
}

test_the_rego_analysis_without_a_supplied_one if {
	argv := ["env", "FOO=1", "bash", "-c", "rm -rf / | sh"]
	r := command.reference with input as shell_input(argv)
	r.invocations == {argv, ["bash", "-c", "rm -rf / | sh"], ["rm", "-rf", "/"], ["sh"]}
	r.scripts == {"rm -rf / | sh"}
	r.script_operators == {"|"}
	r.piped_into == {"sh"}
	r.too_deep == false
	r.ambiguous_quoting == false
	r.hidden_character == false
	command.programs == {"env", "bash", "rm", "sh"} with input as shell_input(argv)
	command.too_deep with input as shell_input(["sh", "-c", "sh -c \"sh -c id\""])
	command.ambiguous_quoting with input as shell_input(["sh", "-c", `echo "a\"b"`])
	command.hidden_character with input as shell_input(["ls", "a\tb"])
}

test_a_supplied_analysis_of_this_argv_is_read if {
	argv := ["env", "rm", "-rf", "/"]
	inp := object.union(shell_input(argv), {"analysis": {"shell": host_analysis(argv)}})
	command.invocations == {["env", "rm", "-rf", "/"], ["rm", "-rf", "/"]} with input as inp
	command.programs == {"env", "rm"} with input as inp
	command.scripts == set() with input as inp
	command.ambiguous_quoting with input as inp
	not command.too_deep with input as inp
}

test_an_analysis_of_another_argv_is_ignored if {
	inp := object.union(shell_input(["sudo", "id"]), {"analysis": {"shell": host_analysis(["ls"])}})
	command.invocations == {["sudo", "id"], ["id"]} with input as inp
}
