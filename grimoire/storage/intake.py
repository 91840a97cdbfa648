"""Group commit for webhook intake: concurrent deliveries share one transaction and one fsync.

Every acknowledged delivery must be committed first, and on SQLite every commit is an fsync
(synchronous=FULL) taken under the one write lock. Committing each delivery on its own makes 64
concurrent requests queue for that lock one fsync at a time. Instead, requests hand their
delivery to this writer and wait; the writer stores everything that has arrived in one
transaction, commits, and only then answers each request. Nothing is acknowledged before its
commit, so durability is unchanged; throughput grows with concurrency.

On a SQLite file the batches are written by a dedicated thread with a blocking connection, which
takes the next batch as soon as it has committed one. Through the async driver each statement is
several hops between the event loop and the driver's thread, and under load each hop waits
behind the loop's HTTP work: measured with bench/webhook_intake.sh, a batch of ~32 deliveries
took 14 ms that way (p50), most of it queued. Handing each batch to the thread from the event
loop had the same flaw once per batch: the thread sat idle between batches until the loop got
round to starting the next one (batches of 8 every ~8 ms, of which ~5 ms writing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.storage.db import checkpoint, is_database_outage
from grimoire.storage.deliveries import Arrival, Intake, record_deliveries

log = logging.getLogger(__name__)

MAX_BATCH = 256

CHECKPOINT_AFTER = 4 * 1024 * 1024
"""Bytes of bodies stored after which the WAL is checkpointed (SQLite's own threshold is 1,000
pages, ~4 MB)."""

RESTART_WITHIN = 0.05
"""Seconds the writer waits for readers to leave the WAL once it has grown past four
checkpoints' worth (the worker's longest read, its scan of the queue, takes ~20 ms)."""


class IntakeWriter:
    """Stores deliveries in batches; ``record()`` returns once its delivery is committed.

    ``file_engine``: a blocking engine on the same SQLite file (``db.sqlite_file_engine``), which
    the writer then owns and writes with from its own thread; without one, batches go through
    ``sessions`` on the event loop.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, file_engine: Engine | None = None
    ) -> None:
        self._batches: _WriterThread | _SessionBatches = (
            _SessionBatches(sessions) if file_engine is None else _WriterThread(file_engine)
        )

    async def record(self, arrival: Arrival) -> Intake:
        """Store ``arrival`` durably and return what became of it."""
        return await self._batches.record(arrival)

    async def close(self) -> None:
        """Store what is pending, then stop (never in the middle of a batch)."""
        await self._batches.close()


Pending = list[tuple[Arrival, "asyncio.Future[Intake]"]]
Outcomes = list[Intake | Exception]
Settled = list[tuple["asyncio.Future[Intake]", Intake | Exception]]


