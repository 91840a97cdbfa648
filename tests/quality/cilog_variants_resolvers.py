"""The fourth tuning batch's eighth round: dependency resolution, other ways.

pip and npm refuse an install in more ways than the earlier rounds showed: a version that
needs a newer Python (pip lists what it ignored first), a conflict reached through a
constraints file, a bare name no index has; and negatives: npm's ``ETARGET`` for a version
that does not exist, pip's hash check.
"""

from __future__ import annotations

from tests.quality.cilog_steps import PY, Case, Step

_PIP = "--dry-run --ignore-installed --no-cache-dir --progress-bar off"


def _case(name: str, label: str | None, files: dict[str, str], command: str, eco: str) -> Case:
    return Case(name, label, Step(name, files, command, eco))


def resolver_cases() -> list[Case]:
    """The eighth round's cases."""
    py38 = '"$(pyenv prefix 3.8.18)/bin/python"'
    return [
        _case(
            "r_pip_requires_newer_python",
            "pip cannot find a matching distribution",
            {"requirements.txt": "six==1.16.0\ndjango==5.0\n"},
            f"{py38} -m pip install {_PIP} -r requirements.txt 2>&1",
            "pip",
        ),
        _case(
            "r_pip_constraints_conflict",
            "pip dependency conflict (ResolutionImpossible)",
            {"constraints.txt": "werkzeug==2.0.0\n", "requirements.txt": "flask==3.0.0\n"},
            f"{PY} -m pip install {_PIP} -r requirements.txt -c constraints.txt 2>&1",
            "pip",
        ),
        _case(
            "r_pip_unknown_name",
            "pip cannot find a matching distribution",
            {},
            f"{PY} -m pip install {_PIP} grimoire-no-such-dist-zz 2>&1",
            "pip",
        ),
        _case(
            "r_neg_npm_etarget",
            None,
            {"package.json": '{"name": "app", "version": "1.0.0", "private": true}\n'},
            "npm install --no-audit --no-fund is-number@99.0.0 2>&1",
            "node",
        ),
        _case(
            "r_neg_pip_hash_mismatch",
            None,
            {"requirements.txt": "six==1.16.0 --hash=sha256:" + "0" * 64 + "\n"},
            f"{PY} -m pip download --no-deps --no-cache-dir --progress-bar off -d dl"
            " --require-hashes -r requirements.txt 2>&1",
            "pip",
        ),
    ]
