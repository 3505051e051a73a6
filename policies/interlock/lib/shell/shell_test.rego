package interlock.lib.shell_test

import data.interlock.lib.fmt
import data.interlock.lib.shell
import rego.v1

test_words_and_unquote if {
	shell.words(`ls 'a b' "c d" e`) == ["ls", "a b", "c d", "e"]
	shell.unquote(`r'm'`) == "rm"
}

test_unwrap_reads_each_wrapper_s_options if {
	shell.chain(["env", "A=1", "nice", "-n", "5", "timeout", "3", "ls", "-l"])[3] == ["ls", "-l"]
	shell.unwrap1(["nohup"]) == []
	shell.unwrap1(["ls"]) == ["ls"]
	shell.unwrap1(["env", "-iu", "X", "ls"]) == ["ls"]
	shell.unwrap1(["env", "-iuX", "ls"]) == ["ls"]
	shell.unwrap1(["env", "--unset", "X", "ls"]) == ["ls"]
	shell.unwrap1(["env", "--uns=X", "ls"]) == ["ls"]
	shell.unwrap1(["stdbuf", "--output", "L", "ls"]) == ["ls"]
	shell.unwrap1(["ionice", "--class", "3", "ls"]) == ["ls"]
	shell.unwrap1(["nice", "-n", "-5", "ls"]) == ["ls"]
	shell.unwrap1(["nice", "--", "-ls"]) == ["-ls"]
}

test_long_options_resolve_unique_prefixes if {
	spec := data.shell.syntax.wrappers.env
	shell.resolve_long("split", spec) == "split-string"
	shell.resolve_long("unset", spec) == "unset"
	not shell.resolve_long("i", spec) # ignore-environment and ignore-signal
	shell.word_kind("--split", spec) == "opaque"
	shell.word_kind("-S", spec) == "opaque"
	shell.word_kind("-iS", spec) == "opaque"
	shell.word_kind("-u", spec) == "value_next"
	shell.word_kind("-uX", spec) == "value_inline"
	shell.word_kind("-x", spec) == "unknown"
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
	progs := {shell.program(a) | some a in shell.invocations(["env", "FOO=1", "nice", "-n", "5", "rm", "-rf", "/"])}
	progs == {"env", "nice", "rm"}
}

test_shell_scripts_are_found_after_the_options if {
	shell.c_script(["bash", "-c", "--", "x"]) == "x"
	shell.c_script(["bash", "-e", "-c", "x"]) == "x"
	shell.c_script(["bash", "-o", "errexit", "-c", "x"]) == "x"
	shell.c_script(["sh", "-euxc", "x", "arg0"]) == "x"
	not shell.c_script(["bash", "script.sh", "-c", "x"])
}

test_find_exec_runs_its_command if {
	shell.find_execs(["find", ".", "-exec", "rm", "-rf", "{}", ";", "-print"]) == {["rm", "-rf", "{}"]}
	shell.find_execs(["find", ".", "-execdir", "ls", "{}", "+"]) == {["ls", "{}"]}
}

test_plain_fast_path_matches_the_regex_path if {
	shell.plain("ls -la ~/")
	not shell.plain("ls | cat")
	not shell.plain("echo 'x'")
	shell.words("ls  -la   ~/") == ["ls", "-la", "~/"]
	shell.segments("ls -la") == ["ls -la"]
	shell.operators("ls -la") == set()
}
