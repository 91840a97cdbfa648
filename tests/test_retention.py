"""``grimoire prune`` removes exactly what it says; ``grimoire backup`` copies a live SQLite
database into a file a service then runs on (the restore)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from grimoire.config import Settings
from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.storage.db import create_engine, create_sessions, sqlite_path
from grimoire.storage.tables import Analysis, AnalysisFile, Delivery, DeliveryPayload, Spell
from tests.apps import running
from tests.deliveries import record_delivery

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)


async def grimoire(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "grimoire", *args,
        env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())


async def fill(database_url: str) -> None:
    """Deliveries old and new in every state, analyses old and new (with files), a spell."""
    engine = create_engine(database_url)
    try:
        async with create_sessions(engine).begin() as session:
            for age, at in (("old", OLD), ("new", NOW)):
                for status in ("queued", "ignored", "done", "failed"):
                    info = DeliveryInfo(
                        event="pull_request", repository="o/r", pr_number=1, head_sha="a" * 40
                    )
                    await record_delivery(
                        session,
                        f"{age}-{status}",
                        info,
                        payload=b"x" * 100,
                        status="ignored" if status == "ignored" else "queued",
                        now=at,
                    )
                    if status in ("done", "failed"):
                        await session.execute(
                            update(Delivery)
                            .where(Delivery.id == f"{age}-{status}")
                            .values(status=status)
                        )
                analysis = Analysis(
                    repository="o/r", pr_number=1, head_sha=age.ljust(40, "0"), status="done",
                    created_at=at, updated_at=at,
                )  # fmt: skip
                session.add(analysis)
                await session.flush()
                session.add(
                    AnalysisFile(
                        analysis_id=analysis.id, position=0, path="a.py", change_type="modified",
                        binary=False, additions=1, deletions=0,
                    )
                )  # fmt: skip
            session.add(
                Spell(
                    title="t", description="d", error_type="E", error_pattern="E", tags=None,
                    solution_code="s", examples=[], counter_examples=[], generic=False,
                    applies_to="", created_at=OLD, updated_at=OLD,
                )
            )  # fmt: skip
    finally:
        await engine.dispose()


async def state(database_url: str) -> dict[str, object]:
    engine = create_engine(database_url)
    try:
        async with create_sessions(engine).begin() as session:
            rows = await session.execute(
                select(
                    Delivery.id, func.coalesce(func.length(DeliveryPayload.payload), 0)
                ).outerjoin(DeliveryPayload, DeliveryPayload.delivery_id == Delivery.id)
            )
            return {
                "payloads": dict(rows.all()),
                "analyses": sorted((await session.scalars(select(Analysis.head_sha))).all()),
                "files": await session.scalar(select(func.count()).select_from(AnalysisFile)),
                "spells": await session.scalar(select(func.count()).select_from(Spell)),
            }
    finally:
        await engine.dispose()


async def test_prune_removes_exactly_what_it_says(database_url: str) -> None:
    await fill(database_url)
    before = await state(database_url)
    dry = await grimoire("prune", "--older-than", "30d", "--dry-run", database_url=database_url)
    assert dry.returncode == 0, dry.stderr
    assert "would prune: 3 delivery payloads, 1 analyses, 0 CI analyses" in dry.stdout
    assert await state(database_url) == before  # a dry run changes nothing

    done = await grimoire("prune", "--older-than", "30d", database_url=database_url)
    assert "pruned: 3 delivery payloads, 1 analyses" in done.stdout, done.stderr
    after = await state(database_url)
    emptied = {d for d, size in after["payloads"].items() if size == 0}  # type: ignore[attr-defined]
    assert set(after["payloads"]) == set(before["payloads"])  # type: ignore[call-overload]
    assert emptied == {"old-ignored", "old-done", "old-failed"}  # settled and old only
    assert after["analyses"] == ["new".ljust(40, "0")]
    assert after["files"] == 1  # the old analysis's files went with it
    assert after["spells"] == 1  # the spellbook is kept
    again = await grimoire("prune", "--older-than", "30d", database_url=database_url)
    assert "pruned: 0 delivery payloads, 0 analyses" in again.stdout


async def test_prune_refuses_a_malformed_age(database_url: str) -> None:
    result = await grimoire("prune", "--older-than", "a month", database_url=database_url)
    assert result.returncode == 2
    assert "not an age" in result.stderr


async def test_backup_while_writing_then_restore(
    database_url: str, app_settings: Settings, tmp_path: Path
) -> None:
    if sqlite_path(database_url) is None:
        pytest.skip("backup copies SQLite files; PostgreSQL uses pg_dump")
    await fill(database_url)
    engine = create_engine(database_url)
    sessions = create_sessions(engine)
    stop = asyncio.Event()

    async def keep_writing() -> int:  # the service goes on receiving while the copy is made
        n = 0
        while not stop.is_set():
            async with sessions.begin() as session:
                info = DeliveryInfo(event="ping")
                await record_delivery(
                    session, f"live-{n}", info, payload=b"{}", status="ignored", now=NOW
                )
            n += 1
            await asyncio.sleep(0)
        return n

    writer = asyncio.create_task(keep_writing())
    try:
        target = tmp_path / "copy.db"
        result = await grimoire("backup", str(target), database_url=database_url)
        assert result.returncode == 0, result.stderr
        assert "backed up" in result.stdout
        refused = await grimoire("backup", str(target), database_url=database_url)
        assert refused.returncode == 2  # never overwrites
    finally:
        stop.set()
        written = await writer
        await engine.dispose()
    assert written > 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        live = copy.execute("SELECT count(*) FROM deliveries WHERE id LIKE 'live-%'").fetchone()
    assert 0 <= live[0] <= written  # a consistent snapshot from some moment of the writing

    # Restore: a service started on the copy serves what was there.
    restored = app_settings.__class__(
        database_url=f"sqlite+aiosqlite:///{target}",
        github_api_url=app_settings.github_api_url,
        github_webhook_secret=app_settings.github_webhook_secret,
        app_env="test",
        worker_concurrency=0,
    )
    async with running(restored) as http:
        spells = (await http.get("/api/spells")).json()
        assert [spell["title"] for spell in spells] == ["t"]
        delivery = await http.get("/api/deliveries/old-done")
        assert delivery.json()["status"] == "done"
        assert (await http.get("/health/ready")).status_code == 200


async def test_backup_of_postgresql_points_at_pg_dump() -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:9/none"
    result = await grimoire("backup", "never.db", database_url=url)
    assert result.returncode == 2
    assert "pg_dump" in result.stderr
