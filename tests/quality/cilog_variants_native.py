"""The fourth tuning batch's compiled ecosystems and the rest: C/C++ and make, Go, Rust, Java
and Maven, shell, Docker and CI configs, each error spell raised by a different program than
the earlier batches' (``cilog_variants.py`` says why and how the logs are written)."""

from __future__ import annotations

from tests.quality.cilog_steps import _MAVEN_POM, PY, Case, Step

_CARGO = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n'
_GO_MOD = "module example.com/app\n\ngo 1.19\n"
_NO_DOCKER = "docker -H unix:///tmp/grimoire-no-docker.sock"


def _case(
    name: str, label: str | None, ecosystem: str, files: dict[str, str], command: str
) -> Case:
    return Case(name, label, Step(name, files, command, ecosystem))


def native_cases() -> list[Case]:
    """The compiled ecosystems, shell, Docker and CI configs."""
    return c_cases() + go_cases() + rust_cases() + java_cases() + shell_cases()


def c_cases() -> list[Case]:
    """gcc/g++ and make: C++ wordings, make wrapping the compiler and the program."""
    return [
        _case(
            "v_cpp_undefined_reference_make",
            "Undefined reference at link time",
            "c",
            {
                "main.cpp": "int helper(int);\nint main() { return helper(2); }\n",
                "helper.cpp": "int helper(int x) { return x; }\n",
                "Makefile": "app: main.o\n\tg++ -o app main.o\n%.o: %.cpp\n\tg++ -Wall -c $<\n",
            },
            "make 2>&1",
        ),
        _case(
            "v_cpp_boost_header_missing",
            "Header file not found",
            "c",
            {"opt.cpp": "#include <boost/optional.hpp>\nint main() { return 0; }\n"},
            "g++ -std=c++17 -fdiagnostics-color=always -c opt.cpp 2>&1",
        ),
        _case(
            "v_cpp_cout_not_declared",
            "Undeclared identifier",
            "c",
            {"hello.cpp": '#include <iostream>\nint main() {\n  cout << "hi";\n}\n'},
            "g++ -Wall hello.cpp -o hello 2>&1",
        ),
        _case(
            "v_c_struct_semicolon",
            "Missing semicolon",
            "c",
            {"point.c": "struct point { int x; int y; }\nint main(void) { return 0; }\n"},
            "gcc -Wall -c point.c 2>&1",
        ),
        _case(
            "v_cpp_no_matching_max",
            "No matching function for call",
            "c",
            {
                "clamp.cpp": "#include <algorithm>\nint main() {\n  int a = 1; long b = 2;\n"
                "  return std::max(a, b);\n}\n"
            },
            "g++ -Wall clamp.cpp -o clamp 2>&1",
        ),
        _case(
            "v_c_multiple_definition_header",
            "Multiple definition at link time",
            "c",
            {
                "config.h": "int verbose = 0;\n",
                "a.c": '#include "config.h"\nint main(void) { return verbose; }\n',
                "b.c": '#include "config.h"\nint flag(void) { return verbose; }\n',
                "Makefile": "app: a.o b.o\n\tgcc -o app a.o b.o\n",
            },
            "make 2>&1",
        ),
        _case(
            "v_cpp_segfault_make_check",
            "Segmentation fault",
            "c",
            {
                "t.cpp": "#include <cstdio>\nstruct Node { int v; Node* next; };\n"
                'int main() {\n  Node* n = nullptr;\n  std::puts("running 3 checks");\n'
                "  return n->next->v;\n}\n",
                "Makefile": "check: t\n\t./t\nt: t.cpp\n\tg++ -O0 -o t t.cpp\n",
            },
            "make check 2>&1",
        ),
        _case(
            "v_cpp_asan_read_overflow",
            "AddressSanitizer: heap buffer overflow",
            "c",
            {
                "buf.cpp": "#include <cstdio>\nint main() {\n  int* a = new int[3]{1, 2, 3};\n"
                "  int s = 0;\n  for (int i = 0; i <= 3; i++) s += a[i];\n"
                '  std::printf("%d\\n", s);\n  delete[] a;\n}\n'
            },
            "g++ -g -fsanitize=address buf.cpp -o buf 2>&1 && ./buf 2>&1",
        ),
        _case(
            "v_c_conflicting_types_header",
            "Conflicting types for a function",
            "c",
            {
                "parse.h": "int parse(char *s);\n",
                "parse.c": '#include "parse.h"\nlong parse(const char *s) { return 0; }\n',
            },
            "gcc -Wall -c parse.c 2>&1",
        ),
        _case(
            "v_c_implicit_werror",
            "Implicit declaration of function",
            "c",
            {"main.c": "int main(void) {\n  return compute_total(3);\n}\n"},
            "gcc -Wall -Werror -c main.c 2>&1",
        ),
        _case(
            "v_c_exp_objects_without_lm",
            "C math library not linked (-lm)",
            "c",
            {
                "stats.c": "#include <math.h>\ndouble grow(double x) { return exp(x); }\n",
                "main.c": "#include <stdio.h>\ndouble grow(double);\n"
                'int main(int c, char **v) { printf("%f\\n", grow(c)); return 0; }\n',
                "Makefile": "app: main.o stats.o\n\tgcc -o app main.o stats.o\n",
            },
            "make 2>&1",
        ),
        _case(
            "v_make_missing_source",
            "make: no rule to make target",
            "c",
            {
                "Makefile": "app: main.o src/net.o\n\tgcc -o app $^\n",
                "main.c": "int main(void){}\n",
            },
            "make 2>&1",
        ),
        _case(
            "v_make_included_separator",
            "Makefile missing separator",
            "c",
            {
                "rules.mk": "lint:\n    echo linting\n",
                "Makefile": "include rules.mk\nall:\n\techo ok\n",
            },
            "make all 2>&1",
        ),
        _case(
            "v_make_recipe_script_fails",
            "Build step failed (make)",
            "c",
            {
                "Makefile": "all: gen\n\techo done\ngen:\n\t@echo generating\n\t@test -d schema\n",
            },
            "make 2>&1",
        ),
        _case(
            "v_neg_c_abort",
            None,
            "c",
            {
                "main.c": "#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n"
                '  fprintf(stderr, "fatal: unexpected state 7\\n");\n  abort();\n}\n'
            },
            "gcc main.c -o app 2>&1 && ./app 2>&1",
        ),
        _case(
            "v_neg_c_double_free",
            None,
            "c",
            {
                "main.c": "#include <stdlib.h>\nint main(void) {\n  char *p = malloc(8);\n"
                "  free(p);\n  free(p);\n  return 0;\n}\n"
            },
            "gcc -O0 main.c -o app 2>&1 && ./app 2>&1",
        ),
    ]


