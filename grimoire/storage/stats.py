"""What the findings say about the spells: how often each fired, where, what nothing explains."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.storage.tables import Finding


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
