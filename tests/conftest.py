"""Shared fixtures: a migrated database per engine, a fresh clone per test, the app on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, settings

from grimoire.config import Settings
from tests.apps import running
from tests.databases import IN_CI, POSTGRES_URL, PostgresTemplate, SQLiteTemplate, Template

settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("default")

ENGINES = ["sqlite", "postgres"]
WEBHOOK_SECRET = "It's a Secret to Everybody"
API_TOKEN = "test-api-token"
# Tests never reach the internet: GitHub is a fake on loopback, or this port nobody listens on.
CLOSED_PORT = "http://127.0.0.1:9"


@pytest.fixture(scope="session", params=ENGINES)
async def template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Template]:
    """A migrated template database, once per engine for the whole run."""
    db: Template
    if request.param == "sqlite":
        db = SQLiteTemplate(Path(tmp_path_factory.mktemp("sqlite")))
    elif POSTGRES_URL:
        db = PostgresTemplate(POSTGRES_URL)
    else:
        pytest.skip("TEST_POSTGRES_URL is not set")
    try:
        await db.create()
    except OSError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but the test database is unreachable: {exc}")
        pytest.skip(f"test database unreachable: {exc}")
    yield db
    await db.destroy()


@pytest.fixture
async def database_url(template: Template) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    url = await template.clone()
    yield url
    await template.drop(url)


@pytest.fixture
def app_settings(database_url: str) -> Settings:
    """Settings for a test app: its own database, a webhook secret, no API token, no worker."""
    return Settings(
        database_url=database_url,
        github_api_url=CLOSED_PORT,
        github_webhook_secret=WEBHOOK_SECRET,
        app_env="test",
        worker_concurrency=0,
    )


@pytest.fixture
async def client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to a running app over ASGI."""
    async with running(app_settings) as http:
        yield http
