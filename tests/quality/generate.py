"""Regenerate tests/quality/cases.json by running small broken programs for real.

Each case writes a few files into its own directory under a fixed root (so paths in the output
are stable), runs a command with the compilers and interpreters of this machine, and records the
combined output with the title of the starter spell that should rank first (``null``: no spell
fits). Tools that are missing are skipped and reported. Run: ``python tests/quality/generate.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path("/tmp/grimoire-quality")
OUT = Path(__file__).with_name("cases.json")
PY = "python3"
VENV_PY = sys.executable

# (name, expected title or None, files, command)
CASES: list[tuple[str, str | None, dict[str, str], str]] = [
    (
        "py_module_not_found",
        "Python module is not installed",
        {"app.py": "import requests_oauthlib_missing\n"},
        f"{PY} app.py",
    ),
    (
        "py_name_error",
        "Name is not defined",
        {"app.py": "def main():\n    print(totl)\n\nmain()\n"},
        f"{PY} app.py",
    ),
    (
        "py_key_error",
        "Missing dictionary key",
        {"app.py": "config = {'host': 'x'}\nprint(config['port'])\n"},
        f"{PY} app.py",
    ),
    (
        "py_none_attribute",
        "Attribute access on None",
        {"app.py": "import re\nm = re.match('a', 'b')\nprint(m.group(0))\n"},
        f"{PY} app.py",
    ),
    (
        "py_module_attribute",
        "Module has no such attribute (shadowed or circular import)",
        {"app.py": "import json\njson.loadz('{}')\n"},
        f"{PY} app.py",
    ),
    (
        "py_none_subscript",
        "NoneType object is not subscriptable",
        {"app.py": "def f():\n    pass\n\nprint(f()['a'])\n"},
        f"{PY} app.py",
    ),
    (
        "py_str_concat",
        "Concatenating str and a non-str",
        {"app.py": "count = 3\nprint('total: ' + count)\n"},
        f"{PY} app.py",
    ),
    (
        "py_operand_types",
        "Unsupported operand types",
        {"app.py": "print(None + 1)\n"},
        f"{PY} app.py",
    ),
    (
        "py_wrong_args",
        "Function called with the wrong number of arguments",
        {"app.py": "def add(a, b):\n    return a + b\n\nadd(1)\n"},
        f"{PY} app.py",
    ),
    (
        "py_int_literal",
        "Invalid literal for int()",
        {"app.py": "port = int('80a')\n"},
        f"{PY} app.py",
    ),
    (
        "py_unpack",
        "Unpacking the wrong number of values",
        {"app.py": "a, b = [1, 2, 3]\n"},
        f"{PY} app.py",
    ),
    (
        "py_index",
        "List index out of range",
        {"app.py": "items = []\nprint(items[0])\n"},
        f"{PY} app.py",
    ),
    (
        "py_zero_division",
        "Division by zero",
        {"app.py": "total = 0\nprint(10 / total)\n"},
        f"{PY} app.py",
    ),
    (
        "py_file_not_found",
        "File or directory not found",
        {"app.py": "open('settings.toml').read()\n"},
        f"{PY} app.py",
    ),
    ("py_indent", "Indentation error", {"app.py": "def f():\nreturn 1\n"}, f"{PY} app.py"),
    ("py_syntax", "Python syntax error", {"app.py": "print('hello'\n"}, f"{PY} app.py"),
    (
        "py_recursion",
        "Maximum recursion depth exceeded",
        {"app.py": "def f(n):\n    return f(n + 1)\n\nf(0)\n"},
        f"{PY} app.py",
    ),
    (
        "py_circular_import",
        "Circular import",
        {
            "a.py": "from b import g\n\ndef f():\n    return 1\n",
            "b.py": "from a import f\n\ndef g():\n    return 2\n",
            "app.py": "import a\n",
        },
        f"{PY} app.py",
    ),
    (
        "py_cannot_import_name",
        "Cannot import name from module",
        {"app.py": "from os import does_not_exist\n"},
        f"{PY} app.py",
    ),
    (
        "py_unicode_decode",
        "Unicode decode error",
        {"app.py": "b'\\xff\\xfe'.decode('utf-8')\n"},
        f"{PY} app.py",
    ),
    (
        "py_json_decode",
        "JSON decode error: expecting value",
        {"app.py": "import json\njson.loads('')\n"},
        f"{PY} app.py",
    ),
    (
        "py_dict_changed",
        "Dictionary changed size during iteration",
        {"app.py": "d = {1: 1}\nfor k in d:\n    d[k + 1] = 1\n"},
        f"{PY} app.py",
    ),
    (
        "py_never_awaited",
        "Coroutine was never awaited",
        {"app.py": "import asyncio\n\nasync def work():\n    return 1\n\nwork()\n"},
        f"{PY} -W default app.py",
    ),
    (
        "py_connection_refused",
        "Connection refused",
        {"app.py": "import socket\nsocket.create_connection(('127.0.0.1', 9))\n"},
        f"{PY} app.py",
    ),
    (
        "py_pytest_assert",
        "Test assertion failed",
        {
            "test_math.py": (
                "def add(a, b):\n    return a - b\n\ndef test_add():\n    assert add(1, 2) == 3\n"
            )
        },
        f"{VENV_PY} -m pytest -q -p no:cacheprovider -p no:asyncio test_math.py",
    ),
    (
        "py_detached_instance",
        "SQLAlchemy instance is not bound to a session",
        {
            "app.py": (
                "from sqlalchemy import create_engine, ForeignKey\n"
                "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
                "from sqlalchemy.orm import relationship, Session\n"
                "class Base(DeclarativeBase):\n    pass\n"
                "class User(Base):\n    __tablename__ = 'users'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    posts: Mapped[list['Post']] = relationship()\n"
                "class Post(Base):\n    __tablename__ = 'posts'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    user_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n"
                "engine = create_engine('sqlite://')\nBase.metadata.create_all(engine)\n"
                "with Session(engine) as s:\n    s.add(User(id=1))\n    s.commit()\n"
                "    user = s.get(User, 1)\n"
                "print(user.posts)\n"
            )
        },
        f"{VENV_PY} app.py",
    ),
    (
        "py_pip_no_version",
        "pip cannot find a matching distribution",
        {},
        f"{PY} -m pip download --no-deps -d . grimoire-no-such-package-zz==1.0",
    ),
    (
        "js_undefined_property",
        "Cannot read properties of undefined",
        {"app.js": "const user = {};\nconsole.log(user.profile.name);\n"},
        "node app.js",
    ),
    (
        "js_not_function",
        "Value is not a function",
        {"app.js": "const api = {};\napi.fetchUsers();\n"},
        "node app.js",
    ),
    (
        "js_reference",
        "Variable is not defined (ReferenceError)",
        {"app.js": "function main() {\n  return totl + 1;\n}\nmain();\n"},
        "node app.js",
    ),
    (
        "js_cannot_find_module",
        "Node cannot find module",
        {"app.js": "const express = require('express-missing-zz');\n"},
        "node app.js",
    ),
    (
        "js_json_parse",
        "Invalid JSON passed to JSON.parse",
        {"app.js": "JSON.parse('<html>');\n"},
        "node app.js",
    ),
    (
        "js_import_commonjs",
        "Cannot use import statement outside a module",
        {"app.cjs": "import fs from 'fs';\nconsole.log(fs);\n"},
        "node app.cjs",
    ),
    (
        "js_const_assign",
        "Assignment to constant variable",
        {"app.js": "const retries = 1;\nretries = 2;\n"},
        "node app.js",
    ),
    (
        "js_call_stack",
        "Maximum call stack size exceeded",
        {"app.js": "function f() { return f(); }\nf();\n"},
        "node app.js",
    ),
    (
        "js_eaddrinuse",
        "Port already in use (EADDRINUSE)",
        {
            "app.js": (
                "const net = require('net');\nconst a = net.createServer().listen(0, () => {\n"
                "  net.createServer().listen(a.address().port);\n});\n"
            )
        },
        "node app.js",
    ),
    (
        "js_econnrefused",
        "Connection refused",
        {"app.js": "require('net').connect(9, '127.0.0.1');\n"},
        "node app.js",
    ),
    (
        "npm_missing_script",
        "npm script is missing",
        {"package.json": '{"name": "demo", "version": "1.0.0"}\n'},
        "npm run build",
    ),
    (
        "npm_e404",
        "npm package not found (E404)",
        {"package.json": '{"name": "demo", "version": "1.0.0"}\n'},
        "npm install --no-audit --no-fund grimoire-no-such-package-zz",
    ),
    (
        "c_undefined_reference",
        "Undefined reference at link time",
        {"main.c": "int helper(void);\nint main(void) { return helper(); }\n"},
        "gcc main.c -o main",
    ),
    (
        "c_missing_header",
        "Header file not found",
        {"main.c": "#include <libfoo/foo.h>\nint main(void) { return 0; }\n"},
        "gcc -c main.c",
    ),
    (
        "c_undeclared",
        "Undeclared identifier",
        {"main.c": "int main(void) { return count; }\n"},
        "gcc -c main.c",
    ),
    (
        "cpp_undeclared",
        "Undeclared identifier",
        {"main.cpp": "int main() { return count; }\n"},
        "g++ -c main.cpp",
    ),
    (
        "c_expected_semicolon",
        "Missing semicolon",
        {"main.c": "int main(void) {\n  int x = 1\n  return x;\n}\n"},
        "gcc -c main.c",
    ),
    (
        "cpp_no_matching_function",
        "No matching function for call",
        {
            "main.cpp": (
                "#include <string>\nvoid f(int) {}\nvoid f(double, double) {}\n"
                'int main() { f(std::string("a")); }\n'
            )
        },
        "g++ -c main.cpp",
    ),
    (
        "c_multiple_definition",
        "Multiple definition at link time",
        {"a.c": "int shared = 1;\n", "b.c": "int shared = 2;\nint main(void) { return 0; }\n"},
        "gcc a.c b.c -o main",
    ),
    (
        "c_segfault",
        "Segmentation fault",
        {"main.c": "int main(void) { int *p = 0; return *p; }\n"},
        "gcc -O0 main.c -o main && ./main; true",
    ),
    (
        "c_asan_overflow",
        "AddressSanitizer: heap buffer overflow",
        {
            "main.c": (
                "#include <stdlib.h>\nint main(void) {\n  int *a = malloc(4 * sizeof(int));\n"
                "  a[4] = 1;\n  free(a);\n  return 0;\n}\n"
            )
        },
        "gcc -g -fsanitize=address main.c -o main && ./main",
    ),
    (
        "c_conflicting_types",
        "Conflicting types for a function",
        {"main.c": "int f(int);\nchar f(char c) { return c; }\nint main(void) { return 0; }\n"},
        "gcc -c main.c",
    ),
    (
        "java_npe",
        "Java NullPointerException",
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                "    String name = null;\n    System.out.println(name.length());\n  }\n}\n"
            )
        },
        "javac Main.java && java Main",
    ),
    (
        "java_index",
        "Java array index out of bounds",
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                "    int[] a = new int[2];\n    a[3] = 1;\n  }\n}\n"
            )
        },
        "javac Main.java && java Main",
    ),
    (
        "java_class_cast",
        "Java ClassCastException",
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                '    Object o = "x";\n    Integer i = (Integer) o;\n  }\n}\n'
            )
        },
        "javac Main.java && java Main",
    ),
    (
        "java_number_format",
        "Java NumberFormatException",
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                '    Integer.parseInt("12a");\n  }\n}\n'
            )
        },
        "javac Main.java && java Main",
    ),
    (
        "java_cannot_find_symbol",
        "javac cannot find symbol",
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                "    System.out.println(count);\n  }\n}\n"
            )
        },
        "javac Main.java",
    ),
    (
        "java_incompatible_types",
        "javac incompatible types",
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                '    int n = "five";\n  }\n}\n'
            )
        },
        "javac Main.java",
    ),
    ("java_class_not_found", "Java class not found", {}, "java -cp . com.example.Missing"),
    (
        "java_concurrent_modification",
        "Java ConcurrentModificationException",
        {
            "Main.java": (
                "import java.util.*;\npublic class Main {\n"
                "  public static void main(String[] args) {\n"
                "    List<Integer> l = new ArrayList<>(List.of(1, 2, 3));\n"
                "    for (Integer i : l) { l.remove(i); }\n  }\n}\n"
            )
        },
        "javac Main.java && java Main",
    ),
    (
        "java_stack_overflow",
        "Java StackOverflowError",
        {
            "Main.java": (
                "public class Main {\n  static int f(int n) { return f(n + 1); }\n"
                "  public static void main(String[] args) { f(0); }\n}\n"
            )
        },
        "javac Main.java && java Main 2>&1 | head -n 12",
    ),
    (
        "java_heap",
        "Java heap space (OutOfMemoryError)",
        {
            "Main.java": (
                "import java.util.*;\npublic class Main {\n"
                "  public static void main(String[] args) {\n"
                "    List<long[]> keep = new ArrayList<>();\n"
                "    while (true) { keep.add(new long[1 << 20]); }\n  }\n}\n"
            )
        },
        "javac Main.java && java -Xmx16m Main",
    ),
    (
        "rust_moved",
        "Rust borrow of moved value",
        {
            "main.rs": (
                "fn main() {\n    let v = vec![1];\n    let w = v;\n"
                '    println!("{:?} {:?}", v, w);\n}\n'
            )
        },
        "rustc main.rs",
    ),
    (
        "rust_mismatched",
        "Rust mismatched types",
        {"main.rs": 'fn main() {\n    let n: i32 = "five";\n}\n'},
        "rustc main.rs",
    ),
    (
        "rust_borrow_mut",
        "Rust cannot borrow as mutable",
        {"main.rs": "fn main() {\n    let v = Vec::new();\n    v.push(1);\n}\n"},
        "rustc main.rs",
    ),
    (
        "rust_unwrap_none",
        "Rust unwrap on None",
        {"main.rs": "fn main() {\n    let v: Vec<i32> = vec![];\n    v.first().unwrap();\n}\n"},
        "rustc main.rs && ./main",
    ),
    (
        "rust_index",
        "Rust index out of bounds",
        {
            "main.rs": (
                "fn main() {\n    let v = vec![1, 2];\n    let i = v.len() + 1;\n"
                '    println!("{}", v[i]);\n}\n'
            )
        },
        "rustc main.rs && ./main",
    ),
    (
        "make_no_rule",
        "make: no rule to make target",
        {"Makefile": "all: missing.o\n\tcc missing.o\n"},
        "make",
    ),
    (
        "make_missing_separator",
        "Makefile missing separator",
        {"Makefile": "all:\n    echo hi\n"},
        "make",
    ),
    ("make_recipe_failed", "Build step failed (make)", {"Makefile": "all:\n\tfalse\n"}, "make"),
    (
        "sh_command_not_found",
        "Command not found",
        {"ci.sh": "set -e\necho building\nyarnn install\n"},
        "bash ci.sh",
    ),
    (
        "sh_permission_denied",
        "Permission denied running a script",
        {"build.sh": "echo hi\n"},
        "chmod -x build.sh && ./build.sh",
    ),
    ("git_not_repo", "Not a git repository", {}, "git status"),
    (
        "docker_daemon",
        "Cannot connect to the Docker daemon",
        {},
        "docker -H unix:///tmp/grimoire-no-docker.sock ps",
    ),
    (
        "ci_exit_code_only",
        "Process completed with a non-zero exit code",
        {
            "ci.sh": (
                "echo 'Run ./scripts/check'\necho '##[error]Process completed with exit code 2.'\n"
            )
        },
        "bash ci.sh",
    ),
    (
        "py_pytest_assert_message",
        "Test assertion failed",
        {
            "test_api.py": (
                "def status():\n    return 500\n\n"
                "def test_status():\n    assert status() == 200, 'health check failed'\n"
            )
        },
        f"{VENV_PY} -m pytest -q -p no:cacheprovider -p no:asyncio test_api.py",
    ),
    (
        "py_env_key_error",
        "Missing dictionary key",
        {"app.py": "import os\nprint(os.environ['DATABASE_URL'])\n"},
        "env -u DATABASE_URL python3 app.py",
    ),
    (
        "js_esm_module_not_found",
        "Node cannot find module",
        {"app.mjs": "import { helper } from './helpers.js';\nhelper();\n"},
        "node app.mjs",
    ),
    (
        "java_list_index",
        "Java array index out of bounds",
        {
            "Main.java": (
                "import java.util.*;\npublic class Main {\n"
                "  public static void main(String[] args) {\n"
                "    List<String> l = new ArrayList<>();\n    l.get(5);\n  }\n}\n"
            )
        },
        "javac Main.java && java Main",
    ),
    ("none_py_not_iterable", None, {"app.py": "for x in 5:\n    print(x)\n"}, f"{PY} app.py"),
    (
        "none_py_str_attribute",
        None,
        {"app.py": "name = 'grimoire'\nname.append('!')\n"},
        f"{PY} app.py",
    ),
    ("none_py_math_domain", None, {"app.py": "import math\nmath.sqrt(-1)\n"}, f"{PY} app.py"),
    (
        "none_c_no_member",
        None,
        {"main.c": "struct point { int x; };\nint main(void) { struct point p; return p.y; }\n"},
        "gcc -c main.c",
    ),
    (
        "rust_unresolved_name",
        "Rust cannot find a name in this scope",
        {"main.rs": 'fn main() {\n    println!("{}", missing_value);\n}\n'},
        "rustc main.rs",
    ),
    (
        "node_heap_out_of_memory",
        "Node ran out of heap memory",
        {"app.js": "const kept = [];\nwhile (true) kept.push(new Array(1e5).fill(1));\n"},
        "node --max-old-space-size=16 app.js",
    ),
    (
        "mypy_incompatible_assignment",
        "mypy: incompatible types in assignment",
        {"app.py": 'count: int = 0\ncount = "three"\n'},
        f"{VENV_PY} -m mypy --no-incremental app.py",
    ),
    (
        "maven_offline_unresolved",
        "Maven could not resolve dependencies or plugins",
        {
            "pom.xml": (
                '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
                "  <modelVersion>4.0.0</modelVersion>\n"
                "  <groupId>com.example</groupId><artifactId>demo</artifactId>"
                "<version>1.0</version>\n"
                "  <dependencies><dependency><groupId>com.example</groupId>"
                "<artifactId>core-missing</artifactId><version>9.9</version>"
                "</dependency></dependencies>\n"
                "</project>\n"
            ),
            "src/main/java/demo/App.java": "package demo;\npublic class App {}\n",
        },
        "mvn -B -o -q compile",
    ),
    ("none_ok_program", None, {"app.py": "print('all good')\n"}, f"{PY} app.py"),
    (
        "none_custom_exception",
        None,
        {
            "app.py": (
                "class InventoryMismatch(Exception):\n    pass\n\n"
                "raise InventoryMismatch('sku 42: counted 3, expected 5')\n"
            )
        },
        f"{PY} app.py",
    ),
    (
        "none_js_custom_error",
        None,
        {
            "app.js": (
                "class QuotaExceeded extends Error {}\n"
                "throw new QuotaExceeded('tenant acme used 105% of its plan');\n"
            )
        },
        "node app.js",
    ),
    (
        "none_java_custom",
        None,
        {
            "Main.java": (
                "public class Main {\n  public static void main(String[] args) {\n"
                '    throw new IllegalStateException("ledger not balanced for batch 7");\n'
                "  }\n}\n"
            )
        },
        "javac Main.java && java Main",
    ),
]


def run_case(files: dict[str, str], command: str, where: Path) -> str:
    """Write the files, run the command there, and return its output with the exit code."""
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name, text in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text)
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    return f"$ {command}\n{output}"


def anonymise(output: str) -> str:
    """Put where a CI runner keeps them the paths that name this machine: its virtual
    environment, the interpreter it was made from, the home directory (npm's logs)."""
    venv = str(Path(VENV_PY).parent.parent)
    output = output.replace(venv, "/venv").replace(sys.base_prefix, "/usr/local")
    return output.replace(str(Path.home()), "/home/runner")


def main() -> None:
    """Run every case and write cases.json."""
    cases = []
    for name, expected, files, command in CASES:
        tool = command.split()[0].rsplit("/", 1)[-1]
        if shutil.which(tool) is None and not Path(tool).exists():
            print(f"skip {name}: {tool} is not installed")
            continue
        output = run_case(files, command, ROOT / name)
        command, output = command.replace(VENV_PY, "python"), output.replace(VENV_PY, "python")
        output = anonymise(output)
        cases.append({"name": name, "expected": expected, "command": command, "output": output})
        print(f"{name}: {len(output)} chars")
    OUT.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
