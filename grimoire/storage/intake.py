"""Group commit for webhook intake: concurrent deliveries share one transaction and one fsync.

Every acknowledged delivery must be committed first, and on SQLite every commit is an fsync
(synchronous=FULL) taken under the one write lock. Committing each delivery on its own makes 64
concurrent requests queue for that lock one fsync at a time. Instead, requests hand their
delivery to this writer and wait; the writer stores everything that has arrived in one
transaction, commits, and only then answers each request. Nothing is acknowledged before its
commit, so durability is unchanged; throughput grows with concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.storage.deliveries import Arrival, Intake, record_deliveries

log = logging.getLogger(__name__)

MAX_BATCH = 256


class IntakeWriter:
    """Stores deliveries in batches; ``record()`` returns once its delivery is committed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: list[tuple[Arrival, asyncio.Future[Intake]]] = []
        self._arrived = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def record(self, arrival: Arrival) -> Intake:
        """Store ``arrival`` durably and return what became of it."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="grimoire-intake")
        future: asyncio.Future[Intake] = asyncio.get_running_loop().create_future()
        self._pending.append((arrival, future))
        self._arrived.set()
        return await future

    async def close(self) -> None:
        """Store what is pending, then stop (never in the middle of a batch)."""
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
                await self._write(batch)

    async def _write(self, batch: list[tuple[Arrival, asyncio.Future[Intake]]]) -> None:
        try:
            outcomes = await self._store([arrival for arrival, _ in batch])
        except Exception:
            # One bad delivery must not fail the others: store each on its own.
            log.exception("storing a batch of %d deliveries failed; storing one by one", len(batch))
            await asyncio.gather(*(self._store_one(arrival, future) for arrival, future in batch))
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)

    async def _store(self, arrivals: list[Arrival]) -> list[Intake]:
        async with self._sessions.begin() as session:
            return await record_deliveries(session, arrivals, now=datetime.now(UTC))

    async def _store_one(self, arrival: Arrival, future: asyncio.Future[Intake]) -> None:
        try:
            [outcome] = await self._store([arrival])
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(outcome)
