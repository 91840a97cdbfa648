"""The deliveries table: durable webhook intake, and the job queue the workers claim from."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    Select,
    Table,
    and_,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.errors import Conflict, DeliveryNotFound
from grimoire.storage.tables import Analysis, Delivery, DeliveryPayload, without_nul

QUEUED: Final = "queued"
PROCESSING: Final = "processing"
DONE: Final = "done"
FAILED: Final = "failed"
IGNORED: Final = "ignored"
SKIPPED: Final = "skipped"
# Jobs of these events analyse one (repository, pull request, head): same-head jobs coalesce,
# and a newer head supersedes an older one.
_HEAD_EVENTS: Final = frozenset({"pull_request"})

MAX_DELIVERY_ID = 100
Intake = Literal["queued", "ignored", "duplicate", "requeued"]

# Any constant works: it only has to be the same number in every process sharing the database.
_CLAIM_LOCK = 0x6772696D


@dataclass(frozen=True)
class Job:
    """A claimed delivery: what a worker needs to process it."""

    id: str
    event: str
    action: str | None
    repository: str | None
    pr_number: int | None
    head_sha: str | None
    base_sha: str | None
    installation_id: int | None
    attempts: int
    received_at: datetime
    coalesced: int = 0  # queued jobs of the same head the claim skipped (``coalesce``)


@dataclass(frozen=True)
class Arrival:
    """A delivery as it arrives: its id, what it is about, its raw body, the status it gets."""

    delivery_id: str
    info: DeliveryInfo
    payload: bytes
    status: Literal["queued", "ignored", "failed"]
    error: str | None = None


def record_deliveries(
    connection: Connection, arrivals: Sequence[Arrival], *, now: datetime
) -> list[Intake]:
    """Store new deliveries; a known id is a duplicate, unless it failed: then it is queued again.

    A redelivery (same ``X-GitHub-Delivery``) of a delivery that failed is how a person retries
    it from GitHub's UI; anything else seen before must not be processed twice. One multi-row
    INSERT for the whole batch, however many deliveries it holds, and a SELECT only when some of
    them were there already.

    Synchronous, so that intake on SQLite can run a whole batch in one trip to its writer thread
    (``grimoire.storage.intake``); async callers use ``AsyncConnection.run_sync``. On a
    connection rather than an ORM session: the session's bookkeeping took a quarter of the
    writer's time for a batch of 8 and nothing here needs it.
    """
    first: dict[str, Arrival] = {}
    for arrival in arrivals:
        first.setdefault(arrival.delivery_id, arrival)
    if not first:
        return []
    stored = _insert_new(connection, first, now)
    known: dict[str, str] = {}
    if len(stored) < len(first):
        there = [delivery_id for delivery_id in first if delivery_id not in stored]
        seen = connection.execute(
            select(Delivery.id, Delivery.status).where(Delivery.id.in_(there))
        )
        known = dict(seen.all())
    outcomes: list[Intake] = []
    for arrival in arrivals:
        if arrival.delivery_id in stored and first[arrival.delivery_id] is arrival:
            outcomes.append("queued" if arrival.status == QUEUED else "ignored")
        elif arrival.status == QUEUED and known.get(arrival.delivery_id) == FAILED:
            _requeue_failed(connection, arrival.delivery_id, now=now)
            known[arrival.delivery_id] = QUEUED
            outcomes.append("requeued")
        else:
            outcomes.append("duplicate")
    return outcomes


def _insert_new(connection: Connection, arrivals: dict[str, Arrival], now: datetime) -> set[str]:
    """Insert the deliveries with their bodies; return the ids stored now (the others were
    there before)."""
    rows = [_row(arrival, now) for arrival in arrivals.values()]
    if connection.dialect.name == "sqlite":
        stored = _insert_sqlite(connection, rows)
        payloads = [(id_, arrival.payload) for id_, arrival in arrivals.items() if id_ in stored]
        if payloads:
            connection.exec_driver_sql(
                _sqlite_rows_sql(_PAYLOADS.name, ("delivery_id", "payload"), len(payloads)),
                tuple(value for pair in payloads for value in pair),
            )
        return stored
    # DO NOTHING + RETURNING: the ids stored now are ours, whatever another transaction stores
    # at the same moment.
    stored = set(
        connection.scalars(
            postgresql.insert(_DELIVERIES).on_conflict_do_nothing().returning(_DELIVERIES.c.id),
            rows,
        )
    )
    if stored:
        connection.execute(
            postgresql.insert(_PAYLOADS),
            [
                {"delivery_id": id_, "payload": arrival.payload}
                for id_, arrival in arrivals.items()
                if id_ in stored
            ],
        )
    return stored


_DELIVERIES = cast(Table, Delivery.__table__)
_PAYLOADS = cast(Table, DeliveryPayload.__table__)


def _insert_sqlite(connection: Connection, rows: list[dict[str, object]]) -> set[str]:
    """Insert the batch in one multi-row INSERT that skips known ids; return the ids it stored.

    The intake writer's hot path, written for the fewest trips into SQLite. Through SQLAlchemy's
    statement compilation and per-value type processing a batch of 8 took ~1 ms of Python, as
    long as its fsync; the values go through the same type processors here, once each. Each
    trip (a statement, or a row of RETURNING) releases the GIL and must take it back from the
    event loop, which answers webhooks meanwhile, so the usual batch, all new, is one statement.
    When it stored fewer rows than it was given, the ones it stored are the last rowids it gave
    out: a SQLite transaction that writes holds the database's one write lock from its BEGIN
    IMMEDIATE (``storage.db``), so nothing else inserts in between.
    """
    columns, processors = _sqlite_binds(connection.dialect)
    values = tuple(
        value if process is None else process(value)
        for row in rows
        for value, process in zip((row[c] for c in columns), processors, strict=True)
    )
    insert = _sqlite_rows_sql(_DELIVERIES.name, columns, len(rows)) + " ON CONFLICT (id) DO NOTHING"
    result = connection.exec_driver_sql(insert, values)
    if result.rowcount == len(rows):
        return {str(row["id"]) for row in rows}
    if result.rowcount == 0:
        return set()
    last = result.lastrowid
    stored = connection.exec_driver_sql(
        f"SELECT id FROM {_DELIVERIES.name} WHERE rowid > ?",  # noqa: S608
        (last - result.rowcount,),
    )
    return {row[0] for row in stored}


@functools.cache
def _sqlite_binds(dialect: Dialect) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    columns = tuple(column.name for column in _DELIVERIES.columns)
    processors = tuple(
        column.type.dialect_impl(dialect).bind_processor(dialect) for column in _DELIVERIES.columns
    )
    return columns, processors


@functools.cache
def _sqlite_rows_sql(table: str, columns: tuple[str, ...], count: int) -> str:
    """``INSERT INTO table (columns) VALUES (?, …), …`` for ``count`` rows."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    # Names from the tables' own metadata; every value is a parameter.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
        + ", ".join([one] * count)
    )


