"""The fourth tuning batch's sixth round: errors raised in a worker and reported by its owner.

A thread, a pool or a child process fails, and the code that waits for it reports the failure
again in its own words: Rust's ``join().unwrap()`` on a panicked thread (``Any { .. }``), Java's
``ExecutionException`` around the task's exception, Python's ``Future.result()`` re-raising,
Node's parent of a forked child. Also mocha's report format, and negatives from linters and
formatters that fail a build with no runtime error at all (ruff, ``cargo fmt --check``, ``go
vet``) and a C++ exception no spell knows, worded like an index error.
"""

from __future__ import annotations

from tests.quality.cilog_steps import PY, Case, Step

_CARGO = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n'
_MOCHA = "npm install --no-audit --no-fund --loglevel error mocha@10.4.0 >/dev/null 2>&1; "


def _case(
    name: str, label: str | None, ecosystem: str, files: dict[str, str], command: str
) -> Case:
    return Case(name, label, Step(name, files, command, ecosystem))


def worker_cases() -> list[Case]:
    """The sixth round's cases."""
    return [
        _case(
            "u_rust_thread_index_then_join_unwrap",
            "Rust index out of bounds",
            "rust",
            {
                "Cargo.toml": _CARGO,
                "src/main.rs": "use std::thread;\nfn main() {\n"
                "    let h = thread::spawn(|| {\n        let v = vec![1, 2, 3];\n"
                "        let i = v.len() + 2;\n        v[i]\n    });\n"
                '    println!("{}", h.join().unwrap());\n}\n',
            },
            "cargo run --offline 2>&1",
        ),
        _case(
            "u_java_execution_exception_npe",
            "Java NullPointerException",
            "java",
            {
                "Main.java": "import java.util.concurrent.*;\npublic class Main {\n"
                "  public static void main(String[] a) throws Exception {\n"
                "    ExecutorService pool = Executors.newSingleThreadExecutor();\n"
                "    Future<Integer> f = pool.submit(() -> {\n      String s = null;\n"
                "      return s.length();\n    });\n    try {\n"
                "      System.out.println(f.get());\n    } finally {\n"
                "      pool.shutdown();\n    }\n  }\n}\n"
            },
            "javac Main.java 2>&1 && java Main 2>&1",
        ),
        _case(
            "u_py_future_result_keyerror",
            "Missing dictionary key",
            "python",
            {
                "fan.py": "from concurrent.futures import ThreadPoolExecutor\n\n"
                "def fetch(row):\n    return row['price']\n\n"
                "with ThreadPoolExecutor(2) as pool:\n"
                "    futures = [pool.submit(fetch, r) for r in ({'price': 1}, {})]\n"
                "    print([f.result() for f in futures])\n"
            },
            f"{PY} fan.py 2>&1",
        ),
        _case(
            "u_node_fork_child_type_error",
            "Value is not a function",
            "node",
            {
                "child.js": "const rows = {};\nrows.forEach((r) => console.log(r));\n",
                "parent.js": "const { fork } = require('child_process');\n"
                "console.log('starting worker');\nconst c = fork('./child.js');\n"
                "c.on('exit', (code) => {\n  console.error(`worker exited with code ${code}`);\n"
                "  process.exit(code);\n});\n",
            },
            "node parent.js 2>&1",
        ),
        _case(
            "u_mocha_undefined_property",
            "Cannot read properties of undefined",
            "node",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "private": true,'
                ' "scripts": {"test": "mocha"}}\n',
                "test/cfg.test.js": "const assert = require('assert');\n"
                "describe('config', () => {\n  it('loads', () => assert.ok(true));\n"
                "  it('reads the port', () => {\n    const cfg = {};\n"
                "    assert.equal(cfg.server.port, 80);\n  });\n});\n",
            },
            _MOCHA + "npm test 2>&1",
        ),
        _case(
            "u_mocha_reference_error",
            "Variable is not defined (ReferenceError)",
            "node",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "private": true,'
                ' "scripts": {"test": "mocha"}}\n',
                "test/sum.test.js": "const assert = require('assert');\n"
                "describe('sum', () => {\n  it('adds', () => assert.equal(totl(1, 2), 3));\n});\n",
            },
            _MOCHA + "npm test 2>&1",
        ),
        _case(
            "u_neg_cpp_out_of_range",
            None,
            "c",
            {
                "main.cpp": "#include <vector>\n#include <cstdio>\nint main() {\n"
                '  std::vector<int> v{1, 2, 3};\n  std::puts("checking");\n'
                "  return v.at(5);\n}\n"
            },
            "g++ main.cpp -o app 2>&1 && ./app 2>&1",
        ),
        _case(
            "u_neg_ruff_unused_import",
            None,
            "python",
            {"src/app.py": "import os\nimport sys\n\nprint(sys.argv)\n"},
            f"{PY} -m ruff check --no-cache src 2>&1",
        ),
        _case(
            "u_neg_cargo_fmt_check",
            None,
            "rust",
            {"Cargo.toml": _CARGO, "src/main.rs": 'fn main(){\nlet x=1;println!("{}",x);}\n'},
            "cargo fmt --check 2>&1",
        ),
        _case(
            "u_neg_go_vet_printf",
            None,
            "go",
            {
                "go.mod": "module example.com/app\n\ngo 1.19\n",
                "main.go": 'package main\n\nimport "fmt"\n\nfunc main() {\n'
                '\tfmt.Printf("%d items\\n", "three")\n}\n',
            },
            "go vet ./... 2>&1",
        ),
    ]
