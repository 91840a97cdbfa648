"""A PostgreSQL that accepts connections and never answers (issue 11): the service still answers.

Played by a loopback TCP server that accepts and then reads forever. Before the connect, pool
and statement timeouts, /health took 60 s and /webhook 60-83 s; GitHub gives up after 10 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from grimoire.config import Settings
from grimoire.core.webhook_signature import sign
from tests.apps import running
from tests.conftest import WEBHOOK_SECRET

BOUND = 12.0  # seconds: well past the service's own timeouts, well short of the old hang


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # never answer; keep the connection open until the client leaves

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


def settings_for(port: int) -> Settings:
    return Settings(
        database_url=f"postgresql+asyncpg://grimoire@127.0.0.1:{port}/grimoire",
        github_api_url="http://127.0.0.1:9",
        github_webhook_secret=WEBHOOK_SECRET,
        app_env="test",
        worker_concurrency=0,
    )


async def test_health_and_webhook_answer_503_in_bounded_time(silent_port: int) -> None:
    body = b'{"zen": "Keep it logically awesome."}'
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "silent-1",
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
        "Content-Type": "application/json",
    }
    async with asyncio.timeout(BOUND * 3), running(settings_for(silent_port)) as client:
        async with asyncio.timeout(BOUND):
            health = await client.get("/health")
        assert health.status_code == 503
        async with asyncio.timeout(BOUND):
            webhook = await client.post("/webhook", content=body, headers=headers)
        assert webhook.status_code == 503
        assert webhook.json()["error_code"] in {"DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE"}
