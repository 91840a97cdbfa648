"""The fourth tuning batch's fourth round: the same errors from other versions of the tools.

CI images pin old interpreters and try new ones. The same mistake reads differently in
Python 3.8 and 3.9 (no carets, other syntax error wording: ``unexpected EOF while parsing``,
``EOL while scanning string literal``), 3.12 and 3.13 (``Did you mean``, ``expected 2, got 3``,
colour with ``FORCE_COLOR``), Python 2.7 on legacy jobs, and in Java 25. Each case is an error
spell's mistake run with one of the interpreters or compilers installed here.
"""

from __future__ import annotations

from tests.quality.cilog_steps import Case, Step

_PY = '"$(pyenv prefix {})/bin/python"'
"""An interpreter pyenv installed (CI images carry several)."""
_JAVA25 = '"${JAVA25_HOME:-$(ls -d /usr/lib/jvm/*-25-* | head -n 1)}/bin/"'
"""A second JDK, next to the default Java 17: $JAVA25_HOME, else the first JDK 25 in Debian's
JVM directory."""


def _py(name: str, label: str | None, version: str, source: str, env: str = "") -> Case:
    command = f"{env}{_PY.format(version)} job.py 2>&1"
    return Case(name, label, Step(name, {"job.py": source}, command, "python"))


def _java25(name: str, label: str | None, body: str, run: bool = True) -> Case:
    source = f"public class Main {{\n  public static void main(String[] a) {{\n{body}  }}\n}}\n"
    command = f"{_JAVA25}javac Main.java 2>&1" + (f" && {_JAVA25}java Main 2>&1" if run else "")
    return Case(name, label, Step(name, {"Main.java": source}, command, "java"))


def version_cases() -> list[Case]:
    """The fourth round's cases."""
    return python_version_cases() + java_version_cases()


def python_version_cases() -> list[Case]:
    """Python 2.7, 3.8, 3.9, 3.12 and 3.13."""
    return [
        _py(
            "y_py38_eof_while_parsing",
            "Python syntax error",
            "3.8.18",
            "def main():\n    print('usage: %s' % (1,\n\nmain()\n",
        ),
        _py(
            "y_py38_eol_string",
            "Python syntax error",
            "3.8.18",
            "print('deploying)\n",
        ),
        _py(
            "y_py39_indent_expected",
            "Indentation error",
            "3.9.18",
            "def main():\nprint('x')\n",
        ),
        _py(
            "y_py38_wrong_args",
            "Function called with the wrong number of arguments",
            "3.8.18",
            "class Client:\n    def get(path):\n        return path\n\nClient().get('/health')\n",
        ),
        _py(
            "y_py38_keyerror_nested",
            "Missing dictionary key",
            "3.8.18",
            "cfg = {'db': {}}\nprint(cfg['db']['host'])\n",
        ),
        _py(
            "y_py313_unpack_got",
            "Unpacking the wrong number of values",
            "3.13.0",
            "host, port = 'db:5432:x'.split(':')\n",
        ),
        _py(
            "y_py313_color_name_error",
            "Name is not defined",
            "3.13.0",
            "def total(xs):\n    return sum(xs)\n\nprint(totl([1]))\n",
            "FORCE_COLOR=1 ",
        ),
        _py(
            "y_py313_color_none_attr",
            "Attribute access on None",
            "3.13.0",
            "import re\nm = re.search(r'(\\d+)', 'none')\nprint(m.group(1))\n",
            "FORCE_COLOR=1 ",
        ),
        _py(
            "y_py312_module_missing",
            "Python module is not installed",
            "3.12.1",
            "import grimoire_yaml_extras\n",
        ),
        _py(
            "y_py312_unterminated",
            "Python syntax error",
            "3.12.1",
            "name = 'release\nprint(name)\n",
        ),
        _py(
            "y_py312_circular",
            "Circular import",
            "3.12.1",
            "import os, sys\nos.makedirs('pkg', exist_ok=True)\n"
            "open('pkg/__init__.py', 'w').close()\n"
            "open('pkg/a.py', 'w').write('from pkg.b import g\\ndef f(): pass\\n')\n"
            "open('pkg/b.py', 'w').write('from pkg.a import f\\ndef g(): pass\\n')\n"
            "sys.path.insert(0, '.')\nimport pkg.a\n",
        ),
        _py(
            "y_py39_decode",
            "Unicode decode error",
            "3.9.18",
            "data = bytes([0x63, 0x61, 0x66, 0xe9])\nprint(data.decode('utf-8'))\n",
        ),
        _py(
            "y_py27_module_missing",
            "Python module is not installed",
            "2.7.18",
            "import grimoire_legacy_client\n",
        ),
        _py(
            "y_py27_zero_division",
            "Division by zero",
            "2.7.18",
            "rows = []\nprint(100 / len(rows))\n",
        ),
        _py(
            "y_py310_none_subscript",
            "NoneType object is not subscriptable",
            "3.10.13",
            "import os\nprint(os.environ.get('GRIMOIRE_NONE')[0])\n",
        ),
        _py(
            "y_neg_py38_custom",
            None,
            "3.8.18",
            "class MigrationPending(Exception):\n    pass\n\n"
            "raise MigrationPending('3 migrations are not applied')\n",
        ),
        _py(
            "y_neg_py313_type_not_iterable",
            None,
            "3.13.0",
            "count = 3\nfor x in count:\n    print(x)\n",
            "FORCE_COLOR=1 ",
        ),
    ]


def java_version_cases() -> list[Case]:
    """Java 25 (temurin)."""
    return [
        _java25(
            "y_java25_npe",
            "Java NullPointerException",
            "    java.util.Map<String, String> m = new java.util.HashMap<>();\n"
            '    System.out.println(m.get("region").trim());\n',
        ),
        _java25(
            "y_java25_cannot_find_symbol",
            "javac cannot find symbol",
            "    System.out.println(Helpers.total(3));\n",
            run=False,
        ),
        _java25(
            "y_java25_incompatible",
            "javac incompatible types",
            '    int port = "8080";\n',
            run=False,
        ),
        _java25(
            "y_java25_index",
            "Java array index out of bounds",
            "    int[] xs = new int[2];\n    System.out.println(xs[2]);\n",
        ),
    ]
