"""What intake stores is read back as it was given, on SQLite's hand-written INSERT too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.storage.db import create_engine, create_sessions
from grimoire.storage.deliveries import Arrival, load_payload, record_deliveries
from grimoire.storage.tables import Delivery

# Not UTC, with microseconds: the stored value must be the same instant, read back in UTC.
NOW = datetime(2026, 12, 3, 19, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))


async def test_every_column_is_read_back_as_given(database_url: str) -> None:
    full = DeliveryInfo(
        event="pull_request", action="synchronize", repository="octo/app", pr_number=2**40,
        head_sha="a" * 40, base_sha="b" * 40, installation_id=2**40 + 1, sender="mona\x00lisa",
    )  # fmt: skip
    arrivals = [
        Arrival("full", full, b'{"x": 1}', "queued"),
        Arrival("bare", DeliveryInfo(event="ping"), b"{}", "ignored"),
        Arrival("bad", DeliveryInfo(event="pull_request"), b"not json", "failed", "unusable"),
        Arrival("full", full, b"second copy in the same batch", "queued"),
    ]
    engine = create_engine(database_url)
    try:
        async with create_sessions(engine).begin() as session:
            connection = await session.connection()
            outcomes = await connection.run_sync(record_deliveries, arrivals, now=NOW)
        assert outcomes == ["queued", "ignored", "ignored", "duplicate"]
        async with create_sessions(engine).begin() as session:
            rows = {row.id: row for row in await session.scalars(select(Delivery))}
            bodies = {id_: await load_payload(session, id_) for id_ in rows}
            # Compared in SQL, as the queue's queries do: stored in the form SQLAlchemy binds.
            moment = (NOW - timedelta(microseconds=1), NOW + timedelta(microseconds=1))
            at_now = await session.scalar(
                select(func.count()).where(Delivery.received_at.between(*moment))
            )
    finally:
        await engine.dispose()
    assert set(rows) == {"full", "bare", "bad"}
    assert at_now == 3
    stored = rows["full"]
    assert (stored.event, stored.action, stored.repository) == (
        "pull_request",
        "synchronize",
        "octo/app",
    )
    assert (stored.pr_number, stored.installation_id) == (2**40, 2**40 + 1)
    assert (stored.head_sha, stored.base_sha) == ("a" * 40, "b" * 40)
    assert stored.sender == "mona\ufffdlisa"  # NUL is not storable in PostgreSQL text
    assert (stored.status, stored.attempts, stored.lease_expires_at) == ("queued", 0, None)
    assert stored.received_at == stored.next_attempt_at == stored.updated_at == NOW
    assert stored.received_at.tzinfo == UTC
    assert stored.processed_at is None and stored.last_error is None
    assert rows["bare"].processed_at == NOW and rows["bare"].pr_number is None
    assert (rows["bad"].status, rows["bad"].last_error) == ("failed", "unusable")
    assert bodies == {"full": b'{"x": 1}', "bare": b"{}", "bad": b"not json"}


async def test_a_batch_of_known_and_new_ids_stores_the_new_ones_with_their_own_bodies(
    database_url: str,
) -> None:
    """Known ids interleaved with new ones: the new are stored with their bodies, the known keep
    theirs (a failed one is queued again), whatever their place in the batch."""
    info = DeliveryInfo(event="pull_request", action="opened", repository="octo/app", pr_number=1)
    earlier = [
        Arrival("k1", info, b"k1 first", "queued"),
        Arrival("k2", info, b"k2 first", "failed", "unusable"),
        Arrival("k3", info, b"k3 first", "ignored"),
    ]
    batch = [
        Arrival("k1", info, b"k1 again", "queued"),
        Arrival("n1", info, b"n1", "queued"),
        Arrival("k2", info, b"k2 again", "queued"),
        Arrival("n2", info, b"n2", "ignored"),
        Arrival("k3", info, b"k3 again", "queued"),
        Arrival("n3", info, b"n3", "queued"),
    ]
    engine = create_engine(database_url)
    try:
        for arrivals in (earlier, batch):
            async with create_sessions(engine).begin() as session:
                connection = await session.connection()
                outcomes = await connection.run_sync(record_deliveries, arrivals, now=NOW)
        async with create_sessions(engine).begin() as session:
            rows = {row.id: row.status for row in await session.scalars(select(Delivery))}
            bodies = {id_: await load_payload(session, id_) for id_ in rows}
    finally:
        await engine.dispose()
    assert outcomes == ["duplicate", "queued", "requeued", "ignored", "duplicate", "queued"]
    assert rows == {
        "k1": "queued", "k2": "queued", "k3": "ignored",
        "n1": "queued", "n2": "ignored", "n3": "queued",
    }  # fmt: skip
    assert bodies == {
        "k1": b"k1 first", "k2": b"k2 first", "k3": b"k3 first",
        "n1": b"n1", "n2": b"n2", "n3": b"n3",
    }  # fmt: skip
