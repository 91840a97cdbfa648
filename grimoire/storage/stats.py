"""What the findings say about the spells: how often each fired, where, what nothing explains."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.storage.tables import Analysis, Finding, Spell


async def hit_counts(session: AsyncSession, spell_ids: Iterable[int]) -> dict[int, int]:
    """Return how many stored findings each of these spells explains (absent: none)."""
    ids = list(spell_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Finding.spell_id, func.count())
        .where(Finding.spell_id.in_(ids))
        .group_by(Finding.spell_id)
    )
    return {spell_id: count for spell_id, count in rows if spell_id is not None}


WINDOWS = (("24h", timedelta(days=1)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)))
UNMATCHED_LIMIT = 20


@dataclass(frozen=True)
class SpellHits:
    """How often one spell explained a finding, where, and when last."""

    spell_id: int
    title: str
    hits_24h: int
    hits_7d: int
    hits_30d: int
    hits_total: int
    repositories: int
    last_seen: datetime


@dataclass(frozen=True)
class UnmatchedError:
    """An error that no spell explained, and how often it was found."""

    error_type: str
    message: str
    count: int
    repositories: int
    last_seen: datetime


async def spell_hits(session: AsyncSession, *, now: datetime) -> list[SpellHits]:
    """Return the hits of every spell that explained a finding, most hits in 30 days first.

    A finding is counted at its analysis's time; the title is the spell's current one, or the
    one the finding copied if the spell has been deleted.
    """
    since = {name: now - size for name, size in WINDOWS}
    rows = await session.execute(
        select(
            Finding.spell_id,
            func.coalesce(func.max(Spell.title), func.max(Finding.spell_title)),
            *(_count_since(since[name]) for name, _ in WINDOWS),
            func.count(),
            func.count(distinct(Analysis.repository)),
            func.max(Analysis.created_at),
        )
        .join(Analysis, Analysis.id == Finding.analysis_id)
        .outerjoin(Spell, Spell.id == Finding.spell_id)
        .where(Finding.spell_id.is_not(None))
        .group_by(Finding.spell_id)
    )
    hits = [
        SpellHits(
            spell_id=spell_id,
            title=title or f"spell #{spell_id}",
            hits_24h=int(day),
            hits_7d=int(week),
            hits_30d=int(month),
            hits_total=total,
            repositories=repositories,
            last_seen=_utc(last),
        )
        for spell_id, title, day, week, month, total, repositories, last in rows
    ]
    hits.sort(key=lambda h: (-h.hits_30d, -h.hits_total, h.spell_id))
    return hits


def _count_since(since: datetime) -> Any:
    return func.coalesce(func.sum(case((Analysis.created_at >= since, 1), else_=0)), 0)


def _utc(value: datetime) -> datetime:
    """Aggregates bypass the column type on SQLite: read them back as aware UTC datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def never_fired(session: AsyncSession) -> Sequence[Spell]:
    """Return the spells that have not explained any stored finding, in id order."""
    fired = select(Finding.spell_id).where(Finding.spell_id.is_not(None))
    return (
        await session.scalars(select(Spell).where(Spell.id.not_in(fired)).order_by(Spell.id))
    ).all()


async def unmatched_errors(
    session: AsyncSession, *, limit: int = UNMATCHED_LIMIT
) -> list[UnmatchedError]:
    """Return the errors found most often that no spell explains: candidates for new spells."""
    count = func.count().label("n")
    rows = await session.execute(
        select(
            Finding.error_type,
            Finding.message,
            count,
            func.count(distinct(Analysis.repository)),
            func.max(Analysis.created_at),
        )
        .join(Analysis, Analysis.id == Finding.analysis_id)
        .where(Finding.spell_id.is_(None))
        .group_by(Finding.error_type, Finding.message)
        .order_by(count.desc(), Finding.error_type, Finding.message)
        .limit(limit)
    )
    return [
        UnmatchedError(error_type, message, n, repositories, _utc(last))
        for error_type, message, n, repositories, last in rows
    ]


async def daily_hits(
    session: AsyncSession, *, now: datetime, days: int = 30, spell_id: int | None = None
) -> list[int]:
    """Return the findings explained by a spell (by ``spell_id``, if given) on each of the last
    ``days`` days, oldest first; day ``days - 1`` ends at ``now``.

    Counted per analysis in SQL and bucketed here, so the same code serves both engines.
    """
    start = now - timedelta(days=days)
    condition = Finding.spell_id.is_not(None) if spell_id is None else Finding.spell_id == spell_id
    rows = await session.execute(
        select(Analysis.created_at, func.count())
        .join(Finding, Finding.analysis_id == Analysis.id)
        .where(condition, Analysis.created_at > start)
        .group_by(Analysis.id, Analysis.created_at)
    )
    buckets = [0] * days
    for created_at, count in rows:
        age = (now - created_at).total_seconds() // 86400
        if 0 <= age < days:
            buckets[days - 1 - int(age)] += count
    return buckets


@dataclass(frozen=True)
class Statistics:
    """Everything the statistics page and ``GET /api/stats`` show."""

    generated_at: datetime
    spells: list[SpellHits]
    never_fired: Sequence[Spell]
    unmatched: list[UnmatchedError]
    daily: list[int]


async def statistics(session: AsyncSession, *, now: datetime) -> Statistics:
    """Gather the spellbook's statistics as of ``now``."""
    return Statistics(
        generated_at=now,
        spells=await spell_hits(session, now=now),
        never_fired=await never_fired(session),
        unmatched=await unmatched_errors(session),
        daily=await daily_hits(session, now=now),
    )
