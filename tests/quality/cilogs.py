"""Generate the CI log corpus (tests/quality/cilogs.json.gz) by running broken builds for real.

Every step of every log is a command really run on the machine that runs this script: passing
test suites, dependency installs (pip and npm against their registries), compilers with warnings,
tolerated failures (a ``mkdir`` the script ignores, npm's ERESOLVE fixed by the retry with
``--legacy-peer-deps``, pip retrying a dead mirror before it succeeds), then the step that
breaks the build (the broken programs of ``generate.py`` and the cascades below: a failed pip
install then pytest's import errors, conflict markers then the syntax errors they cause, make and
Maven wrapping the compiler). Each distinct step runs once, sequentially, with a time bound, and
its real output (exit status included) is reused by every log that contains it. A log is a job:
checkout, two to four noise steps, the failing step, and the runner's ending, written the way
GitHub Actions, GitLab or Jenkins print it (timestamps, ANSI colours, group and section markers).

The label of a log is the title of the starter spell that explains its failure, or ``None``
when no starter spell does (a custom exception, an app-specific exit). The split is fixed by a
hash of the log's name (``held_out``), decided before any result was looked at.

Run: ``python -m tests.quality.cilogs`` (about 10 minutes; needs gcc, node/npm, javac/mvn,
rustc/cargo, the Docker client; Go is used when installed).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

from tests.quality.generate import CASES as PROGRAM_CASES

ROOT = Path("/tmp/grimoire-cilogs")
OUT = Path(__file__).with_name("cilogs.json.gz")
PY = sys.executable
STEP_TIMEOUT = 180


class Step(NamedTuple):
    """A command run in its own directory, with the files it needs."""

    name: str
    files: dict[str, str]
    command: str
    ecosystem: str


class Case(NamedTuple):
    """A failing step and the starter spell title that explains it (None: no spell does)."""

    name: str
    expected: str | None
    step: Step


def _py_suite(n: int) -> dict[str, str]:
    """A passing pytest suite that prints what real suites print: warnings, handled traces."""
    return {
        "tests/test_math.py": (
            "import pytest, warnings, logging\n\n"
            f"@pytest.mark.parametrize('n', range({n}))\n"
            "def test_square(n):\n    assert n * n >= 0\n\n"
            "def test_deprecated_api():\n"
            "    warnings.warn('load() is deprecated, use safe_load()', DeprecationWarning)\n\n"
            "def test_retry_logs_handled_error(caplog):\n"
            "    try:\n        {}['port']\n    except KeyError:\n"
            "        logging.getLogger('app').exception('config lookup failed, using default')\n\n"
            "@pytest.mark.parametrize('case', ['connection refused', 'timeout'])\n"
            "def test_classifies_network_errors(case):\n    assert case\n"
        ),
        "tests/test_runtime.py": (
            "import numbers, warnings\n\n"
            "def test_runtime_warning():\n"
            "    warnings.warn('overflow encountered in multiply', RuntimeWarning)\n"
            "    assert isinstance(1, numbers.Number)\n"
        ),
    }


_SLOW_SERVER = "127.0.0.1:47911"

NOISE: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "git_checkout",
            {},
            "git init -q -b main src && cd src && git config user.email ci@example.com && "
            "git config user.name ci && echo hi > README && git add . && "
            "git commit -qm init && cd .. && git clone --progress src work 2>&1 && "
            "cd work && git log --oneline -1",
            "any",
        ),
        Step(
            "pip_install",
            {},
            f"{PY} -m pip install --dry-run --ignore-installed --no-cache-dir "
            "--progress-bar off 'requests==2.31.0' 'flask==3.0.0'",
            "python",
        ),
        Step(
            "pip_retry_then_ok",
            {},
            f"{PY} -m pip install --dry-run --ignore-installed --no-cache-dir --progress-bar off"
            f" --retries 2 --timeout 1 --index-url http://{_SLOW_SERVER}/simple"
            " --extra-index-url https://pypi.org/simple 'six==1.16.0'",
            "python",
        ),
        Step(
            "pytest_pass", _py_suite(180), f"{PY} -m pytest -v -p no:cacheprovider tests", "python"
        ),
        Step(
            "pytest_pass_short",
            _py_suite(40),
            f"{PY} -m pytest -q -p no:cacheprovider -rA tests",
            "python",
        ),
        Step(
            "python_runtime_warning",
            {
                "job.py": (
                    "import warnings\nwarnings.simplefilter('default')\n"
                    "import asyncio\nfor i in range(30):\n    print(f'processed batch {i}')\n"
                    "warnings.warn('divide by zero encountered in log', RuntimeWarning)\n"
                    "print('done')\n"
                )
            },
            f"{PY} job.py",
            "python",
        ),
        Step(
            "npm_install_deprecated",
            {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
            "npm install --no-audit --no-fund --loglevel warn uuid@3.4.0 is-number@7.0.0 2>&1",
            "node",
        ),
        Step(
            "npm_eresolve_then_legacy",
            {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
            "npm install --no-audit --no-fund react@17.0.2 react-dom@18.2.0 2>&1 || "
            "(echo 'retrying with --legacy-peer-deps' && npm install --no-audit --no-fund "
            "--legacy-peer-deps react@17.0.2 react-dom@18.2.0 2>&1)",
            "node",
        ),
        Step(
            "node_test_pass",
            {
                "test/math.test.js": (
                    "const test = require('node:test');\nconst assert = require('node:assert');\n"
                    + "".join(
                        f"test('adds {i}', () => assert.strictEqual({i} + 1, {i + 1}));\n"
                        for i in range(60)
                    )
                )
            },
            "node --test test/",
            "node",
        ),
        Step(
            "gcc_warnings_ok",
            {
                "util.c": "int helper(int x) { int unused = 3; return x * 2; }\n",
                "main.c": "int helper(int);\nint main(void) { return helper(0); }\n",
                "Makefile": "app: main.o util.o\n\tcc -o app main.o util.o\n"
                "%.o: %.c\n\tcc -Wall -Wextra -c $<\n",
            },
            "make 2>&1 && ./app && echo built",
            "c",
        ),
        Step(
            "cargo_build_warning",
            {
                "Cargo.toml": '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
                "src/main.rs": 'fn main() {\n    let unused = 5;\n    println!("ok");\n}\n',
            },
            "cargo build --offline 2>&1 && ./target/debug/tool",
            "rust",
        ),
        Step(
            "javac_deprecation",
            {
                "Old.java": "public class Old {\n  @Deprecated public static int f() { return 1; }\n}\n",  # noqa: E501
                "Use.java": "public class Use {\n  public static void main(String[] a) {"
                " System.out.println(Old.f()); }\n}\n",
            },
            "javac Old.java Use.java 2>&1 && java Use",
            "java",
        ),
        Step(
            "mkdir_ignored",
            {},
            "mkdir /proc/grimoire-cache || echo 'cache directory unavailable, continuing without'",
            "any",
        ),
        Step(
            "lint_notes",
            {"lib.py": "import os\n\ndef f( x ):\n    return x\n"},
            f"{PY} -m ruff check --no-cache --select F401,E lib.py || true",
            "python",
        ),
        Step(
            "env_report",
            {},
            "uname -sr && bash --version | head -1 && gcc --version | head -1 && "
            "node --version && java -version 2>&1 | head -1",
            "any",
        ),
    )
}

_MAVEN_POM = (
    '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
    "  <modelVersion>4.0.0</modelVersion>\n"
    "  <groupId>com.example</groupId><artifactId>demo</artifactId><version>1.0</version>\n"
    "  <properties><maven.compiler.release>{release}</maven.compiler.release></properties>\n"
    "  <build><plugins>\n"
    "    <plugin><groupId>org.apache.maven.plugins</groupId>"
    "<artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>\n"
    "    <plugin><groupId>org.apache.maven.plugins</groupId>"
    "<artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>\n"
    "  </plugins></build>\n</project>\n"
)
_CONFLICT = "<<<<<<< HEAD\n{ours}\n=======\n{theirs}\n>>>>>>> feature/login\n"


def _cascades() -> list[Case]:
    """Failing steps with several errors, one of them the cause (the classes of issue 13)."""
    cases = [
        Case(
            "pip_missing_then_import_errors",
            "pip cannot find a matching distribution",
            Step(
                "pip_missing_then_import_errors",
                {
                    "tests/test_client.py": "import requests_toolbelt\n\ndef test_ok():\n"
                    "    assert requests_toolbelt\n",
                    "tests/test_api.py": "import requests_toolbelt.multipart\n\n"
                    "def test_upload():\n    assert True\n",
                },
                f"{PY} -m pip install --dry-run --no-cache-dir 'requests==0.0.999' 2>&1; "
                f"{PY} -m pytest -q -p no:cacheprovider tests",
                "python",
            ),
        ),
        Case(
            "py_conflict_markers",
            "Merge conflict markers committed",
            Step(
                "py_conflict_markers",
                {
                    "app.py": "def port():\n"
                    + _CONFLICT.format(ours="    return 8080", theirs="    return 9090")
                    + "\nprint(port())\n"
                },
                f"{PY} app.py",
                "python",
            ),
        ),
        Case(
            "pytest_conflict_markers",
            "Merge conflict markers committed",
            Step(
                "pytest_conflict_markers",
                {
                    "tests/test_cfg.py": "import cfg\n\ndef test_port():\n    assert cfg.PORT\n",
                    "cfg.py": _CONFLICT.format(ours="PORT = 8080", theirs="PORT = 9090"),
                },
                f"{PY} -m pytest -q -p no:cacheprovider tests",
                "python",
            ),
        ),
        Case(
            "js_conflict_markers",
            "Merge conflict markers committed",
            Step(
                "js_conflict_markers",
                {
                    "app.js": _CONFLICT.format(
                        ours="const port = 8080;", theirs="const port = 9090;"
                    )
                    + "console.log(port);\n"
                },
                "node app.js",
                "node",
            ),
        ),
        Case(
            "c_conflict_markers",
            "Merge conflict markers committed",
            Step(
                "c_conflict_markers",
                {
                    "main.c": "int main(void) {\n"
                    + _CONFLICT.format(ours="  return 0;", theirs="  return 1;")
                    + "}\n"
                },
                "gcc -c main.c",
                "c",
            ),
        ),
        Case(
            "c_sqrt_without_lm",
            "C math library not linked (-lm)",
            Step(
                "c_sqrt_without_lm",
                {
                    "main.c": "#include <math.h>\n#include <stdio.h>\nint main(int argc, char **v)"
                    ' {\n  printf("%f\\n", sqrt((double)argc));\n  return 0;\n}\n'
                },
                "gcc -O0 -fno-builtin main.c -o app",
                "c",
            ),
        ),
        Case(
            "make_sqrt_without_lm",
            "C math library not linked (-lm)",
            Step(
                "make_sqrt_without_lm",
                {
                    "geo.c": "#include <math.h>\ndouble dist(double x, double y)"
                    " { return sqrt(x * x + y * y); }\n",
                    "main.c": "#include <stdio.h>\ndouble dist(double, double);\n"
                    'int main(int c, char **v) { printf("%f\\n", dist(c, 4)); return 0; }\n',
                    "Makefile": "app: main.o geo.o\n\tcc -o app main.o geo.o\n"
                    "%.o: %.c\n\tcc -O0 -fno-builtin -Wall -c $<\n",
                },
                "make",
                "c",
            ),
        ),
        Case(
            "sh_crlf_script",
            "Script has Windows line endings (CRLF)",
            Step(
                "sh_crlf_script",
                {"build.sh": "#!/bin/bash\r\necho building\r\n\r\nset -e\r\nmake all\r\n"},
                "bash build.sh",
                "shell",
            ),
        ),
        Case(
            "sh_crlf_cd",
            "Script has Windows line endings (CRLF)",
            Step(
                "sh_crlf_cd",
                {"deploy.sh": "#!/bin/sh\r\n\r\necho deploying\r\ncd dist\r\n"},
                "mkdir -p dist && bash deploy.sh",
                "shell",
            ),
        ),
        Case(
            "js_describe_without_runner",
            "Test file run without its test runner",
            Step(
                "js_describe_without_runner",
                {
                    "sum.test.js": "const sum = (a, b) => a + b;\n"
                    "describe('sum', () => {\n  it('adds', () => {\n"
                    "    if (sum(1, 2) !== 3) throw new Error('bad');\n  });\n});\n"
                },
                "node sum.test.js",
                "node",
            ),
        ),
        Case(
            "js_it_without_runner",
            "Test file run without its test runner",
            Step(
                "js_it_without_runner",
                {"api.spec.js": "it('responds', () => {\n  expect(1).toBe(1);\n});\n"},
                "node api.spec.js",
                "node",
            ),
        ),
        Case(
            "node_test_reference_error",
            "Variable is not defined (ReferenceError)",
            Step(
                "node_test_reference_error",
                {
                    "test/cart.test.js": "const test = require('node:test');\n"
                    "const assert = require('node:assert');\n"
                    "test('empty cart', () => assert.strictEqual([].length, 0));\n"
                    "test('total', () => {\n  assert.strictEqual(totl, 3);\n});\n"
                },
                "node --test test/",
                "node",
            ),
        ),
        Case(
            "node20_json_property",
            "Invalid JSON passed to JSON.parse",
            Step(
                "node20_json_property",
                {
                    "config.json": '{\n  "name": "app",\n  "port": 8080,\n}\n',
                    "app.js": "const fs = require('fs');\n"
                    "const cfg = JSON.parse(fs.readFileSync('config.json', 'utf8'));\n"
                    "console.log(cfg.port);\n",
                },
                "node app.js",
                "node",
            ),
        ),
        Case(
            "node20_json_single_quotes",
            "Invalid JSON passed to JSON.parse",
            Step(
                "node20_json_single_quotes",
                {"app.js": "const body = \"{'user': 'ada'}\";\nconsole.log(JSON.parse(body));\n"},
                "node app.js",
                "node",
            ),
        ),
        Case(
            "npm_run_wraps_type_error",
            "Cannot read properties of undefined",
            Step(
                "npm_run_wraps_type_error",
                {
                    "package.json": '{"name": "app", "version": "1.0.0", "private": true,'
                    ' "scripts": {"build": "node build.js"}}\n',
                    "build.js": "const cfg = {};\nconsole.log('building');\n"
                    "console.log(cfg.output.dir);\n",
                },
                "npm run build 2>&1",
                "node",
            ),
        ),
        Case(
            "maven_cannot_find_symbol",
            "javac cannot find symbol",
            Step(
                "maven_cannot_find_symbol",
                {
                    "pom.xml": _MAVEN_POM.format(release=17),
                    "src/main/java/demo/App.java": "package demo;\npublic class App {\n"
                    "  int f() { return missingValue; }\n}\n",
                },
                "mvn -B -o compile",
                "java",
            ),
        ),
        Case(
            "maven_incompatible_types",
            "javac incompatible types",
            Step(
                "maven_incompatible_types",
                {
                    "pom.xml": _MAVEN_POM.format(release=17),
                    "src/main/java/demo/App.java": "package demo;\npublic class App {\n"
                    '  int f() { int n = "three"; return n; }\n}\n',
                },
                "mvn -B -o compile",
                "java",
            ),
        ),
        Case(
            "maven_release_not_supported",
            "JDK older than the requested Java release",
            Step(
                "maven_release_not_supported",
                {
                    "pom.xml": _MAVEN_POM.format(release=21),
                    "src/main/java/demo/App.java": "package demo;\npublic class App {}\n",
                },
                "mvn -B -o compile",
                "java",
            ),
        ),
        Case(
            "make_wraps_undeclared",
            "Undeclared identifier",
            Step(
                "make_wraps_undeclared",
                {
                    "main.c": '#include <stdio.h>\nint main(void) {\n  printf("%d\\n", count);\n'
                    "  return 0;\n}\n",
                    "Makefile": "app: main.c\n\tcc -Wall -o app main.c\n",
                },
                "make",
                "c",
            ),
        ),
        Case(
            "cargo_moved_value",
            "Rust borrow of moved value",
            Step(
                "cargo_moved_value",
                {
                    "Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
                    "src/main.rs": 'fn main() {\n    let names = vec![String::from("a")];\n'
                    '    let moved = names;\n    println!("{}", names.len());\n'
                    "    let _ = moved;\n}\n",
                },
                "cargo build --offline 2>&1",
                "rust",
            ),
        ),
        Case(
            "cargo_test_unwrap_none",
            "Rust unwrap on None",
            Step(
                "cargo_test_unwrap_none",
                {
                    "Cargo.toml": '[package]\nname = "lib"\nversion = "0.1.0"\nedition = "2021"\n',
                    "src/lib.rs": "pub fn first(v: &[i32]) -> i32 { *v.first().unwrap() }\n"
                    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn ok() { assert_eq!(super::first"
                    "(&[1]), 1); }\n    #[test]\n    fn empty() { super::first(&[]); }\n}\n",
                },
                "cargo test --offline 2>&1",
                "rust",
            ),
        ),
        Case(
            "pytest_two_failures",
            "Test assertion failed",
            Step(
                "pytest_two_failures",
                {
                    "tests/test_price.py": "import warnings\n\n"
                    "def total(items):\n    return sum(items) * 1.2\n\n"
                    "def test_total():\n    assert total([10, 20]) == 30\n\n"
                    "def test_empty():\n    warnings.warn('old pricing', DeprecationWarning)\n"
                    "    assert total([]) == 1\n\n"
                    "def test_one():\n    assert total([5]) == 6\n"
                },
                f"{PY} -m pytest -p no:cacheprovider -rfE tests",
                "python",
            ),
        ),
        Case(
            "py_handled_trace_then_key_error",
            "Missing dictionary key",
            Step(
                "py_handled_trace_then_key_error",
                {
                    "job.py": "import logging, socket\nlogging.basicConfig()\n"
                    "log = logging.getLogger('sync')\n"
                    "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                    "except OSError:\n    log.exception('metrics endpoint down, skipping')\n"
                    "settings = {'region': 'eu'}\nprint('syncing', settings['bucket'])\n"
                },
                f"{PY} job.py",
                "python",
            ),
        ),
        Case(
            "py_chained_key_error",
            "Missing dictionary key",
            Step(
                "py_chained_key_error",
                {
                    "load.py": "class SettingsInvalid(Exception):\n    pass\n\n"
                    "def load(env):\n    try:\n        return env['DATABASE_URL']\n"
                    "    except KeyError as exc:\n"
                    "        raise SettingsInvalid('settings could not be loaded') from exc\n\n"
                    "load({})\n"
                },
                f"{PY} load.py",
                "python",
            ),
        ),
        Case(
            "yaml_config_mapping",
            "YAML syntax error",
            Step(
                "yaml_config_mapping",
                {
                    ".github/workflows/ci.yml": "name: ci\non: push\njobs:\n  test:\n"
                    "    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
                    "        name: greet: now\n"
                },
                f"{PY} -c \"import yaml; yaml.safe_load(open('.github/workflows/ci.yml'))\"",
                "ci",
            ),
        ),
        Case(
            "yaml_config_tab",
            "YAML syntax error",
            Step(
                "yaml_config_tab",
                {".gitlab-ci.yml": "test:\n\tscript:\n    - pytest\n"},
                f"{PY} -c \"import yaml; yaml.safe_load(open('.gitlab-ci.yml'))\"",
                "ci",
            ),
        ),
        Case(
            "docker_build_no_daemon",
            "Cannot connect to the Docker daemon",
            Step(
                "docker_build_no_daemon",
                {"Dockerfile": "FROM python:3.12-slim\nRUN pip install flask\n"},
                "docker build -t app . 2>&1",
                "docker",
            ),
        ),
        Case(
            "pip_resolution_impossible",
            "pip dependency conflict (ResolutionImpossible)",
            Step(
                "pip_resolution_impossible",
                {"requirements.txt": "requests==2.31.0\nurllib3==1.20\n"},
                f"{PY} -m pip install --dry-run --no-cache-dir --progress-bar off"
                " -r requirements.txt 2>&1",
                "python",
            ),
        ),
        Case(
            "tsc_not_assignable",
            "TypeScript: type is not assignable",
            Step(
                "tsc_not_assignable",
                {"src/app.ts": "let port: number = 8080;\nport = '9090';\nexport {};\n"},
                "TSC --pretty false --noEmit src/app.ts",
                "node",
            ),
        ),
        Case(
            "tsc_cannot_find_name",
            "TypeScript: cannot find name",
            Step(
                "tsc_cannot_find_name",
                {"src/app.ts": "export function f(): number {\n  return totl + 1;\n}\n"},
                "TSC --pretty false --noEmit src/app.ts",
                "node",
            ),
        ),
    ]
    cases += _negatives()
    cases += _more_negatives()
    cases += _go_cases()
    return cases


def _negatives() -> list[Case]:
    """Failures no starter spell explains: the right answer is no specific spell."""
    return [
        Case(
            "none_sh_app_exit",
            None,
            Step(
                "none_sh_app_exit",
                {
                    "deploy.sh": "echo 'uploading assets'\necho 'quota check: 105% of plan used'\n"
                    "exit 3\n"
                },
                "bash deploy.sh",
                "shell",
            ),
        ),
        Case(
            "none_py_custom_pytest",
            None,
            Step(
                "none_py_custom_pytest",
                {
                    "tests/test_ledger.py": "class LedgerUnbalanced(Exception):\n    pass\n\n"
                    "def test_close_books():\n"
                    "    raise LedgerUnbalanced('batch 7 is off by 3 cents')\n"
                },
                f"{PY} -m pytest -q -p no:cacheprovider tests",
                "python",
            ),
        ),
        Case(
            "none_rust_custom_panic",
            None,
            Step(
                "none_rust_custom_panic",
                {"main.rs": 'fn main() {\n    panic!("invariant violated: ledger batch 7");\n}\n'},
                "rustc main.rs 2>&1 && ./main",
                "rust",
            ),
        ),
        Case(
            "none_node_custom_reject",
            None,
            Step(
                "none_node_custom_reject",
                {
                    "app.js": "class TenantSuspended extends Error {}\n"
                    "async function main() { throw new TenantSuspended('tenant acme suspended'); }\n"  # noqa: E501
                    "main();\n"
                },
                "node app.js",
                "node",
            ),
        ),
    ]


def _more_negatives() -> list[Case]:
    def case(name: str, files: dict[str, str], command: str, ecosystem: str) -> Case:
        return Case(name, None, Step(name, files, command, ecosystem))

    return [
        case(
            "none_py_sys_exit",
            {
                "migrate.py": "import sys\nprint('checking migrations')\n"
                "sys.exit('migration 0042_invoices is not applied on staging')\n"
            },
            f"{PY} migrate.py",
            "python",
        ),
        case(
            "none_pytest_fixture_error",
            {
                "tests/test_db.py": "import pytest\n\n@pytest.fixture\ndef seeded():\n"
                "    raise RuntimeError('fixture seeded: tenant table has 0 rows')\n\n"
                "def test_tenants(seeded):\n    assert seeded\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider tests",
            "python",
        ),
        case(
            "none_make_lint_recipe",
            {
                "Makefile": "lint:\n\t@echo 'checking format'\n"
                "\t@echo '3 files would be reformatted'; exit 1\n"
            },
            "make lint",
            "c",
        ),
        case(
            "none_java_custom_runtime",
            {
                "Main.java": "public class Main {\n  static class BillingException extends "
                "RuntimeException {\n    BillingException(String m) { super(m); }\n  }\n"
                "  public static void main(String[] a) {\n    throw new BillingException("
                '"invoice 7 total differs from its lines");\n  }\n}\n'
            },
            "javac Main.java && java Main",
            "java",
        ),
        case(
            "none_node_assert_test",
            {
                "test/total.test.js": "const test = require('node:test');\n"
                "const assert = require('node:assert');\n"
                "test('total', () => assert.strictEqual(1 + 2, 4));\n"
            },
            "node --test test/",
            "node",
        ),
        case(
            "none_rust_assert_eq",
            {
                "Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n',
                "src/lib.rs": "pub fn add(a: i32, b: i32) -> i32 { a - b }\n#[cfg(test)]\n"
                "mod tests {\n    #[test]\n    fn adds() { assert_eq!(super::add(2, 2), 4); }\n}\n",
            },
            "cargo test --offline 2>&1",
            "rust",
        ),
        case(
            "none_c_assert",
            {
                "main.c": "#include <assert.h>\nint main(void) {\n  int balance = -3;\n"
                "  assert(balance >= 0);\n  return 0;\n}\n"
            },
            "gcc main.c -o app && ./app",
            "c",
        ),
        case(
            "none_mypy_arg_type",
            {"app.py": "def area(width: int) -> int:\n    return width * 2\n\narea('3')\n"},
            f"{PY} -m mypy --no-incremental app.py",
            "python",
        ),
        case(
            "none_sh_grep_release",
            {"CHANGELOG.md": "## 1.2.0\n- fixes\n"},
            "echo 'checking the changelog names the release' && grep -q '## 1.3.0' CHANGELOG.md",
            "shell",
        ),
        case(
            "none_py_custom_validation",
            {
                "check.py": "class SchemaDrift(Exception):\n    pass\n\n"
                "cols = ['id', 'email']\nif 'tenant_id' not in cols:\n"
                "    raise SchemaDrift('users table lacks tenant_id (expected by 3 queries)')\n"
            },
            f"{PY} check.py",
            "python",
        ),
        case(
            "none_go_test_custom",
            {
                "go.mod": "module example.com/calc\n\ngo 1.19\n",
                "calc.go": "package calc\n\nfunc Add(a, b int) int { return a - b }\n",
                "calc_test.go": 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n'
                '\tif Add(2, 2) != 4 {\n\t\tpanic("ledger invariant broken")\n\t}\n}\n',
            },
            "go test ./... 2>&1",
            "go",
        ),
    ]


def _go_cases() -> list[Case]:
    if shutil.which("go") is None:
        return []
    mod = {"go.mod": "module example.com/app\n\ngo 1.19\n"}

    def go(name: str, expected: str | None, body: str, command: str = "go run .") -> Case:
        return Case(name, expected, Step(name, {**mod, "main.go": body}, command, "go"))

    return [
        go(
            "go_nil_map",
            "Go nil map assignment",
            'package main\n\nfunc main() {\n\tvar m map[string]int\n\tm["a"] = 1\n}\n',
        ),
        go(
            "go_index",
            "Go index out of range",
            'package main\n\nimport "fmt"\n\nfunc main() {\n\ts := []int{1}\n'
            "\ti := len(s) + 2\n\tfmt.Println(s[i])\n}\n",
        ),
        go(
            "go_unused",
            "Go declared and not used",
            "package main\n\nfunc main() {\n\tx := 1\n}\n",
            "go build ./... 2>&1",
        ),
        go(
            "go_undefined",
            "Go undefined name",
            'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(totl)\n}\n',
            "go vet ./... 2>&1",
        ),
        go(
            "go_deadlock",
            "Go deadlock, all goroutines are asleep",
            "package main\n\nfunc main() {\n\tc := make(chan int)\n\tc <- 1\n}\n",
        ),
        go(
            "go_nil_pointer",
            "Go nil pointer dereference",
            "package main\n\ntype T struct{ n int }\n\nfunc main() {\n\tvar t *T\n"
            "\tprintln(t.n)\n}\n",
        ),
        go(
            "none_go_log_fatal",
            None,
            'package main\n\nimport "log"\n\nfunc main() {\n'
            '\tlog.Fatal("reconcile: 3 invoices left unmatched")\n}\n',
        ),
    ]


def _program_cases() -> list[Case]:
    """The broken programs of generate.py, each as a failing step."""
    cases = []
    for name, expected, files, command in PROGRAM_CASES:
        ecosystem = (
            "python"
            if name.startswith(("py_", "mypy"))
            else "node"
            if name.startswith(("js_", "node", "npm"))
            else "c"
            if name.startswith(("c_", "cpp", "make"))
            else "java"
            if name.startswith(("java", "maven"))
            else "rust"
            if name.startswith("rust")
            else "any"
        )
        command = command.replace(sys.executable, PY).replace("python3 ", f"{PY} ")
        cases.append(Case(name, expected, Step(name, files, command, ecosystem)))
    return cases


class Run(NamedTuple):
    output: str
    status: int


def run_step(step: Step, tsc: str) -> Run:
    """Run a step in a fresh directory and return its combined output and exit status."""
    where = ROOT / "steps" / step.name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name, text in step.files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(text.encode())
    command = step.command.replace("TSC ", f"{tsc} ")
    try:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=where,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        return Run(out.decode("utf-8", "replace") + "\nTerminated: step timed out\n", 124)
    return Run(proc.stdout.decode("utf-8", "replace"), proc.returncode)


def _shell_status(run: Run) -> Run:
    """Report a death by signal N as a shell does: status 128 + N."""
    return run if run.status >= 0 else Run(run.output, 128 - run.status)


def _slow_server() -> None:
    """A mirror that accepts connections and never answers: pip's read timeouts, for real."""
    host, port = _SLOW_SERVER.split(":")
    server = socket.create_server((host, int(port)))
    held = []

    def serve() -> None:
        while True:
            conn, _ = server.accept()
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()


