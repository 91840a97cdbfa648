"""The failing steps with several errors, one of them the cause (the classes of issue 13)."""

from __future__ import annotations

from tests.quality.cilog_negatives import go_cases, negatives
from tests.quality.cilog_steps import _CONFLICT, _MAVEN_POM, PY, Case, Step


def cascades() -> list[Case]:
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
            "Conflict markers left in a source file",
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
            "Conflict markers left in a source file",
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
            "Conflict markers left in a source file",
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
            "Conflict markers left in a source file",
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
    cases += negatives()
    cases += go_cases()
    return cases
