"""The steps of the CI log corpus: commands that pass (noise, red herrings), as ``Step``s.

A ``Step`` is a command run in its own directory with the files it needs; a ``Case`` is a failing
step with the title of the starter spell that explains it (``None``: none does). ``cilogs.py``
runs them and wraps them as CI jobs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path("/tmp/grimoire-cilogs")
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