def _install_tsc() -> str:
    where = ROOT / "tsc"
    if not (where / "node_modules/.bin/tsc").exists():
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "typescript@5.4.5"],
            cwd=where,
            check=False,
            capture_output=True,
            timeout=300,
        )
    return str(where / "node_modules/.bin/tsc")


# ---- wrapping a job as a CI runner prints it -------------------------------------------------

_NOISE_BY_ECOSYSTEM = {
    "python": [
        "pip_install",
        "pip_retry_then_ok",
        "pytest_pass",
        "pytest_pass_short",
        "python_runtime_warning",
        "lint_notes",
    ],
    "node": ["npm_install_deprecated", "npm_eresolve_then_legacy", "node_test_pass"],
    "c": ["gcc_warnings_ok", "env_report"],
    "rust": ["cargo_build_warning"],
    "java": ["javac_deprecation"],
    "go": ["env_report"],
    "shell": ["env_report", "gcc_warnings_ok"],
    "docker": ["env_report", "pip_install"],
    "ci": ["env_report", "pip_install"],
    "any": ["env_report", "pytest_pass_short"],
}
_RED_HERRINGS = [
    "mkdir_ignored",
    "pip_retry_then_ok",
    "npm_eresolve_then_legacy",
    "pytest_pass",
    "python_runtime_warning",
]


