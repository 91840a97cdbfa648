"""The composite action .github/actions/grimoire-match: its script, run as the runner runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ACTION = Path(__file__).parent.parent / ".github" / "actions" / "grimoire-match" / "action.yml"
LOG = """\
2024-05-01T10:00:00.0000000Z ##[group]Run python -m pytest
Traceback (most recent call last):
  File "app.py", line 1, in <module>
ModuleNotFoundError: No module named 'yaml'
##[error]Process completed with exit code 1.
"""


def steps() -> list[dict[str, object]]:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    found: list[dict[str, object]] = action["runs"]["steps"]
    return found


def test_inputs_never_reach_a_script_as_text() -> None:
    # ${{ inputs.x }} inside run: would let a crafted input run commands on the runner.
    for step in steps():
        assert "${{" not in str(step["run"])


def test_the_explain_step_annotates_and_summarises_with_the_starter_spellbook(
    tmp_path: Path,
) -> None:
    bin_dir = tmp_path / "runner" / "grimoire" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "grimoire").symlink_to(Path(sys.executable).parent / "grimoire")
    log = tmp_path / "test.log"
    log.write_text(LOG)
    summary = tmp_path / "summary.md"
    explain = steps()[1]
    env = {
        **os.environ,
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GRIMOIRE_LOG": str(log),
        "GRIMOIRE_URL": "",
        "GRIMOIRE_API_TOKEN": "",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/unused.db",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", str(explain["run"])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("::error title=Python module is not installed::")
    assert "(root cause): `No module named 'yaml'`" in summary.read_text()