def _row(arrival: Arrival, now: datetime) -> dict[str, object]:
    info = arrival.info
    return {
        "id": arrival.delivery_id,
        "event": info.event,
        "action": without_nul(info.action),
        "repository": without_nul(info.repository),
        "pr_number": info.pr_number,
        "head_sha": without_nul(info.head_sha),
        "base_sha": without_nul(info.base_sha),
        "installation_id": info.installation_id,
        "sender": without_nul(info.sender),
        "status": arrival.status,
        "attempts": 0,
        "next_attempt_at": now,
        "lease_expires_at": None,
        "last_error": without_nul(arrival.error),
        "received_at": now,
        "processed_at": now if arrival.status != QUEUED else None,
        "updated_at": now,
    }


def _requeue_failed(connection: Connection, delivery_id: str, *, now: datetime) -> None:
    connection.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == FAILED)
        .values(
            status=QUEUED, attempts=0, next_attempt_at=now, lease_expires_at=None, updated_at=now
        )
    )


def _dialect(session: Session | AsyncSession) -> str:
    return session.get_bind().dialect.name


async def next_due(session: AsyncSession, *, now: datetime) -> str | None:
    """Return the id of the job ``claim_job`` would claim now, without claiming it.

    On SQLite the worker scans the queue with this in a read transaction, which takes no lock,
    and then claims that one job by id in a short write: the write lock is never held while a
    long queue is scanned, so intake's commits do not wait behind it.
    """
    query = _due(now).order_by(Delivery.next_attempt_at, Delivery.received_at).limit(1)
    return await session.scalar(query)


