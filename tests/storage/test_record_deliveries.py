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
