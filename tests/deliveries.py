"""Store deliveries the way intake does, from inside a test's own session."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.core.events import Delivery
from grimoire.storage.deliveries import Arrival, Intake, record_deliveries


async def record_delivery(
    session: AsyncSession,
    delivery_id: str,
    info: Delivery,
    *,
    payload: bytes,
    status: Literal["queued", "ignored", "failed"],
    now: datetime,
) -> Intake:
    """Store one delivery through ``record_deliveries`` and return what became of it."""
    arrival = Arrival(delivery_id, info, payload, status)
    connection = await session.connection()
    [outcome] = await connection.run_sync(record_deliveries, [arrival], now=now)
    return outcome