async def claim_job(
    session: AsyncSession, *, now: datetime, lease: timedelta, candidate: str | None = None
) -> Job | None:
    """Claim the oldest due job (or ``candidate``, if it is still due) and lease it; ``None``
    when nothing is due. Queued jobs for the same pull request and head are coalesced into it
    (the first ``COALESCE_CHUNK``; the caller calls ``coalesce`` again for the rest).

    Due: queued and past its ``next_attempt_at``, or processing with an expired lease (its worker
    died). A job is never claimed while another job for the same pull request is in flight, so one
    PR's jobs run in order and its report is never written by two workers at once.
    SQLite: one UPDATE … RETURNING inside BEGIN IMMEDIATE. PostgreSQL: FOR UPDATE SKIP LOCKED, with
    claims serialized by a transaction advisory lock so the same-PR check sees every claim.
    """
    postgres = _dialect(session) == "postgresql"
    if postgres:
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
    if candidate is None:
        chosen = _due(now).order_by(Delivery.next_attempt_at, Delivery.received_at).limit(1)
    else:  # found by next_due: check again that it is due, by its primary key
        chosen = _due(now).where(Delivery.id == candidate)
    if postgres:
        chosen = chosen.with_for_update(skip_locked=True, of=Delivery)
    claimed = await session.execute(
        update(Delivery)
        # correlate(None): the subquery scans the table itself, not the row being updated.
        .where(Delivery.id == chosen.correlate(None).scalar_subquery())
        .values(
            status=PROCESSING,
            attempts=Delivery.attempts + 1,
            lease_expires_at=now + lease,
            updated_at=now,
        )
        .returning(*_JOB_COLUMNS)
    )
    row = claimed.first()
    if row is None:
        return None
    job = Job(**row._mapping)
    return dataclasses.replace(job, coalesced=await coalesce(session, job, now=now))


COALESCE_CHUNK = 500
"""Queued jobs one statement skips as coalesced. A one-head burst of 15,000 deliveries skipped in
one UPDATE held SQLite's write lock long enough to put intake's p99 past 100 ms; in chunks,
each in its own transaction, intake's commits get in between."""


