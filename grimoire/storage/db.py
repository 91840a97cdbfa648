"""The async engine and session factory, with SQLite tuned for a durable job queue."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from grimoire.errors import ConfigError

_READ_ONLY = "grimoire_read_only"

Sessions = async_sessionmaker[AsyncSession]
"""The session factory type: one session per request or job, never shared."""

# WAL lets readers run beside the one writer. synchronous=FULL fsyncs the WAL on every commit:
# an acknowledged delivery survives a process kill *and* a power loss (NORMAL would survive the
# kill but could lose the last commits on power loss). busy_timeout makes a second writer wait
# for the lock instead of failing at once.
SQLITE_BUSY_TIMEOUT = 10.0
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}",
)


PG_CONNECT_TIMEOUT = 3.0
"""Seconds to open a PostgreSQL connection (TCP, TLS, authentication) before giving up."""
PG_POOL_TIMEOUT = 3.0
"""Seconds to wait for a free pooled connection before giving up."""
SERVICE_COMMAND_TIMEOUT = 5.0
"""Seconds one statement of the running service may take (``create_engine(command_timeout=)``).
A PostgreSQL that accepts connections but never answers held /health for 60 s and /webhook for
up to 83 s (GitHub gives up after 10): with these three, both answer 503 within ~8 s. Commands
(migrations, imports) run long statements on purpose and pass no command timeout."""


def create_engine(
    url: str, *, echo: bool = False, command_timeout: float | None = None
) -> AsyncEngine:
    """Create the engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    On PostgreSQL, connecting and waiting for the pool are bounded, and each statement by
    ``command_timeout`` seconds when given (asyncpg cancels it client-side, so a server that
    never answers is covered too).
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo)
        _tune_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=PG_POOL_TIMEOUT,
        connect_args={"timeout": PG_CONNECT_TIMEOUT, "command_timeout": command_timeout},
    )


def create_sessions(engine: AsyncEngine) -> Sessions:
    """Return the session factory for work that writes: one session per request or job."""
    return async_sessionmaker(engine, expire_on_commit=False)


def create_readers(engine: AsyncEngine) -> Sessions:
    """Return the session factory for work that only reads.

    On SQLite their transactions start with a plain (deferred) BEGIN: in WAL mode a reader then
    neither waits for the writer nor makes it wait. Elsewhere they are ordinary sessions.
    """
    return async_sessionmaker(
        engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
    )


