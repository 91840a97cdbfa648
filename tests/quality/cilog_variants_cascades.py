"""The fourth tuning batch's third round: causes and consequences in other shapes.

Issue 13's classes again, each in a shape the earlier rounds lack: a cause in an earlier step
the job went on from (``pip install … || true`` then the import error, ``npm install … ||
true`` then ``Cannot find module``), conflict markers in Go, Rust, Java, YAML and a C header
reached through recursive make, exception chains (Java's ``Caused by:``, Python's ``raise …
from``), a script run under ``bash -x`` whose ``EXIT`` trap echoes commands after the failure,
recursive make, a pytest fixture that errors at setup and
negatives that look like known errors (a plain ``assert`` in a script, Rust's ``Error: Os {
kind: NotFound }`` returned from ``main``, an unbound variable under ``set -u``).
"""

from __future__ import annotations

from tests.quality.cilog_steps import PY, Case, Step

_CARGO = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n'
_GO_MOD = "module example.com/app\n\ngo 1.19\n"
_MARKERS = "<<<<<<< HEAD\n{ours}\n=======\n{theirs}\n>>>>>>> feature/retry\n"
_PASSING = "".join(f"def test_fine_{i}():\n    assert {i} + 1 > {i}\n\n" for i in range(15))


def _case(
    name: str, label: str | None, ecosystem: str, files: dict[str, str], command: str
) -> Case:
    return Case(name, label, Step(name, files, command, ecosystem))


def cascade_cases() -> list[Case]:
    """The third round's cases."""
    return causes_cases() + shape_cases()


def causes_cases() -> list[Case]:
    """A cause, then what follows from it."""
    conflict = "Conflict markers left in a source file"
    return [
        _case(
            "x_pip_missing_then_pytest_import",
            "pip cannot find a matching distribution",
            "python",
            {
                "requirements.txt": "grimoire-httpmock-zz==1.0\n",
                "tests/test_api.py": "import grimoire_httpmock_zz\n\n" + _PASSING,
            },
            f"{PY} -m pip install --dry-run --no-cache-dir --progress-bar off -r "
            f"requirements.txt 2>&1 || echo 'install failed, running tests anyway'; "
            f"{PY} -m pytest -q -p no:cacheprovider tests 2>&1",
        ),
        _case(
            "x_npm_e404_then_require",
            "npm package not found (E404)",
            "node",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "private": true}\n',
                "app.js": "const pad = require('grimoire-left-pad-zz');\n"
                "console.log(pad('1', 3));\n",
            },
            "npm install --no-audit --no-fund grimoire-left-pad-zz 2>&1 || true; node app.js 2>&1",
        ),
        _case(
            "x_go_conflict_markers",
            conflict,
            "go",
            {
                "go.mod": _GO_MOD,
                "main.go": 'package main\n\nimport "fmt"\n\nfunc main() {\n'
                + _MARKERS.format(ours='\tfmt.Println("v1")', theirs='\tfmt.Println("v2")')
                + "}\n",
            },
            "go build ./... 2>&1",
        ),
        _case(
            "x_rust_conflict_markers",
            conflict,
            "rust",
            {
                "Cargo.toml": _CARGO,
                "src/main.rs": "fn main() {\n"
                + _MARKERS.format(ours='    println!("a");', theirs='    println!("b");')
                + "}\n",
            },
            "cargo build --offline 2>&1",
        ),
        _case(
            "x_java_conflict_markers",
            conflict,
            "java",
            {
                "Main.java": "public class Main {\n  public static void main(String[] a) {\n"
                + _MARKERS.format(ours="    int n = 1;", theirs="    int n = 2;")
                + "    System.out.println(n);\n  }\n}\n"
            },
            "javac Main.java 2>&1",
        ),
        _case(
            "x_yaml_conflict_markers",
            "YAML syntax error",  # the YAML error shows no source line: nothing shows the markers
            "ci",
            {
                "config.yml": "server:\n"
                + _MARKERS.format(ours="  port: 8080", theirs="  port: 9090")
                + "  host: 0.0.0.0\n"
            },
            f"{PY} -c \"import yaml; print(yaml.safe_load(open('config.yml')))\" 2>&1",
        ),
        _case(
            "x_make_recursive_conflict_header",
            conflict,
            "c",
            {
                "lib/util.h": _MARKERS.format(ours="int util(void);", theirs="long util(void);"),
                "lib/util.c": '#include "util.h"\nint util(void) { return 1; }\n',
                "lib/Makefile": "util.o: util.c\n\tgcc -Wall -c util.c\n",
                "Makefile": "all:\n\t$(MAKE) -C lib\n",
            },
            "make 2>&1",
        ),
        _case(
            "x_java_caused_by_number_format",
            "Java NumberFormatException",
            "java",
            {
                "Main.java": "public class Main {\n  static int port(String s) {\n"
                "    try { return Integer.parseInt(s); }\n"
                '    catch (NumberFormatException e) { throw new IllegalStateException("bad'
                ' config", e); }\n  }\n  public static void main(String[] a) {\n'
                '    System.out.println(port("80a"));\n  }\n}\n'
            },
            "javac Main.java 2>&1 && java Main 2>&1",
        ),
        _case(
            "x_py_raise_from_json",
            "JSON decode error: expecting value",
            "python",
            {
                "cfg.py": "import json\n\nclass ConfigError(Exception):\n    pass\n\n"
                "def load(text):\n    try:\n        return json.loads(text)\n"
                "    except json.JSONDecodeError as e:\n"
                "        raise ConfigError('settings.json is not valid') from e\n\n"
                "print('loading settings')\nload('')\n"
            },
            f"{PY} cfg.py 2>&1",
        ),
        _case(
            "x_bash_x_exit_trap",
            "Missing dictionary key",
            "shell",
            {
                "ci.sh": "set -e\ntrap 'echo cleaning up; rm -rf tmp' EXIT\nmkdir -p tmp\n"
                f"{PY} -c \"import os; print(os.environ['GRIMOIRE_DEPLOY_TOKEN'])\"\n"
                "echo deployed\n"
            },
            "bash -x ci.sh 2>&1",
        ),
    ]


