"""Readers' verdicts on findings ("helpful" / "wrong"), and their counts per spell."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.errors import AnalysisNotFound
from grimoire.storage.spells import MAX_ID
from grimoire.storage.tables import Finding, FindingFeedback

Verdict = Literal["helpful", "wrong"]
VERDICTS: tuple[Verdict, ...] = ("helpful", "wrong")


@dataclass(frozen=True)
class Votes:
    """How many readers found a spell (or a finding) helpful, and how many found it wrong."""

    helpful: int = 0
    wrong: int = 0


async def get_finding(session: AsyncSession, analysis_id: int, rank: int) -> Finding:
    """Return one finding of an analysis, or raise ``AnalysisNotFound``."""
    found = (
        await session.scalar(
            select(Finding).where(Finding.analysis_id == analysis_id, Finding.rank == rank)
        )
        if 0 < analysis_id <= MAX_ID and 0 < rank <= MAX_ID
        else None
    )
    if found is None:
        raise AnalysisNotFound(analysis_id)
    return found


async def record_vote(
    session: AsyncSession, finding: Finding, verdict: Verdict, *, now: datetime
) -> None:
    """Store a verdict on a finding, crediting the spell the finding names now."""
    session.add(
        FindingFeedback(
            analysis_id=finding.analysis_id,
            finding_rank=finding.rank,
            spell_id=finding.spell_id,
            verdict=verdict,
            created_at=now,
        )
    )
    await session.flush()


async def votes_by_spell(
    session: AsyncSession, spell_ids: Iterable[int] | None = None
) -> dict[int, Votes]:
    """Return the verdicts per spell (only these spells, if given)."""
    query = (
        select(FindingFeedback.spell_id, FindingFeedback.verdict, func.count())
        .where(FindingFeedback.spell_id.is_not(None))
        .group_by(FindingFeedback.spell_id, FindingFeedback.verdict)
    )
    if spell_ids is not None:
        query = query.where(FindingFeedback.spell_id.in_(list(spell_ids)))
    return _tally(
        (spell_id, verdict, count) for spell_id, verdict, count in await session.execute(query)
    )


async def votes_for_analysis(session: AsyncSession, analysis_id: int) -> dict[int, Votes]:
    """Return the verdicts on each finding of an analysis, by rank."""
    rows = await session.execute(
        select(FindingFeedback.finding_rank, FindingFeedback.verdict, func.count())
        .where(FindingFeedback.analysis_id == analysis_id)
        .group_by(FindingFeedback.finding_rank, FindingFeedback.verdict)
    )
    return _tally((rank, verdict, count) for rank, verdict, count in rows)


def _tally(rows: Iterable[tuple[int | None, str, int]]) -> dict[int, Votes]:
    counts: dict[int, dict[str, int]] = {}
    for key, verdict, count in rows:
        if key is not None:
            counts.setdefault(key, {})[verdict] = count
    return {key: Votes(v.get("helpful", 0), v.get("wrong", 0)) for key, v in counts.items()}
