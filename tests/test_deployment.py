"""The Docker files, read as Docker would read them (no daemon needed): the database stays in
the image's /data volume, and the compose file uses syntax every current Compose accepts."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from grimoire.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def docker_env_file(path: Path) -> dict[str, str]:
    """Read an --env-file as `docker run` does: KEY=VALUE lines, verbatim, comments skipped."""
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value
    return env


def image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage."""
    final = ROOT.joinpath("Dockerfile").read_text().split("\nFROM ")[-1]
    joined = final.replace("\\\n", " ")
    env = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def test_env_example_keeps_the_database_in_the_data_volume() -> None:
    assert image_env()["DATABASE_URL"] == "sqlite+aiosqlite:////data/grimoire.db"
    # `docker run --env-file .env`: the file's values override the image's ENV.
    environ = image_env() | docker_env_file(ROOT / ".env.example")
    settings = Settings.from_environ(environ, env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:////data/grimoire.db"


def test_compose_uses_syntax_older_composes_accept() -> None:
    compose = yaml.safe_load(ROOT.joinpath("docker-compose.yml").read_text())
    assert "version" not in compose
    app = compose["services"]["app"]
    # env_file as a path or list of paths: the long form (path/required) needs Compose 2.24.
    env_files = app["env_file"] if isinstance(app["env_file"], list) else [app["env_file"]]
    assert all(isinstance(entry, str) for entry in env_files)
    assert app["depends_on"]["db"]["condition"] == "service_healthy"  # Compose >= 1.27
    assert app["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_the_architecture_is_documented_inside_the_repository() -> None:
    readme = ROOT.joinpath("README.md").read_text()
    assert "](docs/architecture.md)" in readme and "](docs/design.md)" in readme
    architecture = ROOT.joinpath("docs", "architecture.md").read_text()
    # Every module path it names exists, so the map cannot silently go stale.
    named = set(re.findall(r"`((?:grimoire|tests)/[\w/]+\.py)`", architecture))
    assert named
    for path in named:
        assert ROOT.joinpath(path).is_file(), path
    assert "../" not in readme and "../" not in architecture


def test_compose_runs_app_worker_and_postgres_with_health_checks() -> None:
    services = yaml.safe_load(ROOT.joinpath("docker-compose.yml").read_text())["services"]
    assert set(services) == {"db", "app", "worker"}
    app, worker = services["app"], services["worker"]
    assert app["environment"]["WORKER_CONCURRENCY"] == "0"  # jobs run in the worker service
    assert "/health/ready" in " ".join(app["healthcheck"]["test"])
    assert worker["depends_on"]["app"]["condition"] == "service_healthy"  # schema upgraded
    assert worker["command"][:2] == ["grimoire", "worker"]
    port = worker["command"][worker["command"].index("--metrics-port") + 1]
    assert port in worker["expose"]
    assert f"127.0.0.1:{port}/metrics" in " ".join(worker["healthcheck"]["test"])
    workflow = yaml.safe_load(ROOT.joinpath(".github", "workflows", "ci.yml").read_text())
    steps = " ".join(step.get("run", "") for step in workflow["jobs"]["image"]["steps"])
    assert "docker build" in steps


def test_env_example_shows_the_defaults() -> None:
    # Copied to .env as it is, the example must not change behaviour (a stale value once set
    # JOB_LEASE_SECONDS back to 300 s after the default became 30 s).
    example = Settings.from_environ({}, env_file=str(ROOT / ".env.example"))
    assert example == Settings.from_environ({}, env_file=None)