def shape_cases() -> list[Case]:
    """Recursive make, fixture errors, dash and CRLF, and look-alike negatives."""
    return [
        _case(
            "x_make_recursive_semicolon",
            "Missing semicolon",
            "c",
            {
                "src/main.c": "int main(void) {\n  int x = 1\n  return x;\n}\n",
                "src/Makefile": "main.o: main.c\n\tgcc -Wall -c main.c\n",
                "Makefile": "all:\n\t$(MAKE) -C src\n",
            },
            "make 2>&1",
        ),
        _case(
            "x_pytest_fixture_setup_error",
            "Missing dictionary key",
            "python",
            {
                "tests/test_db.py": _PASSING + "import os, pytest\n\n@pytest.fixture\n"
                "def dsn():\n    return os.environ['GRIMOIRE_TEST_DSN']\n\n"
                "def test_connects(dsn):\n    assert dsn\n"
            },
            f"{PY} -m pytest -p no:cacheprovider -q tests 2>&1",
        ),
        _case(
            "x_neg_py_plain_assert",
            None,
            "python",
            {
                "check.py": "rows = [1, 2]\nprint('checking export')\n"
                "assert len(rows) == 3, 'export has 2 rows, expected 3'\n"
            },
            f"{PY} check.py 2>&1",
        ),
        _case(
            "x_neg_rust_main_returns_err",
            None,
            "rust",
            {
                "Cargo.toml": _CARGO,
                "src/main.rs": "fn main() -> std::io::Result<()> {\n"
                '    let s = std::fs::read_to_string("settings.toml")?;\n'
                '    println!("{}", s);\n    Ok(())\n}\n',
            },
            "cargo run --offline 2>&1",
        ),
        _case(
            "x_neg_bash_unbound_variable",
            None,
            "shell",
            {"deploy.sh": "set -euo pipefail\necho 'deploying'\necho \"to $DEPLOY_ENV\"\n"},
            "bash deploy.sh 2>&1",
        ),
        _case(
            "x_neg_go_errorf_exit",
            None,
            "go",
            {
                "go.mod": _GO_MOD,
                "main.go": 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
                '\tif _, err := os.ReadFile("settings.yml"); err != nil {\n'
                '\t\tfmt.Fprintln(os.Stderr, "error:", err)\n\t\tos.Exit(1)\n\t}\n}\n',
            },
            "go run . 2>&1",
        ),
    ]
