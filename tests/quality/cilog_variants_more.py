"""The fourth tuning batch's second round: the same spells through other runners and wrappers.

The first round (``cilog_variants.py``) varied the program; this round varies what stands
between the program and the log: test runners (jest, Maven surefire, ``pytest --tb=no`` and
``--tb=native``, a conftest that fails to import), wrappers that report a child failed (pip
building a package whose ``setup.py`` fails, ``xargs``, ``env``, ``make -k`` going on past a
failed target, ``npm run`` chaining scripts), warnings turned into errors, several errors in
one step, and negatives that are warnings in form but failed the build (``-W error``, Rust's
``-D warnings``, gcc's ``-Werror``), or look like a known error but are not one. Chosen by the
runners and wrappers real CI uses, written before any result on them was seen.
"""

from __future__ import annotations

from tests.quality.cilog_steps import _MAVEN_POM, PY, Case, Step

_JEST = "npm install --no-audit --no-fund --loglevel error jest@29.7.0 >/dev/null 2>&1; "
_CARGO = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n'
_PASSING = "".join(f"def test_fine_{i}():\n    assert {i} + 1 > {i}\n\n" for i in range(15))
_JUNIT = (
    "  <dependencies><dependency><groupId>org.junit.jupiter</groupId>"
    "<artifactId>junit-jupiter</artifactId><version>5.10.2</version><scope>test</scope>"
    "</dependency></dependencies>\n"
)
_SUREFIRE = (
    "    <plugin><groupId>org.apache.maven.plugins</groupId>"
    "<artifactId>maven-surefire-plugin</artifactId><version>3.2.5</version></plugin>\n"
    "  </plugins>"
)


def _case(
    name: str, label: str | None, ecosystem: str, files: dict[str, str], command: str
) -> Case:
    return Case(name, label, Step(name, files, command, ecosystem))


def _jest(name: str, label: str | None, test: str) -> Case:
    files = {
        "package.json": '{"name": "app", "version": "1.0.0", "private": true,'
        ' "scripts": {"test": "jest --ci"}}\n',
        "ok.test.js": "".join(f"test('ok {i}', () => expect({i}).toBe({i}));\n" for i in range(8)),
        "app.test.js": test,
    }
    return _case(name, label, "node", files, _JEST + "npm test 2>&1")


def more_cases() -> list[Case]:
    """The second round's cases."""
    return runner_cases() + wrapper_cases() + negative_cases()


