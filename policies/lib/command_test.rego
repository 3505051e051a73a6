package interlock.lib.command_test

import data.interlock.lib.command
import rego.v1

shell_input(line) := {"action": {"kind": "shell.exec", "params": {"command": line}}}

host_analysis(line) := {
	"line": line,
	"commands": [["rm", "-rf", "/"]],
	"scripts": [line],
	"invocations": [["env", "rm", "-rf", "/"], ["rm", "-rf", "/"]],
	"operators": [],
	"piped_into": [],
	"too_deep": false,
	"ambiguous_quoting": true,
}

test_the_rego_analysis_without_a_supplied_one if {
	r := command.reference with input as shell_input("env FOO=1 bash -c 'rm -rf /' | sh")
	r.commands == {["bash", "-c", "rm -rf /"], ["rm", "-rf", "/"], ["sh"]}
	r.operators == {"|"}
	r.piped_into == {"sh"}
	r.too_deep == false
	r.ambiguous_quoting == false
	command.commands == r.commands with input as shell_input("env FOO=1 bash -c 'rm -rf /' | sh")
	command.too_deep with input as shell_input(`sh -c "sh -c 'sh -c id'"`)
	command.ambiguous_quoting with input as shell_input(`echo "a\"b"`)
}

test_a_supplied_analysis_of_this_line_is_read if {
	line := "env rm -rf /"
	inp := object.union(shell_input(line), {"analysis": {"shell": host_analysis(line)}})
	command.commands == {["rm", "-rf", "/"]} with input as inp
	command.invocations == {["env", "rm", "-rf", "/"], ["rm", "-rf", "/"]} with input as inp
	command.scripts == {line} with input as inp
	command.operators == set() with input as inp
	command.piped_into == set() with input as inp
	command.ambiguous_quoting with input as inp
	not command.too_deep with input as inp
}

test_an_analysis_of_another_line_is_ignored if {
	inp := object.union(shell_input("sudo id"), {"analysis": {"shell": host_analysis("ls")}})
	command.commands == {["id"]} with input as inp
	command.invocations == {["sudo", "id"], ["id"]} with input as inp
}