def _job_steps(name: str, ecosystem: str, rng: random.Random) -> list[str]:
    pool = _NOISE_BY_ECOSYSTEM.get(ecosystem, _NOISE_BY_ECOSYSTEM["any"])
    steps = ["git_checkout", rng.choice(["pytest_pass", "node_test_pass"])]
    steps += rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
    steps += [s for s in rng.sample(_RED_HERRINGS, k=rng.randint(1, 2)) if s not in steps]
    return steps


def _command_of(step: Step) -> str:
    return step.command.replace(PY, "python").replace(str(ROOT), ".").split(" 2>&1")[0]


class _Clock:
    def __init__(self, rng: random.Random) -> None:
        self.t: float = 1_764_770_000 + rng.randint(0, 5_000_000)
        self.rng = rng

    def tick(self) -> float:
        self.t += self.rng.random() * 0.05
        return self.t

    def iso(self, digits: int = 7) -> str:
        t = self.tick()
        frac = f"{t % 1:.{digits}f}"[2:]
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{frac}Z"


def wrap_github(steps: list[tuple[Step, Run]], clock: _Clock) -> str:
    out = [
        "Current runner version: '2.321.0'",
        "##[group]Operating System",
        "Ubuntu",
        "22.04.5",
        "LTS",
        "##[endgroup]",
        "##[group]Runner Image",
        "Image: ubuntu-22.04",
        "Version: 20241201.1.0",
        "##[endgroup]",
        "Prepare workflow directory",
        "Prepare all required actions",
        "Getting action download info",
        "Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",  # noqa: E501
        "Complete job name: build",
    ]
    status = 0
    for step, run in steps:
        out.append(f"##[group]Run {_command_of(step)}")
        out.append(_command_of(step))
        out.append("shell: /usr/bin/bash -e {0}")
        out.append("##[endgroup]")
        out += run.output.rstrip("\n").split("\n")
        status = run.status
        if status:
            out.append(f"##[error]Process completed with exit code {status}.")
            break
    out += ["Post job cleanup.", "Cleaning up orphan processes"]
    return "\n".join(f"{clock.iso()} {line}" for line in out) + "\n"


