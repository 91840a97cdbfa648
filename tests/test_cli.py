"""The ``grimoire`` command, run as a real process: spells seed/import/export, match, db."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grimoire.app import create_app
from grimoire.config import Settings
from grimoire.spellbook import load_starter_spellbook
from tests.servers import serve

LOG = """\
2024-05-01T10:00:00.0000000Z Run python -m pytest
Traceback (most recent call last):
  File "app.py", line 1, in <module>
ModuleNotFoundError: No module named 'yaml'
Error: Process completed with exit code 1.
"""


def grimoire(
    *args: str, database_url: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [sys.executable, "-m", "grimoire", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_seed_is_idempotent(database_url: str) -> None:
    starter = len(load_starter_spellbook())
    first = grimoire("spells", "seed", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{starter} created, 0 updated, 0 unchanged"
    again = grimoire("spells", "seed", database_url=database_url)
    assert again.stdout.strip() == f"0 created, 0 updated, {starter} unchanged"


def test_export_import_round_trip(database_url: str, tmp_path: Path) -> None:
    grimoire("spells", "seed", database_url=database_url)
    exported = tmp_path / "book.json"
    assert grimoire("spells", "export", str(exported), database_url=database_url).returncode == 0
    drafts = json.loads(exported.read_text())
    assert len(drafts) == len(load_starter_spellbook())
    drafts[0]["solution_code"] = "a better fix"
    drafts[0]["applies_to"] = "*.log,ci/*"
    exported.write_text(json.dumps(drafts))
    result = grimoire("spells", "import", str(exported), database_url=database_url)
    assert result.stdout.strip() == f"0 created, 1 updated, {len(drafts) - 1} unchanged"
    yaml_out = grimoire("spells", "export", database_url=database_url)
    assert "a better fix" in yaml_out.stdout
    assert "applies_to: '*.log,ci/*'" in yaml_out.stdout


def test_import_refuses_a_broken_spellbook_whole(database_url: str, tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(
        "- title: ok\n  description: d\n  error_type: E\n  error_pattern: fine\n"
        "  solution_code: s\n"
        "- title: bad\n  description: d\n  error_type: E\n  error_pattern: '(?=x)'\n"
        "  solution_code: s\n"
    )
    result = grimoire("spells", "import", str(book), database_url=database_url)
    assert result.returncode == 1
    assert "look-ahead" in result.stderr
    assert "nothing imported" in result.stderr
    assert grimoire("spells", "export", database_url=database_url).stdout.strip() == "[]"


@pytest.mark.parametrize("output", ["table", "json"])
def test_match_explains_a_ci_log(database_url: str, output: str) -> None:
    grimoire("spells", "seed", database_url=database_url)
    args = ["match", "-"] + (["--json"] if output == "json" else [])
    result = grimoire(*args, database_url=database_url, stdin=LOG)
    assert result.returncode == 0, result.stderr
    if output == "json":
        errors = json.loads(result.stdout)["errors"]
        assert errors[0]["error_type"] == "ModuleNotFoundError"
        assert errors[0]["matches"][0]["title"] == "Python module is not installed"
        assert errors[0]["role"] == "failure" and errors[0]["why"]
    else:
        assert "Python module is not installed" in result.stdout
        assert "  failure (line " in result.stdout


def test_match_exit_status_says_nothing_matched(database_url: str) -> None:
    result = grimoire("match", "-", database_url=database_url, stdin="all good here\n")
    assert result.returncode == 1
    assert result.stdout.strip() == "No errors found."


def test_match_with_the_starter_spellbook_needs_no_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/never-created.db"
    result = grimoire("match", "--starter", "-", database_url=url, stdin=LOG)
    assert result.returncode == 0, result.stderr
    assert "Python module is not installed" in result.stdout
    assert not (tmp_path / "never-created.db").exists()


def test_match_format_github_annotates_the_run_and_writes_the_step_summary(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/never-created.db"
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    result = grimoire(
        "match",
        "--starter",
        "--format",
        "github",
        "--summary-file",
        str(summary),
        "-",
        database_url=url,
        stdin=LOG,
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error title=Python module is not installed::")
    assert "ModuleNotFoundError: No module named 'yaml'%0A%0AHow it was fixed before" in first
    assert all(line.startswith("::") for line in result.stdout.splitlines())
    written = summary.read_text()
    assert written.startswith("earlier step\n### 🔮 Grimoire Engine: what failed")
    assert "(root cause): `No module named 'yaml'`" in written
    assert "```text\n" in written


def test_bad_configuration_is_a_clear_usage_error(database_url: str) -> None:
    result = grimoire("match", "-", database_url="mysql://nope", stdin=LOG)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    missing = grimoire("match", "/no/such/file.log", database_url=database_url)
    assert missing.returncode == 2


def test_db_commands(database_url: str) -> None:
    current = grimoire("db", "current", database_url=database_url)
    assert current.returncode == 0
    head = current.stdout.split("(head: ")[1].rstrip(")\n")
    assert current.stdout.startswith(head)
    assert grimoire("db", "downgrade", "base", database_url=database_url).returncode == 0
    assert grimoire("db", "current", database_url=database_url).stdout.startswith("none")
    assert grimoire("db", "upgrade", database_url=database_url).returncode == 0


async def test_match_url_sends_grimoire_api_token(app_settings: Settings) -> None:
    """``grimoire match --url`` against a service with API_TOKEN set: refused, then answered."""
    settings = dataclasses.replace(app_settings, api_token="cli-token")
    async with serve(create_app(settings)) as url:
        without = await _grimoire_async("match", "--url", url, "-", stdin=LOG)
        assert without.returncode == 2
        assert "401" in without.stderr
        token = {"GRIMOIRE_API_TOKEN": "cli-token"}
        answered = await _grimoire_async("match", "--url", url, "--json", "-", stdin=LOG, env=token)
    assert answered.returncode in (0, 1), answered.stderr
    assert "errors" in json.loads(answered.stdout)


async def _grimoire_async(
    *args: str, stdin: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command without blocking the loop that serves the app it talks to."""
    environ = {**os.environ, "LOG_LEVEL": "WARNING", **(env or {})}
    if env is None:
        environ.pop("GRIMOIRE_API_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "grimoire",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 120)
    return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())


