"""The one error shape: unexpected exceptions, an unreachable database, and health."""

from __future__ import annotations

import dataclasses
import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from grimoire.app import create_app
from grimoire.config import Settings
from tests.apps import lifespan, running
from tests.conftest import CLOSED_PORT
from tests.web.errors import assert_error

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


async def test_unexpected_exception_is_logged_and_answered_500(
    app_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("secret internals: password=hunter2")

    app = create_app(app_settings)
    app.router.routes.append(Route("/boom", boom))
    async with (
        lifespan(app) as asgi,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi, raise_app_exceptions=False),
            base_url="http://grimoire.test",
        ) as client,
    ):
        with caplog.at_level(logging.ERROR):
            response = await client.get("/boom")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert body["detail"] == "internal server error"
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_unreachable_database_is_503_not_500(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        database_url=UNREACHABLE, github_api_url=CLOSED_PORT, app_env="test", worker_concurrency=0
    )
    async with running(settings) as client:
        assert_error(await client.get("/api/spells"), 503, "DATABASE_UNAVAILABLE")
        assert_error(await client.get("/api/spells/1"), 503, "DATABASE_UNAVAILABLE")
        assert (await client.get("/health/live")).status_code == 200
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["error_code"] == "DATABASE_UNAVAILABLE"
        health = (await client.get("/health")).json()
        assert health["status"] == "unavailable"
        assert health["components"]["database"]["status"] == "unavailable"
    # An outage is said in one line per request, not with a traceback as if it were a bug.
    assert [r for r in caplog.records if r.exc_info] == []
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


async def test_health_reports_each_component(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"  # no GitHub credentials: not a fault, and GitHub is not asked
    assert body["components"]["database"] == {"status": "ok"}
    assert body["components"]["github"]["status"] == "not_configured"
    assert body["components"]["github"]["detail"].startswith("not configured")
    assert body["components"]["queue"]["figures"]["queued"] == 0
    assert body["version"]
    assert (await client.get("/health/ready")).json()["status"] == "ok"
    assert (await client.get("/health/live")).json()["status"] == "ok"


async def test_health_reports_github_out_of_reach_when_configured(
    app_settings: Settings,
) -> None:
    settings = dataclasses.replace(app_settings, github_api_token="ghp_test")
    async with running(settings) as client:
        body = (await client.get("/health")).json()
    assert body["status"] == "degraded"  # GitHub is out of reach (CLOSED_PORT) in this test
    assert body["components"]["github"]["status"] == "degraded"
    assert "unreachable" in body["components"]["github"]["detail"]


async def test_production_refuses_to_start_without_secrets(app_settings: Settings) -> None:
    from grimoire.errors import ConfigError

    with pytest.raises(ConfigError, match="GITHUB_WEBHOOK_SECRET and API_TOKEN"):
        dataclasses.replace(app_settings, app_env="production", github_webhook_secret=None)