def wrap_gitlab(steps: list[tuple[Step, Run]], clock: _Clock) -> str:
    def section(kind: str, name: str, title: str = "") -> str:
        head = f"section_{kind}:{int(clock.tick())}:{name}\r\x1b[0K"
        return head + (f"\x1b[0K\x1b[36;1m{title}\x1b[0;m" if title else "")

    out = [
        "\x1b[0KRunning with gitlab-runner 17.5.0 (66269445)\x1b[0;m",
        "\x1b[0K  on docker-runner-2 t3_xYz9a, system ID: s_4f2c8e1b9d07\x1b[0;m",
        section("start", "prepare_executor", 'Preparing the "docker" executor'),
        "\x1b[0KUsing Docker executor with image python:3.11 ...\x1b[0;m",
        section("end", "prepare_executor"),
        section("start", "get_sources", "Getting source from Git repository"),
        "\x1b[32;1mFetching changes with git depth set to 20...\x1b[0;m",
        section("end", "get_sources"),
        section("start", "step_script", 'Executing "step_script" stage of the job script'),
    ]
    status = 0
    for step, run in steps:
        out.append(f"\x1b[32;1m$ {_command_of(step)}\x1b[0;m")
        out += run.output.rstrip("\n").split("\n")
        status = run.status
        if status:
            break
    out.append(section("end", "step_script"))
    out.append(section("start", "cleanup_file_variables", "Cleaning up project directory"))
    out.append(section("end", "cleanup_file_variables"))
    if status:
        out.append(f"\x1b[31;1mERROR: Job failed: exit code {status}\x1b[0;m")
    else:
        out.append("\x1b[32;1mJob succeeded\x1b[0;m")
    return "\n".join(out) + "\n"


