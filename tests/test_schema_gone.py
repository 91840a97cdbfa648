"""The database's tables disappear under a running service (dropped, restored wrong): issue 11.

Routes answer 503 (not 500), and the worker says so in one line and backs off instead of
logging a traceback twice a second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from sqlalchemy import text

from grimoire.config import Settings
from grimoire.storage.db import create_engine
from grimoire.storage.tables import Base
from tests.apps import running


async def drop_every_table(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await engine.dispose()


async def test_routes_answer_503_and_the_worker_backs_off(
    app_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = dataclasses.replace(app_settings, worker_concurrency=1)
    async with running(settings) as client:
        assert (await client.get("/api/spells")).status_code == 200
        await drop_every_table(settings.database_url)
        caplog.clear()
        for path in ("/api/spells", "/api/deliveries", "/api/analyses/1"):
            answer = await client.get(path)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json()["error_code"] == "DATABASE_UNAVAILABLE"
        await asyncio.sleep(3.5)  # the worker polls every second when it is healthy
    worker = [r for r in caplog.records if r.name == "grimoire.worker"]
    assert [r.levelno for r in worker] == [logging.WARNING], [r.getMessage() for r in worker]
    assert not any(r.exc_info for r in caplog.records)