async def coalesce(session: AsyncSession, job: Job, *, now: datetime) -> int:
    """Skip up to ``COALESCE_CHUNK`` queued jobs for the same pull request and head as ``job``:
    its analysis and report cover them (a burst for one head is analysed and reported once).
    Return how many were skipped: a full chunk means there may be more.

    Safe in a transaction of its own after the claim: no other job of the pull request can be
    claimed while ``job`` is in flight.
    """
    if job.event not in _HEAD_EVENTS or job.head_sha is None:
        return 0
    chunk = (
        select(Delivery.id)
        .where(
            Delivery.status == QUEUED,
            Delivery.repository == job.repository,
            Delivery.pr_number == job.pr_number,
            Delivery.event == job.event,
            Delivery.head_sha == job.head_sha,
            Delivery.id != job.id,
        )
        .limit(COALESCE_CHUNK)
    )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(chunk.scalar_subquery()))
        .values(
            status=SKIPPED,
            last_error=f"coalesced into delivery {job.id} (same head)",
            processed_at=now,
            updated_at=now,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def superseded_by(session: AsyncSession, job: Job) -> str | None:
    """Return why ``job`` need not run: a newer delivery for its pull request has another head.

    Newer is received later; a head that was pushed over needs no analysis and no report. A head
    that was analysed already runs again: its report is then marked stale by the reporting.
    """
    if job.event not in _HEAD_EVENTS or job.head_sha is None:
        return None
    analysed = await session.scalar(
        select(Analysis.id)
        .where(
            Analysis.repository == job.repository,
            Analysis.pr_number == job.pr_number,
            Analysis.head_sha == job.head_sha,
        )
        .limit(1)
    )
    if analysed is not None:
        return None
    newer = await session.execute(
        select(Delivery.id, Delivery.head_sha)
        .where(
            Delivery.repository == job.repository,
            Delivery.pr_number == job.pr_number,
            Delivery.event == job.event,
            Delivery.received_at > job.received_at,
            Delivery.head_sha.is_not(None),
            Delivery.head_sha != job.head_sha,
            Delivery.status != IGNORED,
        )
        .order_by(Delivery.received_at.desc())
        .limit(1)
    )
    row = newer.first()
    if row is None:
        return None
    return f"superseded by head {row.head_sha} (delivery {row.id})"


async def skip_job(
    session: AsyncSession, job_id: str, *, now: datetime, reason: str, claim: int | None = None
) -> None:
    """Mark a job skipped, with the reason (only if ``claim``, when given, still holds it)."""
    await _settle(
        session, job_id, status=SKIPPED, now=now, claim=claim, processed_at=now, last_error=reason
    )


async def extend_lease(session: AsyncSession, job_id: str, *, claim: int, until: datetime) -> bool:
    """Extend a running job's lease to ``until``; return whether this claim still holds it.

    ``claim`` is the job's ``attempts`` when it was claimed: every claim increments it, so it
    fences off a worker whose lease expired and whose job another worker has claimed since.
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == job_id, Delivery.status == PROCESSING, Delivery.attempts == claim)
        .values(lease_expires_at=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish_job(
    session: AsyncSession, job_id: str, *, now: datetime, claim: int | None = None
) -> None:
    """Mark a job done (only if ``claim``, when given, still holds it)."""
    await _settle(
        session, job_id, status=DONE, now=now, claim=claim, processed_at=now, last_error=None
    )


async def fail_job(
    session: AsyncSession, job_id: str, *, now: datetime, error: str, claim: int | None = None
) -> None:
    """Mark a job failed for good, with the reason (only if ``claim``, when given, holds it)."""
    await _settle(
        session, job_id, status=FAILED, now=now, claim=claim, processed_at=now, last_error=error
    )


async def retry_job(
    session: AsyncSession,
    job_id: str,
    *,
    now: datetime,
    at: datetime,
    error: str | None,
    count_attempt: bool = True,
    claim: int | None = None,
) -> None:
    """Put a job back in the queue, due at ``at``.

    ``count_attempt=False`` gives the attempt back: for waits that are not the job's fault (a rate
    limit, a shutdown).
    """
    values: dict[str, object] = {"next_attempt_at": at, "last_error": error}
    if not count_attempt:
        values["attempts"] = Delivery.attempts - 1
    await _settle(session, job_id, status=QUEUED, now=now, claim=claim, **values)


async def requeue(session: AsyncSession, delivery_id: str, *, now: datetime) -> Delivery:
    """Queue a delivery to run again now, with fresh attempts (one being processed is left be).

    Only deliveries that ask for an analysis can run; an ignored one (a ping, a closed PR) raises
    ``Conflict``: there is nothing to run.
    """
    delivery = await get_delivery(session, delivery_id)
    if delivery.status == IGNORED or delivery.pr_number is None:
        raise Conflict(f"delivery {delivery_id!r} ({delivery.event}) has no analysis to run")
    if delivery.status != PROCESSING:
        delivery.status = QUEUED
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.lease_expires_at = None
        delivery.updated_at = now
        await session.flush()
    return delivery


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery:
    """Return one delivery, or raise ``DeliveryNotFound``."""
    # An id no delivery can have (NUL, too long) must be a 404, not a driver error.
    possible = len(delivery_id) <= MAX_DELIVERY_ID and "\x00" not in delivery_id
    delivery = await session.get(Delivery, delivery_id) if possible else None
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    return delivery


async def stored_ids(session: AsyncSession, ids: Iterable[str]) -> set[str]:
    """Return which of ``ids`` (``X-GitHub-Delivery`` values) are stored deliveries."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    # Chunked: a few days of webhooks can be thousands of ids, more than one IN list should hold.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(await session.scalars(select(Delivery.id).where(Delivery.id.in_(chunk))))
    return found


