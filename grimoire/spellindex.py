"""The compiled spellbook of this process, kept in step with the database.

Compiling 100k spells takes seconds, so it happens once per process. After that, every use
checks the spellbook's revision (one indexed query) and patches in only the spells changed
since, so processes sharing one database rank against the same spells.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.core.matching import Spellbook, SpellRecord, compile_spellbook
from grimoire.core.spell import SPELL_FIELDS
from grimoire.storage import spells
from grimoire.storage.tables import Spell

# Past this many changed spells, compiling afresh is cheaper than patching one by one.
REBUILD_AFTER = 500


def spell_record(row: Spell) -> SpellRecord:
    """Return the matcher's view of a stored spell (tags split, lists as tuples)."""
    fields = {name: _frozen(getattr(row, name)) for name in SPELL_FIELDS}
    fields["tags"] = split_tags(row.tags)
    return SpellRecord(id=row.id, **fields)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def split_tags(tags: str | None) -> tuple[str, ...]:
    """Split a comma-separated tag string into its non-empty, trimmed tags."""
    return tuple(tag.strip() for tag in (tags or "").split(",") if tag.strip())


@dataclass(frozen=True, slots=True)
class SpellStamp:
    """What the API shows of a spell that the matcher does not keep: its tags as written, and
    when it was created and last changed."""

    tags: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SpellShelf:
    """One revision of the spellbook with what the API needs to serve reads from memory."""

    book: Spellbook
    stamps: Mapping[int, SpellStamp]
    ids: list[int] = field(default_factory=list)  # sorted; filled once, on first use

    def page(self, *, skip: int, limit: int) -> list[int]:
        """Return the ids of one page in id order (the database path's order)."""
        if len(self.ids) != len(self.stamps):
            self.ids[:] = sorted(self.stamps)
        return self.ids[skip : skip + limit]


def spell_stamp(row: Spell) -> SpellStamp:
    """Return the API-only fields of a stored spell."""
    return SpellStamp(tags=row.tags, created_at=row.created_at, updated_at=row.updated_at)


class SpellIndex:
    """The latest compiled spellbook; ``current()`` brings it up to date first."""

    def __init__(self, *, file_engine: Engine | None = None) -> None:
        # On SQLite, the revision read of memory reads goes through a blocking engine in one
        # thread call: through aiosqlite it is several round trips between threads, which cost
        # more than the read they save.
        self._file_engine = file_engine
        self._book: Spellbook | None = None
        self._shelf: SpellShelf | None = None
        self._revision = -1
        self._lock = asyncio.Lock()
        self._check: asyncio.Future[int] | None = None

    async def shelf_if_current(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> SpellShelf | None:
        """Return the spellbook in memory if it is the database's revision, else ``None``: the
        caller reads the database, and nothing waits for a compile.

        Concurrent reads share one revision query (the one in flight, if any): under load that
        is what makes a read cost no database round trip of its own. ``note_write`` makes the
        next read start a fresh query, so a client reads its own writes to this process.
        """
        if self._shelf is None:
            return None
        if self._check is None or self._check.done():
            self._check = asyncio.ensure_future(self._read_revision(sessions))
        latest = await asyncio.shield(self._check)
        return self._shelf if latest == self._revision else None

    async def _read_revision(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        if self._file_engine is not None:
            return await asyncio.to_thread(_revision_blocking, self._file_engine)
        async with sessions() as session:
            return await spells.revision(session)

    def note_write(self) -> None:
        """Say a spell was just written here: reads from now on check the revision afresh."""
        self._check = None

    @property
    def revision(self) -> int:
        """The revision of the spellbook this process holds (-1 before the first load)."""
        return self._revision

    @property
    def loaded(self) -> int:
        """How many spells the book in memory holds (0 before the first load)."""
        return 0 if self._book is None else len(self._book)

    async def current(self, sessions: async_sessionmaker[AsyncSession]) -> Spellbook:
        """Return the spellbook as the database has it now."""
        async with sessions() as session:
            latest = await spells.revision(session)
        if self._book is not None and latest == self._revision:
            return self._book
        async with self._lock:  # one refresh at a time; the others reuse its result
            if self._book is None or latest != self._revision:
                await self._refresh(sessions)
            assert self._book is not None
            return self._book

    async def _refresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            latest, changed = await spells.changed_since(session, max(self._revision, 0))
            if self._book is None or self._shelf is None or len(changed) > REBUILD_AFTER:
                rows = await spells.all_spells(session)
                records = [spell_record(row) for row in rows]
                book = await asyncio.to_thread(compile_spellbook, records)
                stamps = {row.id: spell_stamp(row) for row in rows}
            else:
                rows = await spells.spells_by_id(session, changed)
                book = patch(self._book, changed, (spell_record(row) for row in rows))
                stamps = dict(self._shelf.stamps)
                for spell_id in changed:
                    stamps.pop(spell_id, None)
                stamps.update((row.id, spell_stamp(row)) for row in rows)
        # One assignment, no await between: a reader sees the old revision or the new one whole.
        self._book, self._shelf, self._revision = book, SpellShelf(book, stamps), latest


def _revision_blocking(engine: Engine) -> int:
    with engine.connect() as connection:
        return spells.revision_blocking(connection)


def patch(book: Spellbook, changed: set[int], current: Iterable[SpellRecord]) -> Spellbook:
    """Apply changes: spells in ``current`` are upserted, other ``changed`` ids were deleted."""
    present = {record.id: record for record in current}
    for spell_id in sorted(changed):
        record = present.get(spell_id)
        book = book.with_spell(record) if record is not None else book.without(spell_id)
    return book