class _WriterThread:
    """A blocking engine and the one thread that writes batches with it.

    Requests append to ``_pending`` from the event loop; the thread takes everything pending (up
    to ``MAX_BATCH``), stores it, hands the outcomes back to the loop and takes the next.

    Its commits do not checkpoint the WAL (``db.sqlite_file_engine``): SQLite runs a checkpoint
    inside the commit that crosses its threshold, and that batch's requests waited for the copy
    of ~4 MB and two fsyncs (batch commit p99 15-26 ms against a p50 of 1-2 ms, measured with
    bench/webhook_intake.sh; 7-9 ms without). A second thread copies the bulk instead, beside
    the writer (a PASSIVE checkpoint blocks no writer). That copy never catches up with a writer
    that does not pause, and SQLite starts the WAL over only after a checkpoint that copied all
    of it: a 10 s burst left a 520 MB WAL. So when the second thread is done, the writer copies
    the rest itself between two batches (what was committed meanwhile), and the next write
    starts the WAL over, unless a reader is inside it then: with the worker reading all the
    time, a 30 s burst still grew it to 161 MB. So once it holds more than four checkpoints'
    worth, the writer's copy waits up to ``RESTART_WITHIN`` for readers to leave and makes the
    next write start it over. Other connections (the worker's) still checkpoint as they commit.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: Pending = []
        self._ready = threading.Condition()
        self._closing = False
        self._threads: tuple[threading.Thread, ...] = ()
        self._unchecked = 0  # bytes of bodies stored since the last checkpoint
        self._checkpoint_due = threading.Event()  # the checkpoint thread's cue
        self._bulk_copied = threading.Event()  # its answer: the writer copies the rest
        self._wal_bytes = 0  # the WAL's size as the checkpoint thread last found it

    async def record(self, arrival: Arrival) -> Intake:
        future: asyncio.Future[Intake] = asyncio.get_running_loop().create_future()
        with self._ready:
            if self._closing:
                raise RuntimeError("intake is closed")
            if not self._threads:
                # One writer: SQLite has one anyway, and its connections never change thread.
                # Daemons, so that a process that never closes intake still exits.
                self._threads = (
                    threading.Thread(target=self._run, name="grimoire-intake", daemon=True),
                    threading.Thread(
                        target=self._checkpoints, name="grimoire-checkpoint", daemon=True
                    ),
                )
                for thread in self._threads:
                    thread.start()
            self._pending.append((arrival, future))
            self._ready.notify()
        return await future

    async def close(self) -> None:
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._checkpoint_due.set()  # the checkpoint thread sees _closing, and ends
        for thread in self._threads:
            thread.join()  # the writer stores what is pending first
        self._engine.dispose()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._closing:
                    self._ready.wait()
                if not self._pending:
                    return
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            arrivals = [arrival for arrival, _ in batch]
            outcomes = self._write(arrivals)
            by_loop: dict[asyncio.AbstractEventLoop, Settled] = {}
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                by_loop.setdefault(future.get_loop(), []).append((future, outcome))
            for loop, settled in by_loop.items():
                # One wake-up of the loop per batch, not one per delivery.
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                    loop.call_soon_threadsafe(_settle, settled)
            self._checkpoint_if_due(sum(len(arrival.payload) for arrival in arrivals))

    def _checkpoint_if_due(self, stored: int) -> None:
        """Between two batches: copy what the checkpoint thread left of the WAL, if it is done;
        cue it again once enough has been stored."""
        if self._bulk_copied.is_set():
            self._bulk_copied.clear()
            overgrown = self._wal_bytes > 4 * CHECKPOINT_AFTER
            self._checkpoint(restart_within=RESTART_WITHIN if overgrown else None)
        self._unchecked += stored
        if self._unchecked >= CHECKPOINT_AFTER:
            self._unchecked = 0
            self._checkpoint_due.set()

    def _checkpoints(self) -> None:
        while True:
            self._checkpoint_due.wait()
            self._checkpoint_due.clear()
            if self._closing:
                return
            self._wal_bytes = self._checkpoint()
            self._bulk_copied.set()

    def _checkpoint(self, *, restart_within: float | None = None) -> int:
        try:
            return checkpoint(self._engine, restart_within=restart_within)
        except Exception as exc:  # the next one copies what this one could not
            log.warning("checkpointing the WAL failed: %s", exc)
            return 0

    def _write(self, arrivals: list[Arrival]) -> Outcomes:
        try:
            return list(self._store(arrivals))
        except Exception as exc:
            if not _one_by_one(exc, len(arrivals)):
                return [exc] * len(arrivals)
        outcomes: Outcomes = []
        for arrival in arrivals:
            try:
                outcomes.extend(self._store([arrival]))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    def _store(self, arrivals: list[Arrival]) -> list[Intake]:
        with self._engine.begin() as connection:
            return record_deliveries(connection, arrivals, now=datetime.now(UTC))


class _SessionBatches:
    """Batches through the async sessions (PostgreSQL, or SQLite in memory), one at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: Pending = []
        self._arrived = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def record(self, arrival: Arrival) -> Intake:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="grimoire-intake")
        future: asyncio.Future[Intake] = asyncio.get_running_loop().create_future()
        self._pending.append((arrival, future))
        self._arrived.set()
        return await future

    async def close(self) -> None:
        async with self._writing:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        while self._pending:
            await self._write_batch()

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            while self._pending:
                await self._write_batch()

    async def _write_batch(self) -> None:
        async with self._writing:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            if batch:
                outcomes = await self._write([arrival for arrival, _ in batch])
                _settle(
                    [
                        (future, outcome)
                        for (_, future), outcome in zip(batch, outcomes, strict=True)
                    ]
                )

    async def _write(self, arrivals: list[Arrival]) -> Outcomes:
        try:
            return list(await self._store(arrivals))
        except Exception as exc:
            if not _one_by_one(exc, len(arrivals)):
                return [exc] * len(arrivals)
        outcomes: Outcomes = []
        for arrival in arrivals:
            try:
                outcomes.extend(await self._store([arrival]))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _store(self, arrivals: list[Arrival]) -> list[Intake]:
        async with self._sessions.begin() as session:
            connection = await session.connection()
            return await connection.run_sync(record_deliveries, arrivals, now=datetime.now(UTC))


def _one_by_one(exc: Exception, size: int) -> bool:
    """Tell whether a failed batch is to be stored again one delivery at a time.

    Out of reach (or locked past the wait) for one is out of reach for all: those are answered
    at once (503) rather than waited for again one by one. Anything else may be one bad delivery,
    which must not fail the others.
    """
    if is_database_outage(exc):
        return False
    log.exception("storing a batch of %d deliveries failed; storing one by one", size)
    return True


def _settle(settled: Settled) -> None:
    for future, outcome in settled:
        if future.done():  # the request was cancelled (its client left)
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
