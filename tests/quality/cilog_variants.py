"""A fourth batch of tuning material: each error spell produced again, by a different program.

The first three batches gave most error spells one broken program (two logs). A matcher tuned
on them can still be tuned to that program's wording. This batch asks for generalisation: for
as many error spells as the machine can produce, a different broken program that raises the
same error another way, run for real like ``cilogs.py``: another exception site (a library
frame: ``os.environ``, ``pathlib``, ``re``, undici's ``fetch``), another tool path (``python -m
unittest``, ``pytest --tb=line``, ``compileall``, ``go test ./...``, ``cargo test``, ``npm
run``, make wrapping the compiler or the program), the error in a child process (``subprocess``,
``multiprocessing``, a worker thread), colourised output (``pytest --color=yes``, ``tsc
--pretty``, ``cargo --color always``, gcc's colour diagnostics), a Windows-style path in the
message, a very long line before the failure, and an unrelated error earlier that the step
tolerated. Negatives come in varied kinds too, some worded like a known error but not one
(``float()`` rather than ``int()``, a slice rather than an index, ``Cannot convert undefined``).

The cases are chosen by spell coverage, written before any result on them was seen. The logs go
to ``cilogs_variants.json.gz``, ``held_out`` false and ``tuning_only`` true, like
``cilog_tuning.py``'s.

Run: ``python -m tests.quality.cilog_variants`` (a few minutes; needs gcc/g++, node/npm, javac
and Maven, cargo, Go, the Docker client, openssl, and pip/npm registries).
"""

from __future__ import annotations

from pathlib import Path

from tests.quality.cilog_steps import PY, Case, Step
from tests.quality.cilog_tuning import write_logs
from tests.quality.cilog_variants_after import after_logs, after_steps
from tests.quality.cilog_variants_cascades import cascade_cases
from tests.quality.cilog_variants_more import more_cases
from tests.quality.cilog_variants_native import native_cases
from tests.quality.cilog_variants_resolvers import resolver_cases
from tests.quality.cilog_variants_tinted import tinted_cases
from tests.quality.cilog_variants_versions import version_cases
from tests.quality.cilog_variants_workers import worker_cases

OUT = Path(__file__).with_name("cilogs_variants.json.gz")

TOLERATED = {
    "mkdir": "mkdir /proc/cache 2>&1 || true; ",
    "grep": "grep -q TODO notes.txt 2>&1 || echo 'no notes, skipping'; ",
    "curl": f"{PY} -c \"import urllib.request as u\ntry: u.urlopen('http://127.0.0.1:9', "
    "timeout=1)\nexcept OSError as e: print('metrics upload skipped:', e)\" 2>&1; ",
    "long": f"{PY} -c \"print('bundle: ' + 'a1b2c3d4' * 4000)\"; ",
    "pywarn": f"{PY} -W default -c \"import warnings; warnings.warn('the imp module is "
    "deprecated', DeprecationWarning)\" 2>&1; ",
}
"""Things a step does before its failure and goes on from: an unrelated error, noise."""


def _py(
    name: str, label: str | None, files: dict[str, str], command: str, before: str = ""
) -> Case:
    return Case(name, label, Step(name, files, f"{before}{command}", "python"))


def _pip(name: str, label: str | None, requirements: str, flags: str = "") -> Case:
    command = (
        f"{PY} -m pip install --dry-run --ignore-installed --no-cache-dir --progress-bar off"
        f"{flags} -r requirements.txt 2>&1"
    )
    return Case(name, label, Step(name, {"requirements.txt": requirements}, command, "pip"))


def _node(
    name: str, label: str | None, files: dict[str, str], command: str, before: str = ""
) -> Case:
    return Case(name, label, Step(name, files, f"{before}{command}", "node"))


def _pkg(scripts: str) -> str:
    return f'{{"name": "app", "version": "1.0.0", "private": true, "scripts": {{{scripts}}}}}\n'


_PASSING_TESTS = "".join(f"def test_fine_{i}():\n    assert {i} + 1 > {i}\n\n" for i in range(12))


