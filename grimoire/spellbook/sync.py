"""Spellbook files ↔ the database: seed, import and export, idempotent by title.

Teams keep their spellbook in git as YAML or JSON; importing the same file twice changes nothing,
and editing a spell in the file updates the stored spell with that title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.core.spell import SPELL_FIELDS
from grimoire.errors import InvalidSpell
from grimoire.spellbook import SpellDraft
from grimoire.spellcheck import check_spell
from grimoire.spellindex import spell_record
from grimoire.storage import spells
from grimoire.storage.tables import Spell

Format = Literal["yaml", "json"]


@dataclass
class ImportReport:
    """What an import did, title by title."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def draft_problems(drafts: Sequence[SpellDraft]) -> list[str]:
    """Return every reason a draft cannot be stored: what the API refuses, and a repeated title.

    Each draft passes ``check_spell``, the very check ``POST /api/spells`` runs.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for index, draft in enumerate(drafts):
        where = f"spell [{index}] {draft.title!r}"
        if draft.title in seen:
            problems.append(f"{where}: the title appears twice (titles identify spells)")
        seen.add(draft.title)
        try:
            check_spell(draft_fields(draft))
        except InvalidSpell as exc:
            problems += [
                f"{where}: {e.path.removeprefix('body.')}: {e.message}" for e in exc.errors
            ]
    return problems


async def import_drafts(
    sessions: async_sessionmaker[AsyncSession], drafts: Sequence[SpellDraft]
) -> ImportReport:
    """Create or update spells by title, all in one transaction. Validate with draft_problems."""
    report = ImportReport()
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        by_title = {spell.title: spell for spell in await spells.all_spells(session)}
        for draft in drafts:
            fields = draft_fields(draft)
            existing = by_title.get(draft.title)
            if existing is None:
                await spells.create_spell(session, fields, now=now)
                report.created.append(draft.title)
            elif _fields_of(existing) != fields:
                await spells.update_spell(session, existing.id, fields, now=now)
                report.updated.append(draft.title)
            else:
                report.unchanged.append(draft.title)
    return report


async def export_drafts(sessions: async_sessionmaker[AsyncSession]) -> list[SpellDraft]:
    """Return every stored spell as a draft, in id order."""
    async with sessions() as session:
        return [_draft(spell) for spell in await spells.all_spells(session)]


def dump_spellbook(drafts: Sequence[SpellDraft], fmt: Format) -> str:
    """Render drafts as a spellbook file that ``parse_spellbook`` reads back unchanged."""
    data = msgspec.to_builtins(list(drafts))
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n"
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text (descriptions, fixes) as readable ``|`` blocks, for git diffs."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text and not text.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_text)


def draft_fields(draft: SpellDraft) -> dict[str, Any]:
    """Return the stored fields of a draft (tags comma-separated, lists as lists)."""
    fields = {name: getattr(draft, name) for name in SPELL_FIELDS}
    fields = {name: list(v) if isinstance(v, tuple) else v for name, v in fields.items()}
    fields["tags"] = draft.tag_string or None
    return fields


def _fields_of(spell: Spell) -> dict[str, Any]:
    return draft_fields(_draft(spell))


def _draft(spell: Spell) -> SpellDraft:
    fields = msgspec.structs.asdict(spell_record(spell))
    del fields["id"]
    return SpellDraft(**fields)