async def load_payload(session: AsyncSession, delivery_id: str) -> bytes:
    """Return a delivery's raw body (empty once ``grimoire prune`` removed it)."""
    found = await session.execute(
        select(Delivery.id, DeliveryPayload.payload)
        .outerjoin(DeliveryPayload, DeliveryPayload.delivery_id == Delivery.id)
        .where(Delivery.id == delivery_id)
    )
    row = found.first()
    if row is None:
        raise DeliveryNotFound(delivery_id)
    return row.payload or b""


async def list_deliveries(
    session: AsyncSession,
    *,
    skip: int,
    limit: int,
    status: str | None = None,
    repository: str | None = None,
) -> tuple[Sequence[Delivery], int]:
    """Return one page of deliveries, newest first, and how many match in all."""
    conditions = []
    if status is not None:
        conditions.append(Delivery.status == status)
    if repository is not None:
        conditions.append(Delivery.repository == repository)
    total = await session.scalar(select(func.count()).select_from(Delivery).where(*conditions))
    page = await session.scalars(
        select(Delivery)
        .where(*conditions)
        .order_by(Delivery.received_at.desc(), Delivery.id)
        .offset(skip)
        .limit(limit)
    )
    return page.all(), total or 0


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """Return how many deliveries are in each status."""
    rows = await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return dict(rows.all())


async def oldest_due(session: AsyncSession, *, now: datetime) -> datetime | None:
    """Return when the longest-waiting due job was due (the queue's lag), if any."""
    return await session.scalar(select(func.min(Delivery.next_attempt_at)).where(_is_due(now)))


_JOB_COLUMNS = (
    Delivery.id,
    Delivery.event,
    Delivery.action,
    Delivery.repository,
    Delivery.pr_number,
    Delivery.head_sha,
    Delivery.base_sha,
    Delivery.installation_id,
    Delivery.attempts,
    Delivery.received_at,
)


def _is_due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Delivery.status == QUEUED, Delivery.next_attempt_at <= now),
        and_(Delivery.status == PROCESSING, Delivery.lease_expires_at < now),
    )


def _due(now: datetime) -> Select[str]:
    busy = aliased(Delivery)
    same_pull_in_flight = exists().where(
        busy.status == PROCESSING,
        busy.lease_expires_at >= now,
        busy.repository == Delivery.repository,
        busy.pr_number == Delivery.pr_number,
        busy.id != Delivery.id,
    )
    return select(Delivery.id).where(_is_due(now), ~same_pull_in_flight)


async def _settle(
    session: AsyncSession,
    job_id: str,
    *,
    status: str,
    now: datetime,
    claim: int | None,
    **values: object,
) -> None:
    """Record a job's outcome; with ``claim``, only while that claim still holds the job."""
    owned = () if claim is None else (Delivery.status == PROCESSING, Delivery.attempts == claim)
    await session.execute(
        update(Delivery)
        .where(Delivery.id == job_id, *owned)
        .values(status=status, lease_expires_at=None, updated_at=now, **values)
    )
