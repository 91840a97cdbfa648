"""Failing steps no starter spell explains (the right answer is none), and Go's cases."""

from __future__ import annotations

import shutil

from tests.quality.cilog_steps import PY, Case, Step


def _first_negatives() -> list[Case]:
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


def negatives() -> list[Case]:
    """Failures no starter spell explains: the right answer is no specific spell."""
    return _first_negatives() + _more_negatives()


def go_cases() -> list[Case]:
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
