"""Dry runs of spell edits against the stored findings (for the API, the pages and the CLI).

Only the newest ``DRY_RUN_FINDINGS`` findings are ranked again, so a dry run stays within a
second or two however long the service has run; the answer says how many were checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.core.dryrun import DryRun, dry_run
from grimoire.core.matching import Spellbook, SpellRecord
from grimoire.spellbook import SpellDraft
from grimoire.spellindex import SpellIndex
from grimoire.storage import spells
from grimoire.storage.findings import recent_findings

DRY_RUN_FINDINGS = 2000
NEW_SPELL_ID = 0
"""The id a spell that is not stored yet has in a dry run (no stored spell has it)."""


async def dry_run_edit(
    readers: async_sessionmaker[AsyncSession], book: Spellbook, edited: SpellRecord
) -> DryRun:
    """Return what replacing (or adding) ``edited`` in ``book`` changes on the stored findings."""
    async with readers() as session:
        findings = await recent_findings(session, limit=DRY_RUN_FINDINGS)
    after = book.with_spell(edited)
    return await asyncio.to_thread(dry_run, findings, spell_id=edited.id, before=book, after=after)


async def dry_run_drafts(
    readers: async_sessionmaker[AsyncSession], drafts: Sequence[SpellDraft]
) -> list[tuple[SpellDraft, int | None, DryRun]]:
    """Dry-run each draft as an edit of the stored spell with its title (or as a new spell).

    Each draft is compared with the spellbook as stored, not with the other drafts applied.
    Returns each draft with the id of the spell it would change (``None``: a new spell).
    """
    book = await SpellIndex().current(readers)
    async with readers() as session:
        ids = await spells.ids_by_title(session, [draft.title for draft in drafts])
    results = []
    for draft in drafts:
        spell_id = ids.get(draft.title)
        edited = draft.record(spell_id if spell_id is not None else NEW_SPELL_ID)
        results.append((draft, spell_id, await dry_run_edit(readers, book, edited)))
    return results


def describe_dry_run(draft: SpellDraft, spell_id: int | None, result: DryRun) -> str:
    """Say in plain text what saving ``draft`` would change."""
    which = f"spell #{spell_id}" if spell_id is not None else "a new spell"
    lines = [
        f"{draft.title} ({which}): {len(result.gained)} gained, {len(result.lost)} lost "
        f"of the {result.checked} newest stored findings"
    ]
    for sign, changes in (("+", result.gained), ("-", result.lost)):
        for change in changes:
            found = change.finding
            where = f" {found.path}:{found.line}" if found.path else ""
            other = change.before_title if sign == "+" else change.after_title
            lines.append(
                f"  {sign} {found.repository}#{found.pr_number}{where} "
                f"{found.error_type}: {found.message[:120]}  "
                f"({'was' if sign == '+' else 'now'}: {other or 'no spell'}; "
                f"analysis {found.analysis_id}, finding {found.rank})"
            )
    return "\n".join(lines)