def wrap_jenkins(steps: list[tuple[Step, Run]], clock: _Clock) -> str:
    stamp = clock.rng.random() < 0.5
    out = [
        "Started by an SCM change",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] node",
        "Running on agent-linux-3 in /home/jenkins/workspace/app_main",
        "[Pipeline] {",
        "[Pipeline] stage",
        "[Pipeline] { (Build)",
    ]
    status = 0
    for step, run in steps:
        out += ["[Pipeline] sh", f"+ {_command_of(step)}"]
        out += run.output.rstrip("\n").split("\n")
        status = run.status
        if status:
            break
    out += [
        "[Pipeline] }",
        "[Pipeline] // stage",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
    ]
    if status:
        out += [f"ERROR: script returned exit code {status}", "Finished: FAILURE"]
    else:
        out.append("Finished: SUCCESS")
    if stamp:
        return (
            "\n".join(
                line if line.startswith("[Pipeline]") else f"[{clock.iso(3)}] {line}"
                for line in out
            )
            + "\n"
        )
    return "\n".join(out) + "\n"


WRAPPERS = {"github": wrap_github, "gitlab": wrap_gitlab, "jenkins": wrap_jenkins}


def _scrub(text: str) -> str:
    """Put the paths of this machine where a CI runner would have them."""
    repo = str(Path(__file__).resolve().parents[2])
    text = text.replace(f"{repo}/.venv", "/opt/venv").replace(repo, "/home/runner/work/app")
    text = text.replace(str(ROOT / "steps"), "/home/runner/work/app")
    return text.replace(sys.prefix, "/opt/venv")


