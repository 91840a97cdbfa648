"""The fourth tuning batch's seventh round: output tinted by the script that runs the tool.

CI scripts colour what they print with ``tput`` (``$(tput setaf 1)…$(tput sgr0)``), whose
reset is ``ESC ( B ESC [ m`` on xterm: a character-set escape besides the colour. Some pipe a
tool's whole output through such a tint (``… 2>&1 | sed``), so every line of a traceback or a
compiler error starts with a colour and ends with the reset. Each case runs a broken program
and tints its output the way such scripts do, for real, with ``TERM=xterm``.
"""

from __future__ import annotations

from tests.quality.cilog_steps import PY, Case, Step

_TINT = ' 2>&1 | sed "s/^/$(tput setaf 1)/;s/\\$/$(tput sgr0)/"; exit ${PIPESTATUS[0]}'
"""Colour every line of a command's output red, keeping the command's exit status."""


def _tinted(name: str, label: str | None, ecosystem: str, files: dict[str, str], run: str) -> Case:
    command = f'export TERM=xterm; echo "$(tput bold)running checks$(tput sgr0)"; {run}{_TINT}'
    return Case(name, label, Step(name, files, command, ecosystem))


def tinted_cases() -> list[Case]:
    """The seventh round's cases."""
    return [
        _tinted(
            "t7_py_keyerror_tinted",
            "Missing dictionary key",
            "python",
            {"job.py": "settings = {}\nprint(settings['timeout'])\n"},
            f"{PY} job.py",
        ),
        _tinted(
            "t7_node_reference_error_tinted",
            "Variable is not defined (ReferenceError)",
            "node",
            {"app.js": "console.log('starting');\nconsole.log(totl);\n"},
            "node app.js",
        ),
        _tinted(
            "t7_gcc_undeclared_tinted",
            "Undeclared identifier",
            "c",
            {"main.c": "int main(void) {\n  return missing_total;\n}\n"},
            "gcc -Wall -c main.c",
        ),
        _tinted(
            "t7_pytest_assert_tinted",
            "Test assertion failed",
            "python",
            {
                "tests/test_a.py": "def test_ok():\n    assert 1\n\n"
                "def test_sum():\n    assert 1 + 1 == 3\n"
            },
            f"{PY} -m pytest -q -p no:cacheprovider tests",
        ),
        _tinted(
            "t7_neg_custom_tinted",
            None,
            "shell",
            {"check.sh": "echo 'license check: 2 packages without a license'\nexit 1\n"},
            "bash check.sh",
        ),
    ]