def runner_cases() -> list[Case]:
    """Test runners and their report formats."""
    return [
        _jest(
            "w_jest_undefined_property",
            "Cannot read properties of undefined",
            "const cfg = {};\ntest('reads the db host', () => {\n"
            "  expect(cfg.db.host).toBe('localhost');\n});\n",
        ),
        _jest(
            "w_jest_not_a_function",
            "Value is not a function",
            "const api = { get: () => 1 };\ntest('posts', () => {\n"
            "  expect(api.post('/x')).toBe(1);\n});\n",
        ),
        _jest(
            "w_jest_reference_error",
            "Variable is not defined (ReferenceError)",
            "test('totals', () => {\n  expect(totl([1, 2])).toBe(3);\n});\n",
        ),
        _jest(
            "w_jest_cannot_find_module",
            "Node cannot find module",
            "const fmt = require('./lib/format');\ntest('formats', () => {\n"
            "  expect(fmt(1)).toBe('1');\n});\n",
        ),
        _jest(
            "w_neg_jest_expect_mismatch",
            None,
            "test('adds', () => {\n  expect(1 + 1).toBe(3);\n});\n",
        ),
        _case(
            "w_pytest_tb_no_keyerror",
            "Missing dictionary key",
            "python",
            {
                "tests/test_cfg.py": _PASSING + "def test_port():\n    cfg = {}\n"
                "    assert cfg['port'] == 80\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider --tb=no -rf tests 2>&1",
        ),
        _case(
            "w_pytest_tb_native_zero",
            "Division by zero",
            "python",
            {
                "tests/test_avg.py": _PASSING + "def avg(xs):\n    return sum(xs) / len(xs)\n\n"
                "def test_avg_empty():\n    assert avg([]) == 0\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider --tb=native tests 2>&1",
        ),
        _case(
            "w_pytest_conftest_import",
            "Python module is not installed",
            "python",
            {
                "tests/conftest.py": "import grimoire_requests_mock\n",
                "tests/test_a.py": _PASSING,
            },
            f"{PY} -m pytest -q -p no:cacheprovider tests 2>&1",
        ),
        _case(
            "w_pytest_x_name_error_of_many",
            "Name is not defined",
            "python",
            {
                "tests/test_orders.py": _PASSING + "def test_total():\n"
                "    assert ordr_total() == 3\n\ndef test_later():\n    assert {}['never']\n"
            },
            f"{PY} -m pytest -x -p no:cacheprovider -W default tests 2>&1",
        ),
        _case(
            "w_unittest_assert_keyerror",
            "Missing dictionary key",
            "python",
            {
                "test_env.py": "import unittest\n\nclass T(unittest.TestCase):\n"
                "    def test_a(self):\n        self.assertEqual(1, 1)\n\n"
                "    def test_region(self):\n        env = {'REGION': 'eu'}\n"
                "        self.assertEqual(env['ZONE'], 'a')\n"
            },
            f"{PY} -m unittest -v test_env 2>&1",
        ),
        _case(
            "w_maven_surefire_npe",
            "Java NullPointerException",
            "java",
            {
                "pom.xml": _MAVEN_POM.format(release=17)
                .replace("  <build>", _JUNIT + "  <build>")
                .replace("  </plugins>", _SUREFIRE),
                "src/main/java/demo/App.java": "package demo;\npublic class App {\n"
                "  public static int len(String s) { return s.length(); }\n}\n",
                "src/test/java/demo/AppTest.java": "package demo;\n"
                "import org.junit.jupiter.api.Test;\n"
                "import static org.junit.jupiter.api.Assertions.assertEquals;\n"
                "public class AppTest {\n"
                '  @Test public void ok() { assertEquals(2, App.len("ab")); }\n'
                "  @Test public void nul() { assertEquals(0, App.len(null)); }\n}\n",
            },
            "mvn -B -o test",
        ),
        _case(
            "w_go_test_tee_nil_map",
            "Go nil map assignment",
            "go",
            {
                "go.mod": "module example.com/app\n\ngo 1.19\n",
                "reg.go": "package app\n\nvar registry map[string]int\n\n"
                "func Register(n string) { registry[n] = 1 }\n",
                "reg_test.go": 'package app\n\nimport "testing"\n\n'
                'func TestRegister(t *testing.T) { Register("a") }\n',
            },
            "set -o pipefail; go test -count=1 ./... 2>&1 | tee test.log",
        ),
        _case(
            "w_cargo_test_unwrap_err_parse",
            "Rust unwrap on Err",
            "rust",
            {
                "Cargo.toml": _CARGO,
                "src/lib.rs": "pub fn port(s: &str) -> u16 {\n    s.parse().unwrap()\n}\n\n"
                '#[cfg(test)]\nmod tests {\n    #[test]\n    fn parses() { assert_eq!(super::port("80"), 80); }\n'  # noqa: E501
                '    #[test]\n    fn bad() { super::port("eighty"); }\n}\n',
            },
            "cargo test --offline 2>&1",
        ),
    ]


def wrapper_cases() -> list[Case]:
    """Wrappers that report a child failed, and steps with more than one error."""
    return [
        _case(
            "w_pip_setup_py_missing_module",
            "Python module is not installed",
            "pip",
            {
                "setup.py": "import numpy_grimoire_build\nfrom setuptools import setup\n"
                "setup(name='fastmath', version='0.1')\n"
            },
            f"{PY} -m pip install --no-build-isolation --no-cache-dir --progress-bar off"
            " --no-index . 2>&1",
        ),
        _case(
            "w_xargs_command_missing",
            "Command not found",
            "shell",
            {"files.txt": "a.json\nb.json\n"},
            "echo 'validating json files'; xargs -a files.txt jsonlint-grimoire 2>&1",
        ),
        _case(
            "w_make_k_second_target",
            "Undeclared identifier",
            "c",
            {
                "a.c": "int a(void) { return 1; }\n",
                "b.c": "int b(void) { return missing_total; }\n",
                "Makefile": "all: a.o b.o\n%.o: %.c\n\tgcc -Wall -c $<\n",
            },
            "make -k 2>&1",
        ),
        _case(
            "w_npm_run_chain_json",
            "Invalid JSON passed to JSON.parse",
            "node",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "private": true, "scripts":'
                ' {"prebuild": "node -e \\"console.log(1)\\"", "build": "node build.js"}}\n',
                "config.json": '{"name": "app",}\n',
                "build.js": "const fs = require('fs');\nconsole.log('reading config');\n"
                "JSON.parse(fs.readFileSync('config.json', 'utf8'));\n",
            },
            "npm run build 2>&1",
        ),
        _case(
            "w_bash_two_errors_last_fails",
            "Permission denied running a script",
            "shell",
            {
                "ci.sh": "ls /nonexistent-grimoire-dir\necho 'continuing'\n"
                "cat /etc/shadow > /dev/null\n./publish.sh\n",
                "publish.sh": "echo publishing\n",
            },
            "chmod -x publish.sh; bash ci.sh 2>&1",
        ),
        _case(
            "w_py_windows_path_missing",
            "File or directory not found",
            "python",
            {
                "load.py": "print('loading settings')\n"
                "open('C:\\\\Users\\\\runner\\\\work\\\\app\\\\settings.toml')\n"
            },
            f"{PY} load.py 2>&1",
        ),
        _case(
            "w_py_json_log_then_keyerror",
            "Missing dictionary key",
            "python",
            {
                "job.py": "import json, logging, sys\n"
                "logging.basicConfig(stream=sys.stdout, format='%(message)s', level=logging.INFO)\n"
                "for i in range(5):\n"
                "    logging.info(json.dumps({'level': 'info', 'msg': f'processed {i}',"
                " 'payload': 'x' * 3000}))\n"
                "row = {'id': 1}\nprint(row['amount'])\n"
            },
            f"{PY} job.py 2>&1",
        ),
        _case(
            "w_tsc_two_errors",
            "TypeScript: cannot find name",
            "node",
            {
                "src/a.ts": "export const total = sumAll([1, 2]);\n"
                "export const port: number = 'x';\n"
            },
            "TSC --noEmit src/a.ts 2>&1",
        ),
        _case(
            "w_env_command_missing",
            "Command not found",
            "shell",
            {},
            "echo 'running linter'; env CI=true eslint-grimoire src/ 2>&1",
        ),
        _case(
            "w_go_vet_then_build_undefined",
            "Go undefined name",
            "go",
            {
                "go.mod": "module example.com/app\n\ngo 1.19\n",
                "main.go": 'package main\n\nimport "fmt"\n\nfunc main() {\n'
                '\tfmt.Printf("%d\\n", "x")\n\tfmt.Println(helperTotal())\n}\n',
            },
            "go build ./... 2>&1",
        ),
        _case(
            "w_node_child_process_error",
            "Not a git repository",
            "node",
            {
                "version.js": "const { execSync } = require('child_process');\n"
                "console.log('computing version');\n"
                "console.log(execSync('git describe --tags').toString());\n"
            },
            "mkdir -p /tmp/grimoire-nogit && cp version.js /tmp/grimoire-nogit/ && "
            "cd /tmp/grimoire-nogit && node version.js 2>&1",
        ),
    ]


def negative_cases() -> list[Case]:
    """Failures no starter spell explains: warnings that failed the build, look-alikes."""
    return [
        _case(
            "w_neg_py_warning_as_error",
            None,
            "python",
            {
                "app.py": "import warnings\nprint('starting')\n"
                "warnings.warn('datetime.utcnow() is deprecated', DeprecationWarning)\n"
            },
            f"{PY} -W error::DeprecationWarning app.py 2>&1",
        ),
        _case(
            "w_neg_rust_deny_warnings",
            None,
            "rust",
            {"Cargo.toml": _CARGO, "src/main.rs": "fn main() {\n    let unused_total = 5;\n}\n"},
            "RUSTFLAGS='-D warnings' cargo build --offline 2>&1",
        ),
        _case(
            "w_neg_gcc_werror_unused",
            None,
            "c",
            {"main.c": "int main(void) {\n  int spare;\n  return 0;\n}\n"},
            "gcc -Wall -Werror -c main.c 2>&1",
        ),
        _case(
            "w_neg_node_unhandled_rejection",
            None,
            "node",
            {"job.mjs": "console.log('syncing');\nawait Promise.reject('quota exhausted');\n"},
            "node job.mjs 2>&1",
        ),
        _case(
            "w_neg_py_keyerror_handled_then_exit",
            None,
            "python",
            {
                "job.py": "import sys, traceback\ntry:\n    {}['region']\nexcept KeyError:\n"
                "    traceback.print_exc()\n    print('falling back to eu-west-1')\n"
                "print('deploy gate: 3 alarms firing')\nsys.exit(4)\n"
            },
            f"{PY} job.py 2>&1",
        ),
        _case(
            "w_neg_java_illegal_argument",
            None,
            "java",
            {
                "Main.java": "public class Main {\n  public static void main(String[] a) {\n"
                '    java.util.UUID.fromString("not-a-uuid");\n  }\n}\n'
            },
            "javac Main.java 2>&1 && java Main 2>&1",
        ),
        _case(
            "w_neg_py_timeout",
            None,
            "python",
            {
                "wait.py": "import socket\ns = socket.socket()\ns.settimeout(0.5)\n"
                "s.bind(('127.0.0.1', 0))\ns.listen()\nprint('waiting for worker')\n"
                "s.accept()\n"
            },
            f"{PY} wait.py 2>&1",
        ),
        _case(
            "w_neg_sh_curl_404",
            None,
            "shell",
            {},
            f"{PY} -m http.server 47995 --bind 127.0.0.1 >/dev/null 2>&1 & sleep 1; "
            "curl -fsS http://127.0.0.1:47995/artifacts/app.tar.gz -o app.tar.gz 2>&1; "
            "status=$?; kill %1; exit $status",
        ),
    ]