@pytest.mark.parametrize(
    ("name", "text", "position"),
    [
        ("book.yaml", "- title: a\n  description: [unclosed\n", "line 3, column 1: "),
        ("book.json", '[{"title": "a",, }]', "line 1, column 16: "),
        ("book.yaml", "- title: a\n\tdescription: tab\n", "line 2, column 1: "),
    ],
)
def test_import_of_a_malformed_file_is_one_line_with_the_position(
    tmp_path: Path, name: str, text: str, position: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/g.db"
    (tmp_path / name).write_text(text)
    result = grimoire("spells", "import", str(tmp_path / name), database_url=url)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"grimoire: {tmp_path / name} is not a spellbook: {position}")


def test_import_refuses_what_the_api_refuses(database_url: str, tmp_path: Path) -> None:
    # The API refuses NUL and blank text (tests/web/test_spells.py); import runs the same check.
    book = tmp_path / "book.json"
    spell = {
        "title": "t",
        "description": "nul \u0000 inside",
        "error_type": "E",
        "error_pattern": "x",
        "solution_code": "   ",
    }
    book.write_text(json.dumps([spell]))
    result = grimoire("spells", "import", str(book), database_url=database_url)
    assert result.returncode == 1
    assert "spell [0] 't': description: must contain a non-blank character and no NUL" in (
        result.stderr
    )
    assert "spell [0] 't': solution_code: must contain a non-blank character" in result.stderr
    assert grimoire("spells", "export", database_url=database_url).stdout.strip() == "[]"


def test_match_on_an_empty_spellbook_says_so_and_creates_no_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/absent.db"
    result = grimoire("match", "-", database_url=url, stdin=LOG)
    assert result.returncode == 1
    assert result.stderr.startswith("grimoire: no spells are loaded")
    assert "`grimoire spells seed`" in result.stderr
    assert "ModuleNotFoundError: No module named 'yaml'" in result.stdout
    assert "no spell fits" not in result.stdout
    assert not (tmp_path / "absent.db").exists()
    as_json = grimoire("match", "--json", "-", database_url=url, stdin=LOG)
    assert "no spells are loaded" in json.loads(as_json.stdout)["notice"]


def test_exit_zero_keeps_a_green_build_green(database_url: str) -> None:
    # The README's CI idiom: report, never fail the step because nothing matched.
    result = grimoire("match", "--exit-zero", "-", database_url=database_url, stdin="all good\n")
    assert result.returncode == 0
    assert result.stdout.strip() == "No errors found."
    usage = grimoire("match", "--exit-zero", "/no/such.log", database_url=database_url)
    assert usage.returncode == 2


def test_the_worker_command_loads_no_web_layer() -> None:
    # What `grimoire worker` imports, in a fresh interpreter: no Starlette app is built.
    script = (
        "import sys\n"
        "from grimoire import cli\n"
        "from grimoire.pipeline import process_job\n"
        "from grimoire.resources import open_resources, tune_gc\n"
        "from grimoire.worker import run_workers\n"
        "print(sorted(m for m in sys.modules if m.startswith(('grimoire.web', 'grimoire.app'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