def go_cases() -> list[Case]:
    """Go 1.19: panics inside ``go test``, ``go build ./...``, ``go vet``, subtests."""

    def go(name: str, label: str | None, files: dict[str, str], command: str) -> Case:
        return _case(name, label, "go", {"go.mod": _GO_MOD, **files}, command)

    test = 'package app\n\nimport "testing"\n\n'
    return [
        go(
            "v_go_test_nil_map",
            "Go nil map assignment",
            {
                "cache.go": "package app\n\ntype Cache struct{ items map[string]int }\n\n"
                "func (c *Cache) Put(k string) { c.items[k] = 1 }\n",
                "cache_test.go": test + 'func TestPut(t *testing.T) { (&Cache{}).Put("a") }\n',
            },
            "go test ./... 2>&1",
        ),
        go(
            "v_go_test_nil_pointer_method",
            "Go nil pointer dereference",
            {
                "user.go": "package app\n\ntype User struct{ Name string }\n\n"
                'func (u *User) Greeting() string { return "hi " + u.Name }\n',
                "user_test.go": test + "func TestGreeting(t *testing.T) {\n"
                '\tvar u *User\n\tif u.Greeting() == "" {\n\t\tt.Fail()\n\t}\n}\n',
            },
            "go test -v ./... 2>&1",
        ),
        go(
            "v_go_test_slice_index",
            "Go index out of range",
            {
                "args.go": "package app\n\nfunc Third(xs []string) string { return xs[2] }\n",
                "args_test.go": test
                + 'func TestThird(t *testing.T) { _ = Third([]string{"a"}) }\n',
            },
            "go test ./... 2>&1",
        ),
        go(
            "v_go_test_unused_variable",
            "Go declared and not used",
            {
                "calc.go": "package app\n\nfunc Add(a, b int) int { return a + b }\n",
                "calc_test.go": test + "func TestAdd(t *testing.T) {\n\tgot := Add(1, 2)\n}\n",
            },
            "go test ./... 2>&1",
        ),
        go(
            "v_go_undefined_qualified",
            "Go undefined name",
            {
                "main.go": 'package main\n\nimport (\n\t"fmt"\n\t"strings"\n)\n\n'
                'func main() { fmt.Println(strings.Reverse("abc")) }\n'
            },
            "go vet ./... 2>&1",
        ),
        go(
            "v_go_missing_module",
            "Go package not in module",
            {
                "main.go": 'package main\n\nimport "github.com/pkg/errors"\n\n'
                'func main() { _ = errors.New("x") }\n'
            },
            "GOPROXY=off go build ./... 2>&1",
        ),
        go(
            "v_go_waitgroup_deadlock",
            "Go deadlock, all goroutines are asleep",
            {
                "main.go": 'package main\n\nimport (\n\t"fmt"\n\t"sync"\n)\n\n'
                "func main() {\n\tvar wg sync.WaitGroup\n\twg.Add(2)\n"
                '\tgo func() { defer wg.Done(); fmt.Println("worker done") }()\n\twg.Wait()\n}\n'
            },
            "go run . 2>&1",
        ),
        go(
            "v_go_subtest_fail",
            "Go test failed",
            {
                "parse.go": 'package app\n\nimport "strconv"\n\n'
                "func Parse(s string) int { n, _ := strconv.Atoi(s); return n }\n",
                "parse_test.go": test + "func TestParse(t *testing.T) {\n"
                '\tfor _, c := range []struct{ in string; want int }{{"1", 1}, {"", -1}} {\n'
                '\t\tt.Run("in="+c.in, func(t *testing.T) {\n'
                "\t\t\tif got := Parse(c.in); got != c.want {\n"
                '\t\t\t\tt.Fatalf("Parse(%q) = %d, want %d", c.in, got, c.want)\n'
                "\t\t\t}\n\t\t})\n\t}\n}\n",
            },
            "go test -v ./... 2>&1",
        ),
        go(
            "v_neg_go_slice_bounds",
            None,
            {
                "main.go": 'package main\n\nimport "fmt"\n\nfunc main() {\n'
                "\tb := make([]byte, 3, 3)\n\tn := len(b) + 2\n\tfmt.Println(b[:n])\n}\n"
            },
            "go run . 2>&1",
        ),
        go(
            "v_neg_go_log_fatal",
            None,
            {
                "main.go": 'package main\n\nimport "log"\n\nfunc main() {\n'
                '\tlog.Println("loading config")\n\tlog.Fatalf("config: missing field %q", "region")\n}\n'  # noqa: E501
            },
            "go run . 2>&1",
        ),
    ]


