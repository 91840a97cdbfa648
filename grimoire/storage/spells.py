"""The spellbook table: list, get, create, update, delete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.errors import SpellNotFound
from grimoire.storage.tables import Spell, SpellChange

# Ids above this cannot exist (PostgreSQL INTEGER): looking one up is a 404, not a driver error.
MAX_ID = 2**31 - 1


async def list_spells(
    session: AsyncSession,
    *,
    skip: int,
    limit: int,
    search: SpellSearch | None = None,
) -> tuple[Sequence[Spell], int]:
    """Return one page of the spells that fit the search, in id order, and how many fit in all."""
    conditions = search_conditions(search or SpellSearch())
    total = await session.scalar(select(func.count()).select_from(Spell).where(*conditions))
    page = await session.scalars(
        select(Spell).where(*conditions).order_by(Spell.id).offset(skip).limit(limit)
    )
    return page.all(), total or 0


async def count_spells(session: AsyncSession) -> int:
    """Return how many spells there are."""
    return await session.scalar(select(func.count()).select_from(Spell)) or 0


@dataclass(frozen=True)
class SpellSearch:
    """A spellbook search; unset (or blank) filters match every spell.

    ``words``: every word must appear (any case) in the title, description, error type or tags.
    ``error_type``: equal, ignoring case. ``tag``: one of the spell's comma-separated tags,
    ignoring case and spaces.
    """

    words: str | None = None
    error_type: str | None = None
    tag: str | None = None


def search_conditions(search: SpellSearch) -> list[ColumnElement[bool]]:
    """Return the SQL conditions of a spellbook search (the same on SQLite and PostgreSQL)."""
    conditions: list[ColumnElement[bool]] = []
    fields = (Spell.title, Spell.description, Spell.error_type, func.coalesce(Spell.tags, ""))
    for word in (search.words or "").lower().split():
        # autoescape: a % or _ typed in the search box is a character, not a wildcard.
        conditions.append(or_(*(func.lower(f).contains(word, autoescape=True) for f in fields)))
    if search.error_type and search.error_type.strip():
        conditions.append(func.lower(Spell.error_type) == search.error_type.strip().lower())
    if search.tag and (wanted := "".join(search.tag.lower().split())):
        # ",a,b," contains ",b,": whole tags only, so "py" does not find "python".
        tags = literal(",") + func.replace(func.lower(func.coalesce(Spell.tags, "")), " ", "")
        conditions.append((tags + ",").contains(f",{wanted},", autoescape=True))
    return conditions


async def get_spell(session: AsyncSession, spell_id: int) -> Spell:
    """Return one spell, or raise ``SpellNotFound``."""
    spell = await session.get(Spell, spell_id) if 0 < spell_id <= MAX_ID else None
    if spell is None:
        raise SpellNotFound(spell_id)
    return spell


async def create_spell(session: AsyncSession, fields: Mapping[str, Any], *, now: datetime) -> Spell:
    """Add a spell and return it with its new id."""
    spell = Spell(**fields, created_at=now, updated_at=now)
    session.add(spell)
    await session.flush()
    session.add(SpellChange(spell_id=spell.id, changed_at=now))
    return spell


async def update_spell(
    session: AsyncSession, spell_id: int, fields: Mapping[str, Any], *, now: datetime
) -> Spell:
    """Replace every writable field of a spell, or raise ``SpellNotFound``."""
    spell = await get_spell(session, spell_id)
    for name, value in fields.items():
        setattr(spell, name, value)
    spell.updated_at = now
    session.add(SpellChange(spell_id=spell.id, changed_at=now))
    await session.flush()
    return spell


async def delete_spell(session: AsyncSession, spell_id: int, *, now: datetime) -> None:
    """Delete a spell, or raise ``SpellNotFound``."""
    await session.delete(await get_spell(session, spell_id))
    session.add(SpellChange(spell_id=spell_id, changed_at=now))
    await session.flush()


async def all_spells(session: AsyncSession) -> Sequence[Spell]:
    """Return every spell, in id order."""
    return (await session.scalars(select(Spell).order_by(Spell.id))).all()


async def spells_by_id(session: AsyncSession, spell_ids: Iterable[int]) -> Sequence[Spell]:
    """Return the spells with these ids that still exist."""
    return (await session.scalars(select(Spell).where(Spell.id.in_(list(spell_ids))))).all()


async def ids_by_title(session: AsyncSession, titles: Iterable[str]) -> dict[str, int]:
    """Return the id of the stored spell with each title (the lowest id if two share one)."""
    rows = await session.execute(
        select(Spell.title, func.min(Spell.id))
        .where(Spell.title.in_(list(titles)))
        .group_by(Spell.title)
    )
    return {row.title: row[1] for row in rows}


async def revision(session: AsyncSession) -> int:
    """Return the spellbook's revision: it grows with every create, update and delete."""
    return await session.scalar(select(func.max(SpellChange.id))) or 0


def revision_blocking(connection: Connection) -> int:
    """``revision`` over a blocking connection (one thread call for the whole read)."""
    return connection.scalar(select(func.max(SpellChange.id))) or 0


async def changed_since(session: AsyncSession, since: int) -> tuple[int, set[int]]:
    """Return the current revision and the ids of the spells changed after revision ``since``."""
    rows = (
        await session.execute(
            select(SpellChange.id, SpellChange.spell_id).where(SpellChange.id > since)
        )
    ).all()
    return max((row.id for row in rows), default=since), {row.spell_id for row in rows}
