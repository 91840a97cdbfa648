"""Retention: what ``grimoire prune`` removes, and the SQLite online backup of ``grimoire backup``.

Prune keeps the spellbook, every delivery's row (its id keeps a redelivery a duplicate) and the
reports; it deletes the raw payloads of settled deliveries (about 24 KB each, read only to run
their job) and deletes analyses (with their files, findings and check-run rows) that have not
changed since the cutoff.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.storage.tables import Analysis, CiAnalysis, Delivery, DeliveryPayload

SETTLED = ("done", "failed", "ignored", "skipped")


@dataclass(frozen=True)
class Pruned:
    """How many rows prune touched (or, in a dry run, would touch)."""

    payloads: int
    analyses: int
    ci_analyses: int


async def prune(session: AsyncSession, *, before: datetime, dry_run: bool) -> Pruned:
    """Delete the payloads of settled deliveries received before ``before``, and the analyses
    last changed before it."""
    settled_before = select(Delivery.id).where(
        Delivery.status.in_(SETTLED), Delivery.received_at < before
    )
    old_payloads = (DeliveryPayload.delivery_id.in_(settled_before),)
    old_analyses = (Analysis.updated_at < before,)
    old_ci = (CiAnalysis.updated_at < before,)
    counts = Pruned(
        payloads=await _count(
            session, select(func.count()).select_from(DeliveryPayload).where(*old_payloads)
        ),
        analyses=await _count(session, select(func.count()).where(*old_analyses)),
        ci_analyses=await _count(session, select(func.count()).where(*old_ci)),
    )
    if not dry_run:
        await session.execute(delete(DeliveryPayload).where(*old_payloads))
        await session.execute(delete(Analysis).where(*old_analyses))
        await session.execute(delete(CiAnalysis).where(*old_ci))
    return counts


async def _count(session: AsyncSession, query: Select[int]) -> int:
    return int(await session.scalar(query) or 0)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the live SQLite database ``source`` to ``target``; return the pages copied.

    SQLite's online backup API, in one step: it reads one consistent snapshot, and in WAL mode
    that read neither waits for the service's writers nor makes them wait. (Copied in several
    steps, a write by the service would restart the copy.)
    """
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dst.close()
    return int(pages)
