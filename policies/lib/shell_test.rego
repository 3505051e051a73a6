package interlock.lib.shell_test

import data.interlock.lib.shell
import data.interlock.lib.fmt
import rego.v1

test_words_and_unquote if {
	shell.words(`ls 'a b' "c d" e`) == ["ls", "a b", "c d", "e"]
	shell.unquote(`r'm'`) == "rm"
}

test_unwrap if {
	shell.unwrap(["env", "A=1", "nice", "-n", "5", "timeout", "3", "ls", "-l"]) == ["ls", "-l"]
	shell.unwrap(["nohup"]) == []
	shell.unwrap(["ls"]) == ["ls"]
}

test_program if {
	shell.program(["/usr/bin/rm", "-rf"]) == "rm"
	shell.program([]) == ""
}

test_fmt if {
	fmt.show("a") == "a"
	fmt.show(5) == "5"
	fmt.quote("a") == `"a"`
}

test_invocations_keep_every_wrapper if {
	progs := {shell.program(a) | some a in shell.invocations("env FOO=1 sudo -u root rm -rf /")}
	progs == {"env", "sudo", "rm"}
}

test_plain_fast_path_matches_the_regex_path if {
	shell.plain("ls -la ~/")
	not shell.plain("ls | cat")
	not shell.plain("echo 'x'")
	shell.words("ls  -la   ~/") == ["ls", "-la", "~/"]
	shell.segments("ls -la") == ["ls -la"]
	shell.operators("ls -la") == set()
}