def rust_cases() -> list[Case]:
    """rustc through cargo: ``cargo test``, colour, closures, library ``Err`` values."""

    def rust(name: str, label: str | None, main: str, command: str) -> Case:
        path = "src/lib.rs" if "cargo test" in command else "src/main.rs"
        return _case(name, label, "rust", {"Cargo.toml": _CARGO, path: main}, command)

    return [
        rust(
            "v_rust_moved_into_thread",
            "Rust borrow of moved value",
            'use std::thread;\nfn main() {\n    let names = vec![String::from("a")];\n'
            "    let h = thread::spawn(move || names.len());\n    h.join().unwrap();\n"
            '    println!("{}", names.len());\n}\n',
            "cargo build --offline --color always 2>&1",
        ),
        rust(
            "v_rust_return_mismatch",
            "Rust mismatched types",
            'fn port() -> u16 {\n    "8080"\n}\nfn main() {\n    println!("{}", port());\n}\n',
            "cargo check --offline 2>&1",
        ),
        rust(
            "v_rust_push_immutable",
            "Rust cannot borrow as mutable",
            'fn main() {\n    let v = Vec::new();\n    v.push(1);\n    println!("{:?}", v);\n}\n',
            "cargo build --offline 2>&1",
        ),
        rust(
            "v_cargo_test_unwrap_none",
            "Rust unwrap on None",
            "pub fn first(xs: &[i32]) -> i32 {\n    *xs.first().unwrap()\n}\n\n"
            "#[cfg(test)]\nmod tests {\n    #[test]\n    fn ok() { assert_eq!(super::first(&[1]), 1); }\n"  # noqa: E501
            "    #[test]\n    fn empty() { super::first(&[]); }\n}\n",
            "cargo test --offline 2>&1",
        ),
        rust(
            "v_rust_unwrap_err_read_file",
            "Rust unwrap on Err",
            'fn main() {\n    println!("reading settings");\n'
            '    let s = std::fs::read_to_string("settings.toml").unwrap();\n'
            '    println!("{}", s);\n}\n',
            "cargo run --offline 2>&1",
        ),
        rust(
            "v_cargo_test_index_oob",
            "Rust index out of bounds",
            "pub fn pick(xs: &[u8], i: usize) -> u8 {\n    xs[i]\n}\n\n"
            "#[cfg(test)]\nmod tests {\n    #[test]\n    fn picks() { assert_eq!(super::pick(&[1, 2], 5), 0); }\n}\n",  # noqa: E501
            "cargo test --offline 2>&1",
        ),
        rust(
            "v_rust_missing_function",
            "Rust cannot find a name in this scope",
            'fn main() {\n    let n = parse_count("3");\n    println!("{}", n);\n}\n',
            "cargo build --offline --color always 2>&1",
        ),
        rust(
            "v_neg_rust_subtract_overflow",
            None,
            "fn main() {\n    let a: u32 = std::env::args().count() as u32;\n"
            '    println!("{}", a - 2);\n}\n',
            "cargo run --offline 2>&1",
        ),
        rust(
            "v_neg_rust_process_exit",
            None,
            'fn main() {\n    eprintln!("error: 2 migrations are pending");\n'
            "    std::process::exit(3);\n}\n",
            "cargo run --offline 2>&1",
        ),
    ]


