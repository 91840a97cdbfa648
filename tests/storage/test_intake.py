"""Group commit for webhook intake, on the SQLite writer thread: batches, and a locked database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, make_url, select

from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.storage import db, intake
from grimoire.storage.db import create_engine, create_sessions, sqlite_file_engine
from grimoire.storage.deliveries import Arrival
from grimoire.storage.intake import IntakeWriter, _WriterThread
from grimoire.storage.tables import Delivery


def arrival(delivery_id: str) -> Arrival:
    info = DeliveryInfo(event="pull_request", action="opened", repository="o/r", pr_number=1)
    return Arrival(delivery_id, info, b"{}", "queued")


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("the writer thread is for SQLite files")
    return database_url


@pytest.fixture
def file_engine(sqlite_url: str) -> Iterator[Engine]:
    # Wait 50 ms for a lock instead of 10 s: the tests hold one on purpose.
    engine = sqlite_file_engine(sqlite_url, busy_timeout=0.05)
    assert engine is not None
    yield engine
    engine.dispose()


@pytest.fixture
async def writer(sqlite_url: str, file_engine: Engine) -> AsyncIterator[IntakeWriter]:
    engine = create_engine(sqlite_url)
    writer = IntakeWriter(create_sessions(engine), file_engine=file_engine)
    yield writer
    await writer.close()
    await engine.dispose()


def transactions(engine: Engine) -> list[str]:
    """Record each BEGIN the engine sends from now on (also one that fails)."""
    begun: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            begun.append(statement)

    return begun


@contextlib.contextmanager
def locked(sqlite_url: str, mode: str) -> Iterator[None]:
    """Hold the database's lock (``BEGIN mode``) from another connection meanwhile."""
    lock = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
    lock.execute(f"BEGIN {mode}")
    try:
        yield
    finally:
        lock.execute("ROLLBACK")
        lock.close()


def stores(writer: IntakeWriter) -> list[int]:
    """Record the size of each batch the writer stores from now on (also one that fails)."""
    sizes: list[int] = []
    thread = writer._batches
    assert isinstance(thread, _WriterThread)
    store = thread._store

    def counted(arrivals: list[Arrival]) -> Any:
        sizes.append(len(arrivals))
        return store(arrivals)

    thread._store = counted  # type: ignore[method-assign]
    return sizes


async def stored_ids(sqlite_url: str) -> set[str]:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            return set((await connection.scalars(select(Delivery.id))).all())
    finally:
        await engine.dispose()


async def test_concurrent_deliveries_are_stored_in_one_transaction(
    writer: IntakeWriter, file_engine: Engine, sqlite_url: str
) -> None:
    await writer.record(arrival("warm-up"))  # the writer task starts with the first delivery
    begun = transactions(file_engine)
    outcomes = await asyncio.gather(*(writer.record(arrival(f"d{i}")) for i in range(20)))
    assert outcomes == ["queued"] * 20
    assert len(begun) <= 2  # every delivery that arrived meanwhile joined a batch
    assert await stored_ids(sqlite_url) == {"warm-up"} | {f"d{i}" for i in range(20)}


async def test_a_locked_database_fails_the_batch_at_once_and_loses_nothing_later(
    writer: IntakeWriter, file_engine: Engine, sqlite_url: str
) -> None:
    await writer.record(arrival("warm-up"))
    batches = stores(writer)
    with locked(sqlite_url, "EXCLUSIVE"):
        results = await asyncio.gather(
            *(writer.record(arrival(f"d{i}")) for i in range(10)), return_exceptions=True
        )
    assert all(isinstance(r, Exception) and "locked" in str(r) for r in results), results
    # One wait for the lock per batch, not one per delivery (each would wait busy_timeout).
    assert len(batches) <= 2, len(batches)
    assert await stored_ids(sqlite_url) == {"warm-up"}
    # GitHub's redelivery of the refused ones is then stored as new.
    assert await writer.record(arrival("d0")) == "queued"
    assert await stored_ids(sqlite_url) == {"warm-up", "d0"}


async def test_a_lock_held_by_another_process_is_waited_for_then_taken(
    writer: IntakeWriter, file_engine: Engine, sqlite_url: str
) -> None:
    """The writer asks again for the lock (its busy_timeout is 0): released, it is taken."""
    await writer.record(arrival("warm-up"))
    begun = transactions(file_engine)
    with locked(sqlite_url, "IMMEDIATE"):
        waiting = asyncio.ensure_future(writer.record(arrival("d1")))
        # The BEGINs are counted on the writer's thread: polled here.
        while len(begun) < 3:  # asked, refused, asked again  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        assert not waiting.done()
    assert await waiting == "queued"
    assert await stored_ids(sqlite_url) == {"warm-up", "d1"}


def count_stored(sqlite_url: str) -> int:
    """Count the stored deliveries from this thread, without the event loop."""
    with contextlib.closing(sqlite3.connect(make_url(sqlite_url).database or "")) as sqlite:
        (count,) = sqlite.execute("SELECT count(*) FROM deliveries").fetchone()
        return int(count)


