"""More tuning material for the CI log corpus: broken builds that only ever land in tuning.

The held-out part of ``cilogs.json.gz`` is never looked at log by log, so rules can only be
improved by tuning on more varied material. These failing steps are new broken programs run
for real on this machine (like ``cilogs.py``), each built around a class of issue 13 with a
variation the first corpus lacks: warnings printed inside the failing step before the failure
(pip retrying a dead mirror, ``DeprecationWarning``, ``npm warn deprecated``, compiler and
cargo warnings), tolerated errors in the same step (an ignored ``mkdir``, a handled traceback
logged, "Connection refused" in passing output), cascades (conflict markers then the errors
they cause, a failed install then the import error), generic-vs-specific spell pairs, split or
reworded formats (node's test runner, Node 20's JSON messages), duplicate reports (pytest's
``E`` line, its short summary and the warnings summary), and negatives no starter spell
explains.

They are written to ``cilogs_tuning.json.gz`` with ``held_out`` false and ``tuning_only``
true whatever their name hashes to: the held-out part stays the one decided before any result.

Run: ``python -m tests.quality.cilog_tuning`` (about 2 minutes; needs gcc, node/npm, javac,
cargo).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.quality.cilog_steps import (
    _CONFLICT,
    _MAVEN_POM,
    _SLOW_SERVER,
    NOISE,
    PY,
    Case,
    Step,
)
from tests.quality.cilogs import (
    WRAPPERS,
    Run,
    _Clock,
    _install_tsc,
    _job_steps,
    _scrub,
    _shell_status,
    _slow_server,
    run_step,
)

OUT = Path(__file__).with_name("cilogs_tuning.json.gz")

_PIP_RETRY = (
    f"{PY} -m pip install --dry-run --ignore-installed --no-cache-dir --progress-bar off"
    f" --retries 1 --timeout 1 --index-url http://{_SLOW_SERVER}/simple"
    " --extra-index-url https://pypi.org/simple 'six==1.16.0' 2>&1; "
)
"""pip retrying a dead mirror, then installing from the next index: warnings, no failure."""
_PIP_RETRY_FAILS = (
    f"{PY} -m pip download --no-deps --no-cache-dir --progress-bar off -d dl --retries 1"
    f" --timeout 1 --index-url http://{_SLOW_SERVER}/simple 'six==1.16.0' 2>&1; "
)
"""pip retrying a dead mirror and giving up: an error the step then goes on from."""
_DEPRECATION = (
    f'{PY} -W default -c "import warnings; '
    "warnings.warn('pkg_resources is deprecated as an API', DeprecationWarning)\" 2>&1; "
)
_MKDIR = "mkdir /proc/build-cache 2>&1 || echo 'no cache, continuing'; "
_NPM_DEPRECATED = "npm install --no-audit --no-fund --loglevel warn uuid@3.4.0 2>&1 | tail -5; "
_HANDLED = (
    f'{PY} -c "import logging; logging.basicConfig()\n'
    "try:\n    raise ConnectionRefusedError(111, 'Connection refused')\n"
    "except OSError:\n    logging.getLogger('db').exception('retrying in 1s')\nprint('connected')\""
    " 2>&1; "
)


def _py(name: str, label: str | None, body: str, prefix: str = "") -> Case:
    return Case(name, label, Step(name, {"job.py": body}, f"{prefix}{PY} job.py 2>&1", "python"))


def _node(
    name: str, label: str | None, files: dict[str, str], command: str, prefix: str = ""
) -> Case:
    return Case(name, label, Step(name, files, prefix + command, "node"))


def _pytest_files(body: str) -> dict[str, str]:
    return {
        "tests/test_app.py": "import warnings\n\n"
        + "".join(f"def test_ok_{i}():\n    assert {i} >= 0\n\n" for i in range(25))
        + "def test_warns():\n    warnings.warn('utcnow() is deprecated', DeprecationWarning)\n\n"
        + body
    }


def tuning_cases() -> list[Case]:
    """The extra failing steps, each labelled with the starter spell that explains it."""
    return _first_cases() + _more_cases() + _coverage_cases() + _resource_cases()


def _resource_cases() -> list[Case]:
    """The fourth batch: resources and dependency trees (memory, disk, signals, ERESOLVE)."""
    return [
        _node(
            "t_npm_eresolve_fails",
            "npm dependency tree conflict (ERESOLVE)",
            {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
            "npm install --no-audit --no-fund --dry-run react@17.0.2 react-dom@18.2.0 2>&1",
            _NPM_DEPRECATED,
        ),
        _c(
            "t_c_asan_overflow",
            "AddressSanitizer: heap buffer overflow",
            {
                "main.c": "#include <stdlib.h>\nint main(void) {\n  int unused;\n"
                "  int *a = malloc(4 * sizeof(int));\n  a[4] = 1;\n  free(a);\n  return 0;\n}\n"
            },
            "gcc -g -Wall -fsanitize=address main.c -o app 2>&1 && ./app 2>&1",
        ),
        _node(
            "t_node_heap_oom",
            "Node ran out of heap memory",
            {
                "app.js": "console.warn('(node) warning: cache size not set');\nconst a = [];\n"
                "for (;;) a.push(new Array(100000).fill(1));\n"
            },
            "node --max-old-space-size=24 app.js 2>&1",
        ),
        _py(
            "t_py_killed_137",
            "Process killed (out of memory, exit 137)",
            "import os, signal\nprint('loading 40000 rows')\nos.kill(os.getpid(), signal.SIGKILL)\n",  # noqa: E501
            _DEPRECATION,
        ),
        Case(
            "t_sh_no_space",
            "No space left on device",
            Step(
                "t_sh_no_space",
                {},
                _MKDIR + "dd if=/dev/zero of=/dev/full bs=1k count=1 2>&1",
                "shell",
            ),
        ),
        Case(
            "t_maven_package_missing",
            "Maven compilation failure",
            Step(
                "t_maven_package_missing",
                {
                    "pom.xml": _MAVEN_POM.format(release=17),
                    "src/main/java/demo/App.java": "package demo;\nimport org.grimoire.Missing;\n"
                    "public class App {}\n",
                },
                "mvn -B -o compile",
                "java",
            ),
        ),
        _py(
            "t_py_upload_rejected_after_retry",
            None,
            "import sys\nprint('uploading report')\n"
            "sys.stderr.write('upload rejected: report exceeds 5 MB\\n')\nsys.exit(1)\n",
            _PIP_RETRY_FAILS,
        ),
    ]


def _c(name: str, label: str, files: dict[str, str], command: str) -> Case:
    return Case(name, label, Step(name, files, command, "c"))


def _rust(name: str, label: str, main: str, command: str = "cargo run --offline 2>&1") -> Case:
    cargo = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n'
    return Case(
        name, label, Step(name, {"Cargo.toml": cargo, "src/main.rs": main}, command, "rust")
    )


def _go(name: str, label: str, main: str, command: str = "go run . 2>&1") -> Case:
    files = {"go.mod": "module example.com/app\n\ngo 1.19\n", "main.go": main}
    return Case(name, label, Step(name, files, command, "go"))


def _java(name: str, label: str, main: str) -> Case:
    files = {"Main.java": main}
    return Case(name, label, Step(name, files, "javac Main.java 2>&1 && java Main 2>&1", "java"))


def _coverage_cases() -> list[Case]:
    """The third batch: one broken build for each error spell the tuning part had no log of,
    each with a warning or a tolerated error before it (chosen by coverage, not by misses)."""
    return [
        _py(
            "t_py_none_subscript",
            "NoneType object is not subscriptable",
            "def load():\n    return None\nprint(load()['name'])\n",
            _HANDLED,
        ),
        _py(
            "t_py_missing_argument",
            "Function called with the wrong number of arguments",
            "def connect(host, port):\n    return host, port\nprint(connect('db'))\n",
            _DEPRECATION,
        ),
        _py(
            "t_py_unpack",
            "Unpacking the wrong number of values",
            "host, port = 'db:5432:extra'.split(':')\n",
            _MKDIR,
        ),
        _py(
            "t_py_indentation",
            "Indentation error",
            "def f():\n    x = 1\n      return x\n",
            _DEPRECATION,
        ),
        Case(
            "t_pytest_syntax_error",
            "Python syntax error",
            Step(
                "t_pytest_syntax_error",
                {**_pytest_files(""), "tests/test_parse.py": "def test_p():\n    print('x'\n"},
                f"{PY} -m pytest -q -p no:cacheprovider -W default tests 2>&1",
                "python",
            ),
        ),
        _py(
            "t_py_unicode_decode",
            "Unicode decode error",
            "print(open('data.txt', encoding='utf-8').read())\n",
            "printf 'caf\\xe9\\n' > data.txt; " + _DEPRECATION,
        ),
        _node(
            "t_node_cannot_find_module",
            "Node cannot find module",
            {"app.js": "const x = require('grimoire-express-nowhere');\n"},
            "node app.js 2>&1",
            _NPM_DEPRECATED,
        ),
        _node(
            "t_node_call_stack",
            "Maximum call stack size exceeded",
            {
                "app.js": "console.warn('Warning: deprecated option');\n"
                "function walk(n) { return walk(n + 1) + 1; }\nwalk(0);\n"
            },
            "node app.js 2>&1",
        ),
        _node(
            "t_node_port_in_use",
            "Port already in use (EADDRINUSE)",
            {
                "app.js": "const net = require('net');\nconst a = net.createServer().listen(47990,"
                " () => { console.log('api on 47990'); net.createServer().listen(47990); });\n"
            },
            "node app.js 2>&1",
        ),
        _node(
            "t_npm_e404",
            "npm package not found (E404)",
            {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
            "npm install --no-audit --no-fund grimoire-no-such-package-e404 2>&1",
            _NPM_DEPRECATED,
        ),
        Case(
            "t_ts_not_assignable",
            "TypeScript: type is not assignable",
            Step(
                "t_ts_not_assignable",
                {"src/port.ts": "export const port: number = '8080';\n"},
                "TSC --noEmit src/port.ts 2>&1",
                "node",
            ),
        ),
        _c(
            "t_c_header_missing",
            "Header file not found",
            {
                "main.c": "#include <grimoire_missing.h>\nint main(void) { return 0; }\n",
                "util.c": "int u(void) { int spare; return 0; }\n",
                "Makefile": "app: util.o main.o\n\tcc -o app util.o main.o\n"
                "%.o: %.c\n\tcc -Wall -c $<\n",
            },
            "make 2>&1",
        ),
        _c(
            "t_c_multiple_definition",
            "Multiple definition at link time",
            {
                "a.c": "int counter = 1;\nint main(void) { return 0; }\n",
                "b.c": "int counter = 2;\n",
            },
            "gcc -Wall -fno-common a.c b.c -o app 2>&1",
        ),
        _c(
            "t_c_segfault",
            "Segmentation fault",
            {
                "main.c": '#include <stdio.h>\nint main(void) { int *p = 0; puts("start");'
                " return *p; }\n"
            },
            "gcc -O0 main.c -o app 2>&1 && bash -c ./app",
        ),
        _c(
            "t_c_conflicting_types",
            "Conflicting types for a function",
            {
                "main.c": "int area(int w, int h);\ndouble area(double w, double h) { return w * h; }\n"  # noqa: E501
                "int main(void) { return 0; }\n"
            },
            "gcc -Wall -c main.c 2>&1",
        ),
        _c(
            "t_c_implicit_declaration",
            "Implicit declaration of function",
            {"main.c": "int main(void) { int spare; return compute(3); }\n"},
            "gcc -Wall -Werror=implicit-function-declaration -c main.c 2>&1",
        ),
        _c(
            "t_make_no_rule",
            "make: no rule to make target",
            {
                "Makefile": "app: main.o helpers.o\n\tcc -o app main.o helpers.o\n",
                "main.c": "int main(void) { return 0; }\n",
            },
            "make 2>&1",
        ),
        _rust(
            "t_rust_mismatched",
            "Rust mismatched types",
            'fn main() {\n    let unused = 1;\n    let n: i32 = "3";\n    println!("{}", n);\n}\n',
        ),
        _rust(
            "t_rust_borrow_mut",
            "Rust cannot borrow as mutable",
            'fn main() {\n    let v = Vec::new();\n    v.push(1);\n    println!("{:?}", v);\n}\n',
        ),
        _rust(
            "t_rust_unwrap_err",
            "Rust unwrap on Err",
            'fn main() {\n    let unused = 1;\n    let n: i32 = "x".parse().unwrap();\n'
            '    println!("{}", n);\n}\n',
        ),
        _rust(
            "t_rust_index_oob",
            "Rust index out of bounds",
            "fn main() {\n    let v = vec![1, 2];\n    let i = v.len() + 1;\n"
            '    println!("{}", v[i]);\n}\n',
        ),
        _go(
            "t_go_nil_pointer",
            "Go nil pointer dereference",
            'package main\n\nimport "fmt"\n\ntype C struct{ N int }\n\nfunc main() {\n'
            '\tvar c *C\n\tfmt.Println("start")\n\tfmt.Println(c.N)\n}\n',
        ),
        _go(
            "t_go_index_range",
            "Go index out of range",
            'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
            "\tfmt.Println(os.Args[3])\n}\n",
        ),
        _go(
            "t_go_declared_not_used",
            "Go declared and not used",
            "package main\n\nfunc main() {\n\tcount := 3\n}\n",
            "go vet ./... 2>&1; go build ./... 2>&1",
        ),
        _go(
            "t_go_deadlock",
            "Go deadlock, all goroutines are asleep",
            "package main\n\nfunc main() {\n\tch := make(chan int)\n\tch <- 1\n}\n",
        ),
        _java(
            "t_java_class_cast",
            "Java ClassCastException",
            "public class Main {\n  public static void main(String[] a) {\n"
            '    Object o = "x";\n    Integer i = (Integer) o;\n  }\n}\n',
        ),
        _java(
            "t_java_number_format",
            "Java NumberFormatException",
            "public class Main {\n  public static void main(String[] a) {\n"
            '    System.out.println(Integer.parseInt("80a"));\n  }\n}\n',
        ),
        _java(
            "t_java_stack_overflow",
            "Java StackOverflowError",
            "public class Main {\n  static int f(int n) { return f(n + 1) + 1; }\n"
            "  public static void main(String[] a) { f(0); }\n}\n",
        ),
        Case(
            "t_git_not_a_repository",
            "Not a git repository",
            Step(
                "t_git_not_a_repository",
                {"VERSION": "1.0\n"},
                _MKDIR + "git describe --tags 2>&1",
                "shell",
            ),
        ),
    ]


def _more_cases() -> list[Case]:
    """The second batch: other package managers, Maven and tsc, more duplicate reports."""
    cargo = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n'
    npm_dead = (
        "npm install --no-audit --no-fund --fetch-retries=1 --fetch-retry-mintimeout=200"
        " --fetch-retry-maxtimeout=400 --fetch-timeout=1500 --registry {registry} left-pad 2>&1"
    )
    return [
        Case(
            "t_maven_symbol_with_deprecation",
            "javac cannot find symbol",
            Step(
                "t_maven_symbol_with_deprecation",
                {
                    "pom.xml": _MAVEN_POM.format(release=17),
                    "src/main/java/demo/Old.java": "package demo;\npublic class Old {\n"
                    "  @Deprecated public static int f() { return 1; }\n}\n",
                    "src/main/java/demo/App.java": "package demo;\npublic class App {\n"
                    "  int f() { return Old.f() + Config.port(); }\n}\n",
                },
                "mvn -B -o compile",
                "java",
            ),
        ),
        Case(
            "t_maven_release_with_warnings",
            "JDK older than the requested Java release",
            Step(
                "t_maven_release_with_warnings",
                {
                    "pom.xml": _MAVEN_POM.format(release=25),
                    "src/main/java/demo/App.java": "package demo;\npublic class App {}\n",
                },
                _DEPRECATION + "mvn -B -o compile",
                "java",
            ),
        ),
        Case(
            "t_docker_daemon_after_deprecated",
            "Cannot connect to the Docker daemon",
            Step(
                "t_docker_daemon_after_deprecated",
                {"Dockerfile": "FROM python:3.11-slim\nCOPY . /app\nRUN pip install -e /app\n"},
                "docker build -t app . 2>&1",
                "docker",
            ),
        ),
        Case(
            "t_npm_registry_refused",
            "Connection refused",
            Step(
                "t_npm_registry_refused",
                {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
                npm_dead.format(registry="http://127.0.0.1:9/"),
                "node",
            ),
        ),
        Case(
            "t_npm_registry_timeout",
            None,
            Step(
                "t_npm_registry_timeout",
                {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
                npm_dead.format(registry=f"http://{_SLOW_SERVER}/"),
                "node",
            ),
        ),
        Case(
            "t_make_floor_without_lm",
            "C math library not linked (-lm)",
            Step(
                "t_make_floor_without_lm",
                {
                    "round.c": "#include <math.h>\ndouble down(double x) { int spare; return floor(x); }\n",  # noqa: E501
                    "main.c": "#include <stdio.h>\ndouble down(double);\n"
                    'int main(int c, char **v) { printf("%f\\n", down(c + 0.5)); return 0; }\n',
                    "Makefile": "app: main.o round.o\n\tcc -o app main.o round.o\n"
                    "%.o: %.c\n\tcc -O0 -fno-builtin -Wall -Wextra -c $<\n",
                },
                "make 2>&1",
                "c",
            ),
        ),
        _node(
            "t_node_plain_it_not_defined",
            "Test file run without its test runner",
            {
                "cart.spec.js": "const assert = require('assert');\n"
                "it('adds items', () => assert.ok(true));\n"
            },
            "node cart.spec.js 2>&1",
            _NPM_DEPRECATED,
        ),
        _node(
            "t_node_test_not_a_function",
            "Value is not a function",
            {
                "test/list.test.js": "const test = require('node:test');\n"
                + "".join(f"test('ok {i}', () => {{}});\n" for i in range(5))
                + "test('names', () => { const rows = {}; return rows.map(r => r.name); });\n"
            },
            "node --test test/ 2>&1",
        ),
        Case(
            "t_pytest_name_error_warnings",
            "Name is not defined",
            Step(
                "t_pytest_name_error_warnings",
                _pytest_files("def test_report():\n    assert len(reprot) == 2\n"),
                f"{PY} -m pytest -p no:cacheprovider -W default -rfE tests 2>&1",
                "python",
            ),
        ),
        Case(
            "t_pip_conflict_then_pytest_imports",
            "pip dependency conflict (ResolutionImpossible)",
            Step(
                "t_pip_conflict_then_pytest_imports",
                {
                    "tests/test_http.py": "import grimoire_http_client\n\ndef test_get():\n"
                    "    assert grimoire_http_client\n"
                },
                f"{PY} -m pip install --dry-run --no-cache-dir --progress-bar off"
                " 'requests==2.31.0' 'urllib3==1.20' 2>&1; "
                f"{PY} -m pytest -q -p no:cacheprovider tests 2>&1",
                "python",
            ),
        ),
        Case(
            "t_ts_conflict_markers",
            "Conflict markers left in a source file",
            Step(
                "t_ts_conflict_markers",
                {
                    "src/port.ts": _CONFLICT.format(
                        ours="export const port: number = 8080;",
                        theirs="export const port: number = 9090;",
                    )
                },
                "TSC --noEmit src/port.ts 2>&1",
                "node",
            ),
        ),
        Case(
            "t_make_runs_crlf_script",
            "Script has Windows line endings (CRLF)",
            Step(
                "t_make_runs_crlf_script",
                {
                    # Run through bash: executed directly, a CRLF shebang only prints
                    # "required file not found", and nothing in the log names the cause.
                    "build.sh": "#!/bin/bash\r\necho building\r\ncd out\r\n",
                    "Makefile": "all:\n\tbash build.sh\n",
                },
                "make 2>&1",
                "shell",
            ),
        ),
        _py(
            "t_py_operand_after_pip_deprecation",
            "Unsupported operand types",
            "total = None\nprint('sum', total + 1)\n",
            "echo 'DEPRECATION: Legacy editable install of app (setup.py develop) is deprecated.'; ",  # noqa: E501
        ),
        Case(
            "t_cargo_test_assert_fails",
            None,
            Step(
                "t_cargo_test_assert_fails",
                {
                    "Cargo.toml": cargo,
                    "src/lib.rs": "pub fn add(a: i32, b: i32) -> i32 { let spare = 0; a + b }\n"
                    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn ok() { assert_eq!(super::add(1, 1), 2); }\n"  # noqa: E501
                    "    #[test]\n    fn adds() { assert_eq!(super::add(2, 2), 5); }\n}\n",
                },
                "cargo test --offline 2>&1",
                "rust",
            ),
        ),
    ]


def _first_cases() -> list[Case]:
    """The first batch: warnings, tolerated errors and cascades inside the failing step."""
    return [
        _py(
            "t_py_keyerror_after_pip_retry",
            "Missing dictionary key",
            "cfg = {'host': 'x'}\nprint('starting')\nprint(cfg['port'])\n",
            _PIP_RETRY,
        ),
        _py(
            "t_py_keyerror_after_deprecation",
            "Missing dictionary key",
            "import os\nprint(os.environ['GRIMOIRE_MISSING_SETTING'])\n",
            _DEPRECATION,
        ),
        _py(
            "t_py_zerodiv_after_handled_trace",
            "Division by zero",
            "rows = []\nprint('mean', sum(rows) / len(rows))\n",
            _HANDLED,
        ),
        _py(
            "t_py_index_after_mkdir",
            "List index out of range",
            "import sys\nargs = sys.argv[1:]\nprint('first', args[0])\n",
            _MKDIR,
        ),
        _py(
            "t_py_recursion_after_runtime_warning",
            "Maximum recursion depth exceeded",
            "import warnings\nwarnings.warn('overflow encountered', RuntimeWarning)\n"
            "def walk(n):\n    return walk(n + 1)\nwalk(0)\n",
        ),
        _py(
            "t_py_module_after_pip_retry",
            "Python module is not installed",
            "import grimoire_plugin_nowhere\n",
            _PIP_RETRY,
        ),
        _py(
            "t_py_int_literal_chained",
            "Invalid literal for int()",
            "import logging\nlogging.basicConfig()\ntry:\n    open('/nonexistent/port.txt')\n"
            "except OSError:\n    logging.exception('no port file, using env')\n"
            "port = int('80a')\n",
        ),
        _py(
            "t_py_json_after_handled",
            "JSON decode error: expecting value",
            "import json\nprint(json.loads(''))\n",
            _HANDLED,
        ),
        _py(
            "t_py_attr_none_after_deprecation",
            "Attribute access on None",
            "import re\nm = re.match('x', 'abc')\nprint(m.group(0))\n",
            _DEPRECATION,
        ),
        _py(
            "t_py_custom_error_after_retry",
            None,
            "class QuotaExceeded(Exception):\n    pass\n"
            "raise QuotaExceeded('tenant acme used 1200 of 1000 builds')\n",
            _PIP_RETRY_FAILS,
        ),
        _py(
            "t_py_logged_then_exit",
            "Missing dictionary key",
            "import logging, sys\nlogging.basicConfig(format='%(asctime)s %(levelname)s %(message)s')"  # noqa: E501
            "\ntry:\n    {'user': 'ci'}['token']\nexcept KeyError:\n"
            "    logging.exception('cannot read the deploy token')\n    sys.exit(1)\n",
            _DEPRECATION,
        ),
        _py(
            "t_py_logged_then_crash",
            "Concatenating str and a non-str",
            "import logging\nlogging.basicConfig()\nlog = logging.getLogger('worker')\n"
            "for attempt in range(3):\n    try:\n"
            "        raise ConnectionRefusedError(111, 'Connection refused')\n"
            "    except OSError:\n        log.exception('attempt %d failed', attempt)\n"
            "print('fell back to the cache')\nprint('items: ' + 3)\n",
        ),
        _py(
            "t_py_logged_then_custom_exit",
            None,
            "import logging, sys\nlogging.basicConfig()\ntry:\n    1 / 0\n"
            "except ZeroDivisionError:\n    logging.exception('empty sample, rate set to 0')\n"
            "print('rate 0.0')\nprint('release gate: rate below 0.9, refusing to publish')\n"
            "sys.exit(4)\n",
        ),
        _py(
            "t_py_custom_exit_after_deprecation",
            None,
            "import sys\nprint('checking licences: 3 packages without a licence')\nsys.exit(3)\n",
            _DEPRECATION,
        ),
        _py(
            "t_py_conflict_in_module",
            "Conflict markers left in a source file",
            "import settings\nprint(settings.TIMEOUT)\n",
            "printf 'TIMEOUT = 3\\n<<<<<<< HEAD\\nRETRIES = 1\\n=======\\nRETRIES = 2\\n"
            ">>>>>>> fix/retries\\n' > settings.py; ",
        ),
        Case(
            "t_pytest_assert_with_warnings_summary",
            "Test assertion failed",
            Step(
                "t_pytest_assert_with_warnings_summary",
                _pytest_files(
                    "def test_total():\n    total = sum([1, 2, 3])\n    assert total == 7\n"
                ),
                f"{PY} -m pytest -p no:cacheprovider -W default -rA tests 2>&1",
                "python",
            ),
        ),
        Case(
            "t_pytest_keyerror_short_summary",
            "Missing dictionary key",
            Step(
                "t_pytest_keyerror_short_summary",
                _pytest_files("def test_cfg():\n    cfg = {}\n    assert cfg['port'] == 1\n"),
                f"{PY} -m pytest -q -p no:cacheprovider -rfE tests 2>&1",
                "python",
            ),
        ),
        Case(
            "t_pip_missing_then_script_import",
            "pip cannot find a matching distribution",
            Step(
                "t_pip_missing_then_script_import",
                {"requirements.txt": "requests==0.0.999\n", "app.py": "import requests\n"},
                f"{PY} -m pip install --dry-run --no-cache-dir -r requirements.txt 2>&1; "
                f"{PY} -c 'import grimoire_requests_missing' 2>&1",
                "python",
            ),
        ),
        Case(
            "t_mypy_assignment_with_notes",
            "mypy: incompatible types in assignment",
            Step(
                "t_mypy_assignment_with_notes",
                {
                    "app.py": "def f(x):\n    return x\n\ncount: int = 0\ncount = 'three'\n"
                    "def g() -> None:\n    y = 1\n    reveal_type(y)\n"
                },
                f"{PY} -m mypy --no-incremental --check-untyped-defs app.py 2>&1",
                "python",
            ),
        ),
        _node(
            "t_node_undefined_prop_after_npm_warn",
            "Cannot read properties of undefined",
            {
                "app.js": "const cfg = {};\nconsole.log(cfg.db.host);\n",
                "package.json": '{"name": "app", "version": "1.0.0", "private": true}\n',
            },
            "node app.js 2>&1",
            _NPM_DEPRECATED,
        ),
        _node(
            "t_node_test_describe",
            "Test file run without its test runner",
            {"test/cart.test.js": "describe('cart', () => {\n  it('adds', () => {});\n});\n"},
            "node --test test/ 2>&1",
        ),
        _node(
            "t_node_test_reference_error",
            "Variable is not defined (ReferenceError)",
            {
                "test/total.test.js": "const test = require('node:test');\n"
                + "".join(f"test('ok {i}', () => {{}});\n" for i in range(8))
                + "test('total', () => { return totl + 1; });\n"
            },
            "node --test test/ 2>&1",
        ),
        _node(
            "t_node_json_parse_property",
            "Invalid JSON passed to JSON.parse",
            {"app.js": "const raw = \"{'port': 8080}\";\nconsole.log(JSON.parse(raw));\n"},
            "node app.js 2>&1",
            _MKDIR,
        ),
        _node(
            "t_node_json_parse_end",
            "Invalid JSON passed to JSON.parse",
            {
                "app.js": "console.warn('(node) warning: config.legacy is deprecated');\n"
                "console.log(JSON.parse('{\"a\": [1, 2'));\n"
            },
            "node app.js 2>&1",
        ),
        _node(
            "t_node_not_a_function_after_handled",
            "Value is not a function",
            {
                "app.js": "try { require('net').connect(1, '127.0.0.1').on('error', e =>"
                " console.error('retrying:', e.message)); } catch (e) {}\n"
                "setTimeout(() => { const api = {}; api.fetchAll(); }, 200);\n"
            },
            "node app.js 2>&1",
        ),
        _node(
            "t_node_conflict_in_module",
            "Conflict markers left in a source file",
            {
                "lib.js": _CONFLICT.format(
                    ours="module.exports = 1;", theirs="module.exports = 2;"
                ),
                "app.js": "console.log(require('./lib'));\n",
            },
            "node app.js 2>&1",
        ),
        _node(
            "t_npm_missing_script_after_eresolve",
            "npm script is missing",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "private": true,'
                ' "scripts": {"test": "echo ok"}}\n'
            },
            "npm run build 2>&1",
            "npm install --no-audit --no-fund --dry-run react@17.0.2 react-dom@18.2.0 2>&1"
            " | tail -12; ",
        ),
        _node(
            "t_node_custom_exit",
            None,
            {
                "app.js": "console.warn('DeprecationWarning: punycode is deprecated');\n"
                "console.error('bundle size 912 kB exceeds budget 800 kB');\nprocess.exit(2);\n"
            },
            "node app.js 2>&1",
            _NPM_DEPRECATED,
        ),
        Case(
            "t_c_pow_with_warnings",
            "C math library not linked (-lm)",
            Step(
                "t_c_pow_with_warnings",
                {
                    "main.c": "#include <math.h>\n#include <stdio.h>\nint main(int c, char **v) {\n"
                    '  int unused;\n  printf("%f\\n", pow((double)c, 2.5));\n  return 0;\n}\n'
                },
                "gcc -Wall -Wextra -O0 -fno-builtin main.c -o app 2>&1",
                "c",
            ),
        ),
        Case(
            "t_c_undeclared_after_warning",
            "Undeclared identifier",
            Step(
                "t_c_undeclared_after_warning",
                {
                    "main.c": "#include <stdio.h>\nstatic int helper(int x) { int spare; return x; }\n"  # noqa: E501
                    'int main(void) {\n  printf("%d\\n", helper(total));\n  return 0;\n}\n'
                },
                "gcc -Wall -c main.c 2>&1",
                "c",
            ),
        ),
        Case(
            "t_make_missing_separator",
            "Makefile missing separator",
            Step(
                "t_make_missing_separator",
                {
                    "Makefile": "all: app\n\napp: main.c\n    cc -o app main.c\n",
                    "main.c": "int main(void) { return 0; }\n",
                },
                "make 2>&1",
                "c",
            ),
        ),
        Case(
            "t_c_conflict_header",
            "Conflict markers left in a source file",
            Step(
                "t_c_conflict_header",
                {
                    "cfg.h": _CONFLICT.format(ours="#define PORT 8080", theirs="#define PORT 9090"),
                    "main.c": '#include "cfg.h"\nint main(void) { return PORT; }\n',
                },
                "gcc -Wall -c main.c 2>&1",
                "c",
            ),
        ),
        Case(
            "t_sh_crlf_after_mkdir",
            "Script has Windows line endings (CRLF)",
            Step(
                "t_sh_crlf_after_mkdir",
                {"deploy.sh": "#!/bin/bash\r\necho deploying\r\ncd build\r\nls\r\n"},
                _MKDIR + "bash deploy.sh 2>&1",
                "shell",
            ),
        ),
        Case(
            "t_sh_command_not_found_after_mkdir",
            "Command not found",
            Step(
                "t_sh_command_not_found_after_mkdir",
                {"ci.sh": "set -e\necho 'linting'\ngrimoire-linter-nowhere --strict src\n"},
                _MKDIR + "bash ci.sh 2>&1",
                "shell",
            ),
        ),
        Case(
            "t_sh_custom_fail",
            None,
            Step(
                "t_sh_custom_fail",
                {
                    "check.sh": "echo 'WARNING: 2 files not formatted (tolerated)'\n"
                    "echo 'coverage 71% is below the required 80%'\nexit 1\n"
                },
                _HANDLED + "bash check.sh 2>&1",
                "shell",
            ),
        ),
        Case(
            "t_javac_symbol_after_deprecation",
            "javac cannot find symbol",
            Step(
                "t_javac_symbol_after_deprecation",
                {
                    "Old.java": "public class Old {\n  @Deprecated public static int f() { return 1; }\n}\n",  # noqa: E501
                    "Use.java": "public class Use {\n  public static void main(String[] a) {\n"
                    "    System.out.println(Old.f() + Helper.g());\n  }\n}\n",
                },
                "javac -Xlint:deprecation Old.java Use.java 2>&1",
                "java",
            ),
        ),
        Case(
            "t_rust_missing_value_with_warning",
            "Rust cannot find a name in this scope",
            Step(
                "t_rust_missing_value_with_warning",
                {
                    "Cargo.toml": '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
                    "src/main.rs": 'fn main() {\n    let unused = 5;\n    println!("{}", totl);\n}\n',  # noqa: E501
                },
                "cargo build --offline 2>&1",
                "rust",
            ),
        ),
        Case(
            "t_rust_moved_with_warning",
            "Rust borrow of moved value",
            Step(
                "t_rust_moved_with_warning",
                {
                    "Cargo.toml": '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
                    "src/main.rs": "fn take(v: Vec<i32>) -> usize { v.len() }\nfn main() {\n"
                    '    let spare = 1;\n    let v = vec![1];\n    take(v);\n    println!("{:?}", v);\n}\n',  # noqa: E501
                },
                "cargo build --offline 2>&1",
                "rust",
            ),
        ),
        Case(
            "t_rust_unwrap_none",
            "Rust unwrap on None",
            Step(
                "t_rust_unwrap_none",
                {
                    "Cargo.toml": '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
                    "src/main.rs": "fn main() {\n    let unused = 2;\n    let v: Vec<i32> = vec![];\n"  # noqa: E501
                    '    println!("{}", v.first().unwrap());\n}\n',
                },
                "cargo run --offline 2>&1",
                "rust",
            ),
        ),
        Case(
            "t_go_undefined_after_vet_note",
            "Go undefined name",
            Step(
                "t_go_undefined_after_vet_note",
                {
                    "go.mod": "module example.com/app\n\ngo 1.21\n",
                    "main.go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(totl)\n}\n',  # noqa: E501
                },
                _DEPRECATION + "go build ./... 2>&1",
                "go",
            ),
        ),
        Case(
            "t_go_test_fail",
            "Go test failed",
            Step(
                "t_go_test_fail",
                {
                    "go.mod": "module example.com/app\n\ngo 1.21\n",
                    "sum_test.go": 'package main\n\nimport "testing"\n\n'
                    + "".join(
                        f'func TestOk{i}(t *testing.T) {{ t.Log("connection refused is retried") }}\n'  # noqa: E501
                        for i in range(6)
                    )
                    + 'func TestSum(t *testing.T) {\n\tif 1+1 != 3 {\n\t\tt.Errorf("sum = %d", 2)\n\t}\n}\n',  # noqa: E501
                },
                "go test -v ./... 2>&1",
                "go",
            ),
        ),
        Case(
            "t_yaml_after_deprecation",
            "YAML syntax error",
            Step(
                "t_yaml_after_deprecation",
                {"ci.yml": "jobs:\n  build:\n    runs-on: ubuntu\n    steps: run: make\n"},
                _DEPRECATION + f"{PY} -c \"import yaml; yaml.safe_load(open('ci.yml'))\" 2>&1",
                "ci",
            ),
        ),
    ]


def main() -> None:
    """Run every extra failing step (and the noise it needs) once and write the tuning logs."""
    write_logs(tuning_cases(), OUT)


def write_logs(
    cases: list[Case],
    out: Path,
    *,
    extra_steps: Mapping[str, Step] | None = None,
    extra_logs: Callable[[dict[str, Run]], list[dict[str, Any]]] | None = None,
) -> None:
    """Run each failing step (and the noise it needs) once and write two tuning-only logs of
    each case that failed to ``out``: held out never, whatever their names hash to.

    ``extra_steps`` are run too, and ``extra_logs`` writes more logs from all the runs."""
    _slow_server()
    tsc = _install_tsc()
    runs: dict[str, Run] = {}
    needed = {c.step.name: c.step for c in cases}
    needed.update(extra_steps or {})
    needed.update(NOISE)
    for name, step in needed.items():
        started = time.monotonic()
        runs[name] = _shell_status(run_step(step, tsc))
        print(f"{name}: exit {runs[name].status}, {time.monotonic() - started:.1f}s", flush=True)
    logs = []
    for case in cases:
        if runs[case.step.name].status == 0:
            print(f"skip {case.name}: it did not fail", flush=True)
            continue
        for variant in range(2):
            name = f"{case.name}#{variant}"
            rng = random.Random(name)
            wrapper = list(WRAPPERS)[
                (variant + int(hashlib.sha256(case.name.encode()).digest()[1])) % 3
            ]
            steps = [
                (NOISE[s], runs[s])
                for s in _job_steps(name, case.step.ecosystem, rng)
                if runs[s].status == 0
            ]
            steps.append((case.step, runs[case.step.name]))
            text = _scrub(WRAPPERS[wrapper](steps, _Clock(rng)))
            logs.append(
                {
                    "name": name,
                    "expected": case.expected,
                    "runner": wrapper,
                    "ecosystem": case.step.ecosystem,
                    "held_out": False,
                    "tuning_only": True,
                    "lines": text.count("\n"),
                    "log": text,
                }
            )
    if extra_logs is not None:
        logs += extra_logs(runs)
    assert not any(log["held_out"] for log in logs)
    data = json.dumps(logs, ensure_ascii=False).encode()
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
        f.write(data)
    print(f"{len(logs)} logs written to {out}")


if __name__ == "__main__":
    main()