def java_cases() -> list[Case]:
    """javac and java 17, and Maven offline: helpful NPE messages, library frames, Maven."""

    def java(name: str, label: str | None, source: str, command: str = "") -> Case:
        run = command or "javac Main.java 2>&1 && java Main 2>&1"
        return _case(name, label, "java", {"Main.java": source}, run)

    def main(body: str, imports: str = "") -> str:
        return f"{imports}public class Main {{\n  public static void main(String[] a) {{\n{body}  }}\n}}\n"  # noqa: E501

    def maven(name: str, label: str | None, source: str, pom: str) -> Case:
        files = {"pom.xml": pom, "src/main/java/demo/App.java": source}
        return _case(name, label, "java", files, "mvn -B -o compile")

    dependency = (
        "  <dependencies><dependency><groupId>org.grimoire</groupId>"
        "<artifactId>nowhere</artifactId><version>9.9</version></dependency></dependencies>\n"
    )
    return [
        java(
            "v_java_npe_helpful",
            "Java NullPointerException",
            main(
                '    String name = System.getenv("GRIMOIRE_NO_SUCH_VAR");\n'
                "    System.out.println(name.length());\n"
            ),
        ),
        java(
            "v_java_string_index",
            "Java array index out of bounds",
            main('    String code = "ab";\n    System.out.println(code.charAt(5));\n'),
        ),
        java(
            "v_java_cast_raw_list",
            "Java ClassCastException",
            main(
                "    java.util.List raw = new java.util.ArrayList();\n    raw.add(42);\n"
                "    java.util.List<String> names = raw;\n"
                "    String first = names.get(0);\n"
            ),
        ),
        java(
            "v_java_parse_empty",
            "Java NumberFormatException",
            main('    System.out.println(Integer.parseInt(""));\n'),
        ),
        java(
            "v_javac_missing_import",
            "javac cannot find symbol",
            main("    List<String> xs = new ArrayList<>();\n"),
        ),
        java(
            "v_javac_lossy_conversion",
            "javac incompatible types",
            main("    double ratio = 0.5;\n    int pct = ratio * 100;\n"),
        ),
        _case(
            "v_java_main_class_missing",
            "Java class not found",
            "java",
            {"src/Main.java": main('    System.out.println("hi");\n')},
            "mkdir -p build && javac -d build src/Main.java && java -cp build com.example.Main 2>&1",  # noqa: E501
        ),
        java(
            "v_java_map_remove_in_loop",
            "Java ConcurrentModificationException",
            main(
                "    java.util.Map<String, Integer> m = new java.util.HashMap<>();\n"
                '    m.put("a", 1); m.put("b", 2);\n'
                "    for (String k : m.keySet()) { m.remove(k); }\n"
            ),
        ),
        java(
            "v_java_equals_recursion",
            "Java StackOverflowError",
            "public class Main {\n  Main other = this;\n"
            '  public String toString() { return "Main(" + other + ")"; }\n'
            "  public static void main(String[] a) { System.out.println(new Main()); }\n}\n",
        ),
        java(
            "v_java_heap_list",
            "Java heap space (OutOfMemoryError)",
            main(
                "    java.util.List<long[]> keep = new java.util.ArrayList<>();\n"
                "    while (true) keep.add(new long[1 << 16]);\n"
            ),
            "javac Main.java 2>&1 && java -Xmx24m Main 2>&1",
        ),
        maven(
            "v_maven_offline_dependency",
            "Maven could not resolve dependencies or plugins",
            "package demo;\npublic class App {}\n",
            _MAVEN_POM.format(release=17).replace("  <build>", dependency + "  <build>"),
        ),
        maven(
            "v_maven_semicolon_expected",
            "Maven compilation failure",
            "package demo;\npublic class App {\n  int x = 1\n}\n",
            _MAVEN_POM.format(release=17),
        ),
        java(
            "v_javac_release_too_new",
            "JDK older than the requested Java release",
            main('    System.out.println("hi");\n'),
            "javac --release 25 Main.java 2>&1",
        ),
        java(
            "v_neg_java_illegal_state",
            None,
            main('    throw new IllegalStateException("ledger is not balanced: off by 3");\n'),
        ),
        java(
            "v_neg_java_exit_code",
            None,
            main('    System.err.println("2 schema checks failed");\n    System.exit(2);\n'),
        ),
    ]