def sqlite_path(url: str) -> Path | None:
    """Return the file of an SQLite URL; ``None`` for another engine or an in-memory database."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def sqlite_file_engine(url: str, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> Engine | None:
    """A blocking engine on the same SQLite file as ``url``, tuned alike; ``None`` if not a file.

    For work that runs a whole transaction in one thread call (intake's group commit): through
    the async driver every statement is several round trips between threads. Its commits never
    checkpoint the WAL on their own (``wal_autocheckpoint=0``): its user calls ``checkpoint``
    when that suits it, and every other connection still checkpoints as usual.
    """
    if sqlite_path(url) is None:
        return None
    engine = create_sync_engine(make_url(url).set(drivername="sqlite"))
    _tune_sqlite(engine, poll_for_lock=busy_timeout, autocheckpoint=False)
    return engine


async def ping(engine: AsyncEngine) -> None:
    """Run a trivial query; raises when the database is unreachable."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def redacted_url(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``, fit for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


CONNECT_TIMEOUT = 30.0
"""Seconds a command waits for the database at start before giving up."""


async def check_reachable(engine: AsyncEngine) -> None:
    """Open one write transaction, or raise ``ConfigError`` naming DATABASE_URL and the reason.

    Commands call this first, so an unreachable server, a wrong database name or an SQLite path
    that cannot be opened stop them with one line instead of a driver traceback.
    """
    try:
        if engine.dialect.name == "sqlite":
            await asyncio.to_thread(_open_sqlite_file, engine.url.database)
        async with asyncio.timeout(CONNECT_TIMEOUT), engine.begin() as connection:
            await connection.execute(text("SELECT 1"))
    except (DBAPIError, OSError, TimeoutError, sqlite3.Error) as exc:
        raise ConfigError(
            f"DATABASE_URL={engine.url.render_as_string(hide_password=True)} "
            f"cannot be used: {_reason(exc)}"
        ) from exc


def _open_sqlite_file(database: str | None) -> None:
    # Opened with the stdlib first: when aiosqlite fails to open a file, its worker thread can
    # outlive the event loop and print "Event loop is closed" tracebacks as the command exits.
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    sqlite3.connect(database).close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer (timed out)"
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if "unable to open database file" in first:
        first += " (does its directory exist, and may this user write there?)"
    return first


def is_database_outage(exc: BaseException) -> bool:
    """Tell whether ``exc`` means the database is out of reach (not that a statement was bad)."""
    # A refused or dropped connection surfaces as OSError from asyncpg, OperationalError from
    # SQLite ("unable to open database file", "database is locked"), or InterfaceError.
    if isinstance(exc, DBAPIError):
        return (
            exc.connection_invalidated
            or isinstance(exc, OperationalError | InterfaceError)
            or getattr(exc.orig, "sqlstate", None) in _SCHEMA_GONE
        )
    return isinstance(exc, OSError | TimeoutError) or (
        getattr(exc, "sqlstate", None) in _SCHEMA_GONE  # asyncpg's own, raised on connect
    )


# PostgreSQL SQLSTATEs meaning the database or its schema is not there (dropped, not migrated):
# the service cannot work until an operator acts, exactly like an unreachable server.
# https://www.postgresql.org/docs/current/errcodes-appendix.html
_SCHEMA_GONE = frozenset({"3D000", "42P01", "3F000"})  # no database, no table, no schema


LOCK_POLL_SECONDS = 0.0005
"""How often intake's writer asks again for a write lock another process holds."""


def _tune_sqlite(
    sync_engine: Engine, *, poll_for_lock: float | None = None, autocheckpoint: bool = True
) -> None:
    """WAL and the pragmas on every connection, and BEGIN IMMEDIATE for writers.

    ``poll_for_lock``: wait for the write lock up to that many seconds by asking every
    ``LOCK_POLL_SECONDS``, instead of through ``busy_timeout``, whose waits back off to 100 ms
    sleeps: intake waiting behind a worker's 30 ms transaction woke up to 100 ms late (lock
    waits p99 79 ms, max 832 ms while the worker drained 500 pull requests;
    bench/intake_under_load.py). The waiting writer also wins the lock over one in
    ``busy_timeout``'s backoff, so intake goes before the worker.

    ``autocheckpoint=False``: commits never run a checkpoint themselves (see ``checkpoint``).
    """

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so that BEGIN below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        if poll_for_lock is not None:
            cursor.execute("PRAGMA busy_timeout=0")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction that reads and then writes
        # waits (busy_timeout) instead of failing with SQLITE_BUSY when another writer got there
        # first. Read-only sessions (create_readers) need no lock at all.
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        if read_only:
            connection.exec_driver_sql("BEGIN")
        elif poll_for_lock is not None:
            _begin_polling(connection, poll_for_lock)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def checkpoint(engine: Engine, *, restart_within: float | None = None) -> int:
    """Copy what the WAL holds back into the database file, as far as readers allow; return
    the WAL's size in bytes as it found it.

    PASSIVE: it waits for no reader and blocks no writer; what it cannot copy now is copied by a
    later checkpoint. ``restart_within``: RESTART instead, waiting up to that many seconds for
    the writer and for readers still inside the WAL to finish, so that the next write starts
    the WAL over (a reader inside it when a write begins keeps it growing).
    """
    connection = engine.raw_connection()
    try:
        sqlite = connection.driver_connection
        assert sqlite is not None
        if restart_within is None:
            _, frames, _ = sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        else:
            (waited,) = sqlite.execute("PRAGMA busy_timeout").fetchone()
            sqlite.execute(f"PRAGMA busy_timeout={int(restart_within * 1000)}")
            try:
                _, frames, _ = sqlite.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            finally:
                sqlite.execute(f"PRAGMA busy_timeout={int(waited)}")
        (page_size,) = sqlite.execute("PRAGMA page_size").fetchone()
        return max(int(frames), 0) * int(page_size)
    finally:
        connection.close()


def _begin_polling(connection: Any, timeout: float) -> None:
    """BEGIN IMMEDIATE, asked again every ``LOCK_POLL_SECONDS`` while another process writes,
    for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except DBAPIError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(LOCK_POLL_SECONDS)


def _is_busy(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")