def held_out(case: str) -> bool:
    """Tell whether a case's logs are in the held-out part (never tuned on): a hash of the
    case's name, so both logs of one broken program land in the same part."""
    return hashlib.sha256(case.encode()).digest()[0] % 2 == 1


def main() -> None:
    """Run every step once and write the corpus."""
    _slow_server()
    tsc = _install_tsc()
    cases = _program_cases() + _cascades()
    cache = ROOT / "runs.json"
    saved = json.loads(cache.read_text()) if cache.exists() and "--fresh" not in sys.argv else {}
    runs: dict[str, Run] = {name: _shell_status(Run(*run)) for name, run in saved.items()}
    needed = {c.step.name: c.step for c in cases}
    needed.update(NOISE)
    for name, step in needed.items():
        tool = step.command.split()[0].rsplit("/", 1)[-1].replace("TSC", "node")
        if shutil.which(tool) is None and not Path(step.command.split()[0]).exists():
            print(f"skip {name}: {tool} is not installed", flush=True)
            continue
        if name in runs:
            continue
        started = time.monotonic()
        runs[name] = _shell_status(run_step(step, tsc))
        cache.write_text(json.dumps({n: list(r) for n, r in runs.items()}))
        print(
            f"{name}: exit {runs[name].status}, {len(runs[name].output)} chars, "
            f"{time.monotonic() - started:.1f}s",
            flush=True,
        )
    logs = []
    for case in cases:
        if case.step.name not in runs or runs[case.step.name].status == 0:
            continue  # a step that did not fail ends no job
        for variant in range(2):
            name = f"{case.name}#{variant}"
            rng = random.Random(name)
            wrapper = list(WRAPPERS)[
                (variant + int(hashlib.sha256(case.name.encode()).digest()[1])) % 3
            ]
            steps = [
                (NOISE[s], runs[s])
                for s in _job_steps(name, case.step.ecosystem, rng)
                if s in runs and runs[s].status == 0
            ]
            steps.append((case.step, runs[case.step.name]))
            text = _scrub(WRAPPERS[wrapper](steps, _Clock(rng)))
            logs.append(
                {
                    "name": name,
                    "expected": case.expected,
                    "runner": wrapper,
                    "ecosystem": case.step.ecosystem,
                    "held_out": held_out(case.name),
                    "lines": text.count("\n"),
                    "log": text,
                }
            )
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(logs, f, ensure_ascii=False)
    print(f"{len(logs)} logs written to {OUT}")


if __name__ == "__main__":
    main()