def shell_cases() -> list[Case]:
    """bash, dash, make running tools, git, the Docker client and CI configs."""
    return [
        _case(
            "v_dash_not_found",
            "Command not found",
            "shell",
            {"ci.sh": "echo 'installing tools'\nkustomizer build overlays/ci\n"},
            "sh ci.sh 2>&1",
        ),
        _case(
            "v_make_script_not_executable",
            "Permission denied running a script",
            "shell",
            {"build.sh": "echo building\n", "Makefile": "all:\n\t./build.sh\n"},
            "chmod -x build.sh; make 2>&1",
        ),
        _case(
            "v_bash_script_not_executable",
            "Permission denied running a script",
            "shell",
            {"deploy.sh": "echo deploying\n"},
            "echo 'deploy to staging'; ./deploy.sh 2>&1",
        ),
        _case(
            "v_git_tag_outside_repo",
            "Not a git repository",
            "shell",
            {},
            "mkdir -p /tmp/grimoire-nogit && cd /tmp/grimoire-nogit && echo 'tagging' && "
            "git tag v1.2.0 2>&1",
        ),
        _case(
            "v_sh_timeout_kill",
            "Process killed (out of memory, exit 137)",
            "shell",
            {"train.sh": "echo 'epoch 1/3'\nexec sleep 30\n"},
            "timeout -s KILL 1 bash train.sh 2>&1",
        ),
        _case(
            "v_bash_crlf_cd",
            "Script has Windows line endings (CRLF)",
            "shell",
            {"release.sh": "set -u\r\ncd build\r\necho packaging\r\nls dist\r\n"},
            "mkdir -p build; bash release.sh 2>&1",
        ),
        _case(
            "v_bash_crlf_sourced_env",
            "Script has Windows line endings (CRLF)",
            "shell",
            {"env.sh": "export APP=web\r\n\r\nexport PORT=8080\r\n"},
            'bash -c \'source ./env.sh && echo "$APP on $PORT" && test "$PORT" = 8080\' 2>&1',
        ),
        _case(
            "v_docker_tcp_pull",
            "Cannot connect to the Docker daemon",
            "docker",
            {},
            "docker -H tcp://127.0.0.1:2375 pull alpine:3.19 2>&1",
        ),
        _case(
            "v_docker_info_no_server",
            "Cannot connect to the Docker daemon",
            "docker",
            {},
            f"{_NO_DOCKER} info 2>&1",
        ),
        _case(
            "v_yaml_missing_colon_gitlab",
            "YAML syntax error",
            "ci",
            {
                ".gitlab-ci.yml": "test:\n  script\n    - make test\n  only: [main]\n",
                "lint.py": "import sys, yaml\nfor p in sys.argv[1:]:\n    print('linting', p)\n"
                "    yaml.safe_load(open(p))\n",
            },
            f"{PY} lint.py .gitlab-ci.yml 2>&1",
        ),
        _case(
            "v_yaml_duplicate_colon",
            "YAML syntax error",
            "ci",
            {
                ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                "    steps:\n      - run: echo key: value: other\n"
            },
            f"{PY} -c \"import yaml; yaml.safe_load(open('.github/workflows/ci.yml'))\" 2>&1",
        ),
        _case(
            "v_neg_sh_missing_artifact",
            None,
            "shell",
            {},
            "echo 'checking build output'; test -f dist/app.js || "
            "{ echo 'dist/app.js is missing: run the bundler first' >&2; exit 1; }",
        ),
        _case(
            "v_neg_git_unknown_revision",
            None,
            "shell",
            {},
            "git init -q repo && cd repo && git -c user.email=a@b -c user.name=ci commit -q "
            "--allow-empty -m init && git diff --stat origin/main...HEAD 2>&1",
        ),
        _case(
            "v_neg_docker_bad_flag",
            None,
            "docker",
            {},
            f"{_NO_DOCKER} build --platfrom linux/amd64 . 2>&1",
        ),
    ]
