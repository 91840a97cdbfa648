"""Starting the service, as a real process: a bad setting is one line and exit 2, a good start
says in one line what runs, and library chatter waits for LOG_LEVEL=DEBUG."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

import grimoire
from tests.fakegithub import app_key_pair

# Nothing listens on port 9 of the loopback (as in conftest.CLOSED_PORT).
DOWN_DATABASE = "postgresql://grimoire:hunter2@127.0.0.1:9/grimoire"


def run(
    *args: str, cwd: Path, env: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m grimoire`` in ``cwd`` (no stray .env) with ``env`` over a clean base."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "grimoire", *args],
        cwd=cwd,
        env={**base, "LOG_LEVEL": "INFO", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def bad_settings(tmp_path: Path) -> list[tuple[dict[str, str], str]]:
    """(environment, what the one line must name) for every kind of bad setting."""
    (tmp_path / "not-a-key.pem").write_text("hello\n")
    (tmp_path / "a-file").write_text("")
    return [
        ({"DATABASE_URL": DOWN_DATABASE}, "DATABASE_URL=postgresql+asyncpg://grimoire:***@"),
        ({"DATABASE_URL": f"sqlite:///{tmp_path}/a-file/grimoire.db"}, "DATABASE_URL=sqlite"),
        ({"GITHUB_APP_ID": "12345"}, "GITHUB_APP_ID is set without the App's private key"),
        (
            {"GITHUB_APP_ID": "12345", "GITHUB_APP_PRIVATE_KEY_FILE": "not-a-key.pem"},
            "GITHUB_APP_PRIVATE_KEY_FILE='not-a-key.pem' is not a PEM private key",
        ),
        (
            {"GITHUB_APP_ID": "12345", "GITHUB_APP_PRIVATE_KEY_FILE": "absent.pem"},
            "GITHUB_APP_PRIVATE_KEY_FILE='absent.pem' cannot be read",
        ),
        ({"GITHUB_API_URL": "not-a-url"}, "GITHUB_API_URL='not-a-url' is not an http(s) URL"),
        ({"PUBLIC_URL": "grimoire.example.com"}, "PUBLIC_URL='grimoire.example.com' is not"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_a_bad_setting_stops_serve_with_one_line(tmp_path: Path, case: int) -> None:
    env, named = bad_settings(tmp_path)[case]
    result = run("serve", "--port", "9", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("grimoire: ")
    assert named in result.stderr
    assert "hunter2" not in result.stderr
    assert not (tmp_path / "grimoire.db").exists()


def test_the_database_down_at_start_names_the_reason(tmp_path: Path) -> None:
    result = run("spells", "seed", cwd=tmp_path, env={"DATABASE_URL": DOWN_DATABASE})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "grimoire: DATABASE_URL=postgresql+asyncpg://grimoire:***@127.0.0.1:9/grimoire cannot "
        "be used: [Errno 111] Connect call failed ('127.0.0.1', 9)"
    ]


def test_version_and_help(tmp_path: Path) -> None:
    version = run("--version", cwd=tmp_path, env={})
    assert version.stdout.strip() == f"grimoire {grimoire.__version__}"
    help_text = run("--help", cwd=tmp_path, env={}).stdout
    assert "grimoire spells seed" in help_text and "DATABASE_URL" in help_text
    assert "argparse" not in help_text and "build Settings" not in help_text
    serve_help = run("serve", "--help", cwd=tmp_path, env={}).stdout
    assert "address to listen on" in serve_help


def test_library_chatter_only_at_debug(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/g.db"}
    quiet = run("db", "upgrade", cwd=tmp_path, env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    loud = run("db", "downgrade", "base", cwd=tmp_path, env={**env, "LOG_LEVEL": "DEBUG"})
    assert "alembic.runtime.migration" in loud.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_logs_one_startup_summary(tmp_path: Path) -> None:
    private, _ = app_key_pair()
    (tmp_path / "app.pem").write_text(private)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_"))},
        "LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite:///{tmp_path}/g.db",
        "GITHUB_APP_ID": "12345",
        "GITHUB_APP_PRIVATE_KEY_FILE": "app.pem",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "GITHUB_WEBHOOK_SECRET": "s3cret",
        "WORKER_CONCURRENCY": "3",
    }
    with subprocess.Popen(
        [sys.executable, "-m", "grimoire", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stderr is not None
        lines = []
        try:
            for line in server.stderr:
                lines.append(line)
                if "Uvicorn running" in line or len(lines) > 50:
                    break
        finally:
            server.terminate()
            server.wait(timeout=30)
    [summary] = [line for line in lines if "Grimoire Engine" in line]
    assert f"Grimoire Engine {grimoire.__version__} serving http://127.0.0.1:{port}" in summary
    assert f"API docs: http://127.0.0.1:{port}/docs" in summary
    assert f"database sqlite+aiosqlite:///{tmp_path}/g.db" in summary
    assert "report mode both" in summary
    assert "webhook secret set; API token not set" in summary
    assert "no spells loaded (run `grimoire spells seed`" in summary
    assert "3 worker loops" in summary
    assert "s3cret" not in "".join(lines)


def test_serve_with_several_worker_processes_answers(tmp_path: Path) -> None:
    """The README's `grimoire serve --workers 4`: every process gets the app and its limits."""
    port = free_port()
    env = sqlite_service_env(tmp_path, WORKER_CONCURRENCY="0")
    server = subprocess.Popen(
        [sys.executable, "-m", "grimoire", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its worker processes too are stopped below
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2).status_code
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert server.stderr is not None
        assert status == 200, server.stderr.read() if server.poll() is not None else "no answer"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        assert server.stderr is not None
        server.stderr.close()


def test_http_and_retry_chatter_waits_for_debug() -> None:
    from grimoire.logs import CHATTY_LIBRARIES, configure_logging

    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    try:
        configure_logging("INFO")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)  # a line per request
        assert not logging.getLogger("stamina").isEnabledFor(logging.WARNING)  # per retry
        assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
        assert logging.getLogger("grimoire.worker").isEnabledFor(logging.INFO)
        configure_logging("DEBUG")
        for name in ("alembic", "httpx", "httpcore", "stamina"):
            assert logging.getLogger(name).isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


