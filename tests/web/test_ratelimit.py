"""API_RATE_LIMIT: /api/* answers 429 with Retry-After past the limit, per client, then recovers;
/webhook is never limited by it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from grimoire.config import Settings
from grimoire.errors import ConfigError
from tests.apps import running
from tests.web.errors import assert_error
from tests.web.test_webhook import deliver, pull_request

TOKEN = "rate-token"


@pytest.fixture
async def limited(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = dataclasses.replace(
        app_settings, api_rate_limit="3/second", api_public_reads=frozenset({"spells"})
    )
    async with running(dataclasses.replace(settings, api_token=TOKEN)) as http:
        yield http


async def test_over_the_limit_is_429_then_recovers(limited: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await limited.get("/api/spells")).status_code == 200
    refused = await limited.get("/api/spells")
    assert_error(refused, 429, "RATE_LIMITED")
    retry_after = int(refused.headers["retry-after"])
    assert retry_after == 1
    assert "3/second" in refused.json()["detail"]
    await asyncio.sleep(retry_after + 0.05)
    assert (await limited.get("/api/spells")).status_code == 200


async def test_each_client_has_its_own_budget(limited: httpx.AsyncClient) -> None:
    for _ in range(3):
        await limited.get("/api/spells")
    assert (await limited.get("/api/spells")).status_code == 429
    # The same address with the API token is another client; an invented token is not.
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert (await limited.get("/api/spells", headers=auth)).status_code == 200
    invented = {"Authorization": "Bearer made-up"}
    assert (await limited.get("/api/spells", headers=invented)).status_code == 429


async def test_the_webhook_is_never_limited(limited: httpx.AsyncClient) -> None:
    for number in range(1, 9):
        response, _ = await deliver(limited, pull_request(number))
        assert response.status_code == 202


async def test_no_limit_without_the_setting(client: httpx.AsyncClient) -> None:
    for _ in range(30):
        assert (await client.get("/api/spells")).status_code == 200


async def test_429_is_documented_on_every_api_route(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            documented = "429" in operation["responses"]
            assert documented == path.startswith("/api/"), (method, path)
            if documented:
                assert "Retry-After" in operation["responses"]["429"]["headers"]


@pytest.mark.parametrize("text", ["lots", "100/fortnight", "-1/second"])
def test_bad_rate_limits_stop_the_start(text: str) -> None:
    with pytest.raises(ConfigError, match="API_RATE_LIMIT"):
        Settings.from_environ({"API_RATE_LIMIT": text}, env_file=None)
