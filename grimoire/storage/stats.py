"""What the findings say about the spells: how often each fired, where, what nothing explains."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.storage.tables import Analysis, CiAnalysis, CiJob, Finding, Spell


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
    """Return the hits of every spell that explained something, most hits in 30 days first.

    A hit is a finding of a pull request's diff the spell explains (counted at its analysis's
    time), or a failed CI job whose root cause it explains best (counted at its run's). The title
    is the spell's current one, or the one stored with the hit if the spell has been deleted.
    """
    tally: dict[int, _Tally] = {}
    since = [now - size for _, size in WINDOWS]
    rows = await session.execute(
        select(
            Finding.spell_id,
            func.coalesce(func.max(Spell.title), func.max(Finding.spell_title)),
            *(_count_since(moment) for moment in since),
            func.count(),
            func.max(Analysis.created_at),
        )
        .join(Analysis, Analysis.id == Finding.analysis_id)
        .outerjoin(Spell, Spell.id == Finding.spell_id)
        .where(Finding.spell_id.is_not(None))
        .group_by(Finding.spell_id)
    )
    for spell_id, title, day, week, month, total, last in rows:
        tally[spell_id] = _Tally(title, [int(day), int(week), int(month), total], _utc(last))
    places = await session.execute(
        select(Finding.spell_id, Analysis.repository)
        .join(Analysis, Analysis.id == Finding.analysis_id)
        .where(Finding.spell_id.is_not(None))
        .distinct()
    )
    for spell_id, repository in places:
        if spell_id is not None:
            tally[spell_id].repositories.add(repository)
    for hit, repository, seen in await _ci_hits(session):
        entry = tally.setdefault(hit["spell_id"], _Tally(hit.get("title"), [0, 0, 0, 0], seen))
        entry.add(seen, repository, since)
    hits = [entry.hits(spell_id) for spell_id, entry in tally.items()]
    hits.sort(key=lambda h: (-h.hits_30d, -h.hits_total, h.spell_id))
    return hits


CI_ROWS = 50_000
"""The newest CI jobs counted: bounded, so the statistics stay quick on a long-lived service."""


async def _ci_hits(session: AsyncSession) -> list[tuple[dict[str, Any], str, datetime]]:
    """Return the best spell of each analysed failed CI job, with its repository and time."""
    rows = await session.execute(
        select(CiJob.spells, CiAnalysis.repository, CiAnalysis.created_at)
        .join(CiAnalysis, CiAnalysis.id == CiJob.ci_analysis_id)
        .order_by(CiAnalysis.created_at.desc())
        .limit(CI_ROWS)
    )
    return [
        (spells[0], repository, _utc(created_at))
        for spells, repository, created_at in rows
        if spells and isinstance(spells[0], dict) and isinstance(spells[0].get("spell_id"), int)
    ]


@dataclass
class _Tally:
    """One spell's hits while they are counted: 24 h, 7 d, 30 d and all; where; when last."""

    title: str | None
    counts: list[int]
    last_seen: datetime
    repositories: set[str] = field(default_factory=set)

    def add(self, seen: datetime, repository: str, since: list[datetime]) -> None:
        for index, moment in enumerate(since):
            self.counts[index] += seen >= moment
        self.counts[3] += 1
        self.repositories.add(repository)
        self.last_seen = max(self.last_seen, seen)

    def hits(self, spell_id: int) -> SpellHits:
        day, week, month, total = self.counts
        return SpellHits(
            spell_id=spell_id,
            title=self.title or f"spell #{spell_id}",
            hits_24h=day,
            hits_7d=week,
            hits_30d=month,
            hits_total=total,
            repositories=len(self.repositories),
            last_seen=self.last_seen,
        )


def _count_since(since: datetime) -> Any:
    return func.coalesce(func.sum(case((Analysis.created_at >= since, 1), else_=0)), 0)


def _utc(value: datetime) -> datetime:
    """Aggregates bypass the column type on SQLite: read them back as aware UTC datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def never_fired(session: AsyncSession, *, fired: Iterable[int] = ()) -> list[Spell]:
    """Return the spells that explained no stored finding, nor any id in ``fired``, in id order."""
    in_findings = select(Finding.spell_id).where(Finding.spell_id.is_not(None))
    rows = await session.scalars(
        select(Spell).where(Spell.id.not_in(in_findings)).order_by(Spell.id)
    )
    others = set(fired)
    return [spell for spell in rows if spell.id not in others]


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
    hits = await spell_hits(session, now=now)
    return Statistics(
        generated_at=now,
        spells=hits,
        never_fired=await never_fired(session, fired=(h.spell_id for h in hits)),
        unmatched=await unmatched_errors(session),
        daily=await daily_hits(session, now=now),
    )