async def test_the_writer_takes_the_next_batch_while_the_event_loop_is_busy(
    writer: IntakeWriter, sqlite_url: str
) -> None:
    """Batches are not started by the event loop: under load it answers requests meanwhile,
    and a writer waiting for it to get round to the next batch sat idle for milliseconds."""
    await writer.record(arrival("warm-up"))
    waiting = [asyncio.ensure_future(writer.record(arrival(f"d{i}"))) for i in range(5)]
    await asyncio.sleep(0)  # each request hands its delivery over
    # Hold the loop, as a burst of HTTP work would: the deliveries are stored meanwhile.
    deadline = time.monotonic() + 10
    while count_stored(sqlite_url) < 6 and time.monotonic() < deadline:
        time.sleep(0.005)  # noqa: ASYNC251 (blocking the loop is the point)
    assert count_stored(sqlite_url) == 6
    assert await asyncio.gather(*waiting) == ["queued"] * 5


def in_database_file(sqlite_url: str) -> int:
    """Count the deliveries in the database file itself, without what the WAL holds."""
    path = make_url(sqlite_url).database or ""
    with contextlib.closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as sqlite:
        (count,) = sqlite.execute("SELECT count(*) FROM deliveries").fetchone()
        return int(count)


async def test_the_wal_is_checkpointed_beside_the_writer_not_in_its_commits(
    writer: IntakeWriter, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit that checkpoints makes its batch wait for the copy; the checkpoint thread
    copies the WAL into the database file once enough has been stored."""
    checkpoints: list[str] = []
    real = db.checkpoint

    def counted(engine: Engine, **options: Any) -> int:
        found = real(engine, **options)
        checkpoints.append(threading.current_thread().name)
        return found

    monkeypatch.setattr(intake, "checkpoint", counted)
    monkeypatch.setattr(intake, "CHECKPOINT_AFTER", 1000 * len(b"{}"))
    for i in range(999):  # just under the threshold
        await writer.record(arrival(f"d{i}"))
    await asyncio.sleep(0.2)
    assert checkpoints == []
    assert in_database_file(sqlite_url) == 0  # all of it still in the WAL
    await writer.record(arrival("d999"))
    deadline = time.monotonic() + 10
    # Not the file itself while the checkpoint writes into it: read then, it looks corrupt.
    while not checkpoints and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    assert in_database_file(sqlite_url) == 1000
    assert checkpoints == ["grimoire-checkpoint"]


def wal_bytes(sqlite_url: str) -> int:
    path = make_url(sqlite_url).database or ""
    return os.path.getsize(f"{path}-wal")


BODY = b'{"pad": "' + b"x" * 4000 + b'"}'


@pytest.fixture
def small_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint every 32 bodies and batches of 16: many of each in a few thousand."""
    monkeypatch.setattr(intake, "CHECKPOINT_AFTER", 32 * len(BODY))
    monkeypatch.setattr(intake, "MAX_BATCH", 16)


async def store_at_once(writer: IntakeWriter, count: int) -> int:
    """Hand ``count`` deliveries to the writer at once, so that it stores batch after batch
    and never waits for the loop; return the bytes of bodies stored."""
    info = DeliveryInfo(event="pull_request", action="opened", repository="o/r", pr_number=1)
    await writer.record(arrival("warm-up"))
    outcomes = await asyncio.gather(
        *(writer.record(Arrival(f"d{i}", info, BODY, "queued")) for i in range(count))
    )
    assert outcomes == ["queued"] * count
    return count * len(BODY)


@pytest.mark.usefixtures("small_checkpoints")
async def test_under_constant_intake_the_wal_is_reused_not_grown(
    writer: IntakeWriter, sqlite_url: str
) -> None:
    """SQLite starts the WAL over only after a checkpoint has copied all of it, and one that
    runs beside a writer that never pauses never has: a 10 s burst left a 520 MB WAL behind
    (bench/webhook_intake.sh). The writer copies what is left between two of its batches."""
    stored = await store_at_once(writer, 2000)
    assert wal_bytes(sqlite_url) < stored / 4, (wal_bytes(sqlite_url), stored)


@pytest.mark.usefixtures("small_checkpoints")
async def test_readers_beside_constant_intake_do_not_let_the_wal_grow(
    writer: IntakeWriter, sqlite_url: str
) -> None:
    """A reader inside the WAL when a write begins keeps SQLite from starting it over; with the
    worker reading all the time, a 30 s burst grew the WAL to 161 MB. Past a bound the writer
    waits (briefly) for readers to leave and makes the next write start the WAL over."""
    reading = threading.Event()
    reading.set()

    def read_all_the_time() -> None:
        path = make_url(sqlite_url).database or ""
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as reader:
            while reading.is_set():
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM deliveries").fetchone()
                time.sleep(0.002)  # as the worker's scan of the queue takes a moment
                reader.execute("COMMIT")

    readers = [threading.Thread(target=read_all_the_time) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        stored = await store_at_once(writer, 3000)
    finally:
        reading.clear()
        for reader in readers:
            reader.join()
    assert wal_bytes(sqlite_url) < stored / 4, (wal_bytes(sqlite_url), stored)