def variant_cases() -> list[Case]:
    """Every case of the batch: Python and Node here, the compiled ecosystems and the rest in
    ``cilog_variants_native``, other runners and wrappers in ``cilog_variants_more``, causes
    and consequences in ``cilog_variants_cascades``, other tool versions in
    ``cilog_variants_versions``, workers' errors in ``cilog_variants_workers``, output tinted
    by ``tput`` in ``cilog_variants_tinted``, dependency resolution in
    ``cilog_variants_resolvers``."""
    cases = python_cases() + node_cases() + native_cases() + more_cases() + cascade_cases()
    return cases + version_cases() + worker_cases() + tinted_cases() + resolver_cases()


def python_cases() -> list[Case]:
    """Python, pytest, unittest, mypy and pip, each error raised another way."""
    return [
        _py(
            "v_py_module_dash_m",
            "Python module is not installed",
            {},
            f"{PY} -m grimoire_black_formatter --check . 2>&1",
            TOLERATED["grep"],
        ),
        _py(
            "v_py_name_error_make",
            "Name is not defined",
            {
                "report.py": "def total(rows):\n    return sum(r['n'] for r in rows)\n\n"
                "print('rows:', 3)\nprint(totl([{'n': 1}]))\n",
                "Makefile": f"report:\n\t{PY} report.py\n",
            },
            "make report 2>&1",
        ),
        _py(
            "v_py_keyerror_environ",
            "Missing dictionary key",
            {"settings.py": "import os\nDATABASE_URL = os.environ['GRIMOIRE_DATABASE_URL']\n"},
            f"{PY} -c 'import settings' 2>&1",
            TOLERATED["curl"],
        ),
        _py(
            "v_py_none_attr_re_match",
            "Attribute access on None",
            {
                "tests/test_version.py": _PASSING_TESTS + "import re\n\n"
                "def test_version():\n    m = re.match(r'v(\\d+)', 'release-2')\n"
                "    assert m.group(1) == '2'\n"
            },
            f"{PY} -m pytest -p no:cacheprovider --color=yes tests 2>&1",
        ),
        _py(
            "v_py_shadowed_module",
            "Module has no such attribute (shadowed or circular import)",
            {
                "secrets.py": "API_KEY = 'dev'\n",
                "token_app.py": "import secrets\nprint(secrets.token_hex(8))\n",
            },
            f"{PY} token_app.py 2>&1",
        ),
        _py(
            "v_py_none_subscript_fixture",
            "NoneType object is not subscriptable",
            {
                "tests/test_cfg.py": _PASSING_TESTS + "import pytest\n\n@pytest.fixture\n"
                "def config():\n    cfg = {'debug': True}\n\n"
                "def test_debug(config):\n    assert config['debug']\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider --tb=short tests 2>&1",
        ),
        _py(
            "v_py_concat_in_subprocess",
            "Concatenating str and a non-str",
            {
                "child.py": "count = 3\nprint('migrated ' + count + ' tables')\n",
                "run.py": f"import subprocess\nprint('running migrations')\n"
                f"subprocess.run(['{PY}', 'child.py'], check=True)\n",
            },
            f"{PY} run.py 2>&1",
        ),
        _py(
            "v_py_operand_in_pool",
            "Unsupported operand types",
            {
                "pool.py": "from multiprocessing import Pool\n\ndef price(item):\n"
                "    return item.get('price') * 2\n\nif __name__ == '__main__':\n"
                "    with Pool(2) as p:\n        print(p.map(price, [{'price': 3}, {}]))\n"
            },
            f"{PY} pool.py 2>&1",
        ),
        _py(
            "v_py_unittest_args",
            "Function called with the wrong number of arguments",
            {
                "test_client.py": "import unittest\n\nclass Client:\n    def get(path):\n"
                "        return path\n\nclass T(unittest.TestCase):\n"
                "    def test_ok(self):\n        self.assertTrue(True)\n\n"
                "    def test_get(self):\n        Client().get('/health')\n"
            },
            f"{PY} -m unittest -v 2>&1",
        ),
        _py(
            "v_py_int_literal_csv",
            "Invalid literal for int()",
            {
                "stock.csv": "sku,qty\na1,3\nb2,n/a\n",
                "test_stock.py": "import csv, unittest\n\nclass T(unittest.TestCase):\n"
                "    def test_total(self):\n        with open('stock.csv') as f:\n"
                "            self.assertEqual(sum(int(r['qty']) for r in csv.DictReader(f)), 3)\n",
            },
            f"{PY} -m unittest 2>&1",
        ),
        _py(
            "v_pytest_unpack_tb_line",
            "Unpacking the wrong number of values",
            {
                "tests/test_kv.py": _PASSING_TESTS + "def test_kv():\n"
                "    key, value = 'a=b=c'.split('=')\n    assert key == 'a'\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider --tb=line tests 2>&1",
        ),
        _py(
            "v_py_tuple_index_make",
            "List index out of range",
            {
                "pick.py": "RETRIES = (1, 2)\nprint('attempt', RETRIES[2])\n",
                "Makefile": f"all:\n\t@echo picking\n\t{PY} pick.py\n",
            },
            "make 2>&1",
        ),
        _py(
            "v_pytest_modulo_zero",
            "Division by zero",
            {
                "tests/test_page.py": _PASSING_TESTS
                + "def pages(n, size):\n    return n % size\n\n"
                "def test_pages():\n    assert pages(10, 0) == 0\n"
            },
            f"{PY} -m pytest -p no:cacheprovider -rf tests 2>&1",
            TOLERATED["pywarn"],
        ),
        _py(
            "v_py_pathlib_missing",
            "File or directory not found",
            {"load.py": "from pathlib import Path\nprint(Path('config/app.toml').read_text())\n"},
            f"{PY} load.py 2>&1",
            TOLERATED["long"],
        ),
        _py(
            "v_pytest_unindent_collect",
            "Indentation error",
            {
                "tests/test_a.py": _PASSING_TESTS,
                "tests/test_b.py": "def test_b():\n        x = 1\n    assert x\n",
            },
            f"{PY} -m pytest -q -p no:cacheprovider tests 2>&1",
        ),
        _py(
            "v_py_compileall_never_closed",
            "Python syntax error",
            {
                "pkg/__init__.py": "",
                "pkg/ok.py": "X = 1\n",
                "pkg/cli.py": "def main():\n    print('usage: %s' % (1,\n\nmain()\n",
            },
            f"{PY} -m compileall -q pkg 2>&1",
        ),
        _py(
            "v_py_recursion_getattr",
            "Maximum recursion depth exceeded",
            {
                "proxy.py": "class Proxy:\n    def __getattr__(self, name):\n"
                "        return getattr(self.target, name)\n\nprint(Proxy().url)\n"
            },
            f"{PY} proxy.py 2>&1",
        ),
        _py(
            "v_py_circular_package",
            "Circular import",
            {
                "shop/__init__.py": "",
                "shop/models.py": "from shop.prices import price\n\nclass Item:\n    pass\n",
                "shop/prices.py": "from shop.models import Item\n\ndef price(i):\n    return 1\n",
            },
            f"{PY} -c 'import shop.models' 2>&1",
        ),
        _py(
            "v_py_import_collections_mapping",
            "Cannot import name from module",
            {"compat.py": "from collections import Mapping\n"},
            f"{PY} -c 'import compat' 2>&1",
            TOLERATED["mkdir"],
        ),
        _py(
            "v_py_decode_csv_reader",
            "Unicode decode error",
            {"read.py": "import csv\nfor row in csv.reader(open('names.csv')):\n    print(row)\n"},
            f"printf 'id,name\\n1,Ren\\xe9e\\n' > names.csv; {PY} read.py 2>&1",
        ),
        _py(
            "v_py_json_empty_cache",
            "JSON decode error: expecting value",
            {
                "cache.py": "import json, pathlib\npathlib.Path('cache.json').write_text('')\n"
                "print('cache warm')\nwith open('cache.json') as f:\n    data = json.load(f)\n"
            },
            f"{PY} cache.py 2>&1",
        ),
        _py(
            "v_py_set_changed",
            "Dictionary changed size during iteration",
            {
                "prune.py": "seen = {1, 2, 3}\nfor n in seen:\n    if n % 2:\n"
                "        seen.discard(n)\n"
            },
            f"{PY} prune.py 2>&1",
        ),
        _py(
            "v_py_urllib_refused",
            "Connection refused",
            {
                "health.py": "import urllib.request\nprint('checking health')\n"
                "urllib.request.urlopen('http://127.0.0.1:9/health', timeout=3)\n"
            },
            f"{PY} health.py 2>&1",
        ),
        _py(
            "v_make_pytest_assert",
            "Test assertion failed",
            {
                "tests/test_total.py": _PASSING_TESTS + "class TestCart:\n"
                "    def test_total(self):\n        assert sum([1, 2]) == 4\n",
                "Makefile": f"test:\n\t{PY} -m pytest -p no:cacheprovider -q tests\n",
            },
            "make test 2>&1",
        ),
        _py(
            "v_py_sqlalchemy_detached",
            "SQLAlchemy instance is not bound to a session",
            {
                "orm.py": "from sqlalchemy import create_engine, ForeignKey\n"
                "from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, mapped_column,\n"
                "    relationship)\n\nclass Base(DeclarativeBase):\n    pass\n\n"
                "class User(Base):\n    __tablename__ = 'users'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    posts: Mapped[list['Post']] = relationship()\n\n"
                "class Post(Base):\n    __tablename__ = 'posts'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    user_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n\n"
                "engine = create_engine('sqlite://')\nBase.metadata.create_all(engine)\n"
                "with Session(engine) as s:\n    s.add(User(id=1))\n    s.commit()\n"
                "    user = s.get(User, 1)\nprint(len(user.posts))\n"
            },
            f"{PY} orm.py 2>&1",
        ),
        _py(
            "v_py_ssl_self_signed",
            "SSL certificate verification failed",
            {
                "tls.py": "import http.server, ssl, threading, urllib.request\n"
                "srv = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)\n"  # noqa: E501
                "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
                "ctx.load_cert_chain('cert.pem', 'key.pem')\n"
                "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
                "threading.Thread(target=srv.serve_forever, daemon=True).start()\n"
                "print('fetching artifacts index')\n"
                "urllib.request.urlopen(f'https://127.0.0.1:{srv.server_port}/', timeout=5)\n"
            },
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1"
            f" -subj /CN=artifacts.internal >/dev/null 2>&1; {PY} tls.py 2>&1",
        ),
        _py(
            "v_mypy_pretty_assignment",
            "mypy: incompatible types in assignment",
            {
                "src/app.py": "from typing import Optional\n\ndef port() -> Optional[int]:\n"
                "    return None\n\nvalue: int = 0\nvalue = port()\n"
            },
            f"{PY} -m mypy --pretty --no-incremental src 2>&1",
        ),
        _pip(
            "v_pip_requirements_missing_version",
            "pip cannot find a matching distribution",
            "six==1.16.0\nrequests==99.1.0\n",
        ),
        _pip(
            "v_pip_conflict_pinned",
            "pip dependency conflict (ResolutionImpossible)",
            "flask==3.0.0\nwerkzeug==2.0.0\n",
        ),
        _py(
            "v_py_address_in_use",
            "Port already in use (EADDRINUSE)",
            {
                "serve.py": "import socket\na = socket.create_server(('127.0.0.1', 47993))\n"
                "print('metrics on 47993')\nb = socket.create_server(('127.0.0.1', 47993))\n"
            },
            f"{PY} serve.py 2>&1",
        ),
        _py(
            "v_py_no_space_dev_full",
            "No space left on device",
            {"dump.py": "with open('/dev/full', 'w') as f:\n    f.write('x' * 100000)\n"},
            f"{PY} dump.py 2>&1",
        ),
        _py(
            "v_py_git_describe_subprocess",
            "Not a git repository",
            {
                "version.py": "import subprocess\nprint('computing version')\n"
                "subprocess.check_output(['git', 'describe', '--tags'])\n"
            },
            "mkdir -p /tmp/grimoire-nogit && cp version.py /tmp/grimoire-nogit/ && "
            f"cd /tmp/grimoire-nogit && {PY} version.py 2>&1",
        ),
        _py(
            "v_py_yaml_tab",
            "YAML syntax error",
            {
                "deploy.yml": "services:\n  web:\n\timage: app:latest\n",
                "load.py": "import yaml\nwith open('deploy.yml') as f:\n    print(yaml.safe_load(f))\n",  # noqa: E501
            },
            f"{PY} load.py 2>&1",
        ),
        # Negatives: failures no starter spell explains, some worded like one.
        _py(
            "v_neg_py_float_literal",
            None,
            {"parse.py": "print('parsing prices')\nprint(float('12,50'))\n"},
            f"{PY} parse.py 2>&1",
        ),
        _py(
            "v_neg_py_not_callable",
            None,
            {"calc.py": "total = 3\nsum = 4\nprint(sum([total, 1]))\n"},
            f"{PY} calc.py 2>&1",
        ),
        _py(
            "v_neg_pytest_fail_snapshot",
            None,
            {
                "tests/test_snap.py": _PASSING_TESTS + "import pytest\n\ndef test_snapshot():\n"
                "    pytest.fail('snapshot mismatch: 3 lines differ')\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider tests 2>&1",
            TOLERATED["curl"],
        ),
        _py(
            "v_neg_py_sys_exit_message",
            None,
            {
                "check.py": "import sys\nprint('validating 12 manifests')\n"
                "sys.exit('error: manifest web.yml: replicas must be positive')\n"
            },
            f"{PY} check.py 2>&1",
        ),
        _py(
            "v_neg_py_custom_in_thread",
            None,
            {
                "worker.py": "import threading, sys\n\nclass QuotaExceeded(Exception):\n    pass\n\n"  # noqa: E501
                "def job():\n    raise QuotaExceeded('tenant acme used 101% of its quota')\n\n"
                "t = threading.Thread(target=job)\nt.start()\nt.join()\nsys.exit(3)\n"
            },
            f"{PY} worker.py 2>&1",
        ),
        _pip("v_neg_pip_invalid_requirement", None, "six\nflask[async\n"),
    ]


def node_cases() -> list[Case]:
    """Node, npm and TypeScript, each error raised another way."""
    return [
        _node(
            "v_node_undefined_async",
            "Cannot read properties of undefined",
            {
                "app.mjs": "async function load() { return {}; }\nconst cfg = await load();\n"
                "console.log('region', cfg.aws.region);\n"
            },
            "node app.mjs 2>&1",
        ),
        _node(
            "v_npm_test_not_a_function",
            "Value is not a function",
            {
                "package.json": _pkg('"test": "node test.js"'),
                "test.js": "const items = [1, 2];\nconsole.log('ok 1 - loads');\n"
                "items.mapp((x) => x * 2);\n",
            },
            "npm test 2>&1",
        ),
        _node(
            "v_node_require_in_esm",
            "Variable is not defined (ReferenceError)",
            {"index.mjs": "const fs = require('fs');\nconsole.log(fs.existsSync('.'));\n"},
            "node index.mjs 2>&1",
        ),
        _node(
            "v_node_esm_missing_package",
            "Node cannot find module",
            {"app.mjs": "import chalk from 'grimoire-chalk-nowhere';\nconsole.log(chalk);\n"},
            "node app.mjs 2>&1",
            TOLERATED["mkdir"],
        ),
        _node(
            "v_node_windows_path_module",
            "Node cannot find module",
            {
                "package.json": _pkg('"start": "node server.js"'),
                "server.js": "console.log('loading config');\n"
                "require('C:\\\\Users\\\\runner\\\\app\\\\config\\\\local.js');\n",
            },
            "npm start 2>&1",
        ),
        _node(
            "v_node_fetch_html_json",
            "Invalid JSON passed to JSON.parse",
            {
                "client.mjs": "import http from 'node:http';\n"
                "const srv = http.createServer((q, r) => r.end('<html>502 Bad Gateway</html>'));\n"
                "await new Promise((ok) => srv.listen(0, ok));\n"
                "const res = await fetch(`http://127.0.0.1:${srv.address().port}/api`);\n"
                "try { console.log(await res.json()); } finally { srv.close(); }\n"
            },
            "node client.mjs 2>&1",
        ),
        _node(
            "v_node_test_import_statement",
            "Cannot use import statement outside a module",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "type": "commonjs"}\n',
                "test/math.test.js": "import assert from 'node:assert';\nassert.equal(1 + 1, 2);\n",
            },
            "node --test test/ 2>&1",
        ),
        _node(
            "v_node_const_loop",
            "Assignment to constant variable",
            {"loop.js": "for (const i = 0; i < 3; i++) {\n  console.log('batch', i);\n}\n"},
            "node loop.js 2>&1",
        ),
        _node(
            "v_node_getter_recursion",
            "Maximum call stack size exceeded",
            {
                "model.js": "class User {\n  get name() { return this.name; }\n}\n"
                "console.log(new User().name);\n"
            },
            "node model.js 2>&1",
        ),
        _node(
            "v_npm_run_missing_script",
            "npm script is missing",
            {"package.json": _pkg('"test": "echo ok", "build": "echo built"')},
            "npm run build 2>&1 && npm run lint:ci 2>&1",
        ),
        _node(
            "v_npm_scoped_e404",
            "npm package not found (E404)",
            {"package.json": _pkg("")},
            "npm install --no-audit --no-fund @grimoire-nowhere/left-pad-zz 2>&1",
        ),
        _node(
            "v_npm_eresolve_package_json",
            "npm dependency tree conflict (ERESOLVE)",
            {
                "package.json": '{"name": "app", "version": "1.0.0", "private": true,'
                ' "dependencies": {"react": "16.14.0", "react-dom": "18.2.0"}}\n'
            },
            "npm install --no-audit --no-fund --dry-run 2>&1",
        ),
        _node(
            "v_tsc_pretty_not_assignable",
            "TypeScript: type is not assignable",
            {
                "src/user.ts": "interface User { id: number; name: string }\n"
                "export const u: User = { id: '7', name: 'ada' };\n"
            },
            "TSC --pretty --noEmit src/user.ts 2>&1",
        ),
        _node(
            "v_npm_run_tsc_cannot_find_name",
            "TypeScript: cannot find name",
            {
                "package.json": _pkg('"build": "tsc --noEmit src/main.ts"'),
                "src/main.ts": "export function total(xs: number[]): number {\n"
                "  return xs.reduce((a, b) => a + b, initialTotal);\n}\n",
            },
            "mkdir -p node_modules/.bin && ln -sf TSC node_modules/.bin/tsc && npm run build 2>&1",
        ),
        _node(
            "v_node_oom_map",
            "Node ran out of heap memory",
            {
                "cache.js": "const m = new Map();\nlet i = 0;\n"
                "for (;;) { m.set(i, 'x'.repeat(64) + i); i++; }\n"
            },
            "node --max-old-space-size=20 cache.js 2>&1",
        ),
        _node(
            "v_node_test_without_jest",
            "Test file run without its test runner",
            {
                "sum.test.js": "const sum = (a, b) => a + b;\n"
                "beforeEach(() => {});\ntest('adds', () => expect(sum(1, 2)).toBe(3));\n"
            },
            "node sum.test.js 2>&1",
        ),
        _node(
            "v_node_econnrefused_fetch",
            "Connection refused",
            {
                "ping.mjs": "console.log('waiting for api');\n"
                "await fetch('http://127.0.0.1:47994/health');\n"
            },
            "node ping.mjs 2>&1",
        ),
        _node(
            "v_node_undefined_in_test_runner",
            "Cannot read properties of undefined",
            {
                "test/cfg.test.mjs": "import { test } from 'node:test';\n"
                "test('reads port', () => {\n  const env = {};\n  return env.server.port;\n});\n"
                "test('passes', () => {});\n"
            },
            "node --test 2>&1",
        ),
        # Negatives.
        _node(
            "v_neg_node_invalid_array_length",
            None,
            {"grid.js": "const size = -1;\nconsole.log('allocating grid');\nnew Array(size);\n"},
            "node grid.js 2>&1",
        ),
        _node(
            "v_neg_node_convert_undefined",
            None,
            {"keys.js": "let opts;\nconsole.log(Object.keys(opts));\n"},
            "node keys.js 2>&1",
        ),
        _node(
            "v_neg_node_custom_validation",
            None,
            {
                "validate.js": "class ValidationError extends Error {}\n"
                "console.log('validating schema');\n"
                "throw new ValidationError('field \"email\" must be unique');\n"
            },
            "node validate.js 2>&1",
            TOLERATED["grep"],
        ),
        _node(
            "v_neg_npm_lint_exit",
            None,
            {
                "package.json": _pkg('"lint": "node lint.js"'),
                "lint.js": "console.error('src/a.js\\n  3:7  error  Unexpected console statement');\n"  # noqa: E501
                "console.error('\\n✖ 1 problem (1 error, 0 warnings)');\nprocess.exitCode = 1;\n",
            },
            "npm run lint 2>&1",
        ),
    ]


def main() -> None:
    """Run every case of the batch once and write its tuning-only logs."""
    write_logs(variant_cases(), OUT, extra_steps=after_steps(), extra_logs=after_logs)


if __name__ == "__main__":
    main()