def test_the_worker_with_the_database_down_is_one_line(tmp_path: Path) -> None:
    result = run("worker", cwd=tmp_path, env={"DATABASE_URL": DOWN_DATABASE})
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("grimoire: DATABASE_URL=postgresql+asyncpg://grimoire:***@127.0.0.1:9/")


def test_serve_runs_its_job_loops_in_a_lower_priority_child_that_dies_with_it(
    tmp_path: Path,
) -> None:
    """Analysis yields the CPU to intake (nice +10), and a kill -9 leaves no worker behind."""
    port = free_port()
    env = sqlite_service_env(tmp_path, WORKER_CONCURRENCY="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "grimoire", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        children: list[int] = []
        deadline = time.monotonic() + 60
        while not children and time.monotonic() < deadline and server.poll() is None:
            children_file = Path(f"/proc/{server.pid}/task/{server.pid}/children")
            children = [int(pid) for pid in children_file.read_text().split()]
            time.sleep(0.1)
        [child] = children
        assert nice_of(child) == nice_of(server.pid) + 10
        server.kill()
        server.wait(timeout=30)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, os.WNOHANG)  # reaped by init, not us; harmless
            time.sleep(0.1)
        assert not Path(f"/proc/{child}").exists() or zombie(child)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def sqlite_service_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This environment without GitHub or database settings, a SQLite file, and ``settings``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_"))}
    return base | {"LOG_LEVEL": "WARNING", "DATABASE_URL": f"sqlite:///{tmp_path}/g.db"} | settings


def nice_of(pid: int) -> int:
    """The nice value of a process, from /proc (field 19 of its stat line)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[16])


def zombie(pid: int) -> bool:
    """Dead but not yet reaped."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
