"""What the spell pages compute: "try it" on a pasted log, and dry runs of an edit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from grimoire.core.dryrun import DryRun
from grimoire.core.explain import LogError, MatchOut, explain_log
from grimoire.core.matching import SpellRecord
from grimoire.core.trial import MatchedLine, ScoreParts, Span, highlight, matched_lines, score_parts
from grimoire.dryruns import NEW_SPELL_ID, dry_run_edit
from grimoire.errors import InvalidSpell
from grimoire.resources import resources
from grimoire.spellcheck import check_spell
from grimoire.spellindex import spell_record
from grimoire.storage.tables import Spell

UNSAVED_ID = NEW_SPELL_ID
TRY_LIMIT = 5


@dataclass(frozen=True)
class TriedMatch:
    """One ranked spell for an error, its score broken down."""

    match: MatchOut
    parts: ScoreParts
    focal: bool


@dataclass(frozen=True)
class TriedError:
    """One error found in the pasted text, highlighted where the tried pattern matches it."""

    error: LogError
    message: list[Span]
    stack_trace: list[Span]
    matches: list[TriedMatch]


@dataclass(frozen=True)
class Trial:
    """What "try it" shows: the lines the pattern matches, and the errors with their spells."""

    lines: list[MatchedLine]
    errors: list[TriedError]
    focal_matched: bool


@dataclass
class SpellForm:
    """A spell form as typed: its raw values, and the problems found in them by field."""

    values: dict[str, Any]
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def form_values(form: dict[str, str]) -> dict[str, Any]:
    """Turn a submitted spell form into the API's fields (examples: one per line)."""
    return {
        "title": form.get("title", "").strip(),
        "description": form.get("description", "").strip(),
        "error_type": form.get("error_type", "").strip(),
        "error_pattern": form.get("error_pattern", ""),
        "solution_code": form.get("solution_code", ""),
        "tags": form.get("tags", "").strip() or None,
        "applies_to": form.get("applies_to", "").strip(),
        "examples": _lines(form.get("examples", "")),
        "counter_examples": _lines(form.get("counter_examples", "")),
        "generic": form.get("generic") == "on",
    }


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def stored_values(spell: Spell) -> dict[str, Any]:
    """Return a stored spell's fields as the form shows them."""
    return {
        "title": spell.title,
        "description": spell.description,
        "error_type": spell.error_type,
        "error_pattern": spell.error_pattern,
        "solution_code": spell.solution_code,
        "tags": spell.tags,
        "applies_to": spell.applies_to,
        "examples": list(spell.examples or ()),
        "counter_examples": list(spell.counter_examples or ()),
        "generic": spell.generic,
    }


def checked(values: dict[str, Any]) -> tuple[SpellForm, dict[str, Any] | None]:
    """Check a spell's fields as the API does; return the form and the valid fields (if valid)."""
    try:
        return SpellForm(values), check_spell(values)
    except InvalidSpell as exc:
        problems: dict[str, list[str]] = {}
        for error in exc.errors:
            name = error.path.removeprefix("body.").split("[")[0].split(".")[0] or "form"
            where = error.path.removeprefix(f"body.{name}")
            problems.setdefault(name, []).append(f"{where} {error.message}".strip())
        return SpellForm(values, problems), None


def record_of(spell_id: int, fields: dict[str, Any]) -> SpellRecord:
    """Return the matcher's view of a spell's (valid) fields."""
    return spell_record(Spell(id=spell_id, **fields))


async def try_text(request: Request, text: str, focal: SpellRecord) -> Trial:
    """Find the errors of ``text`` with ``focal`` in the spellbook (replacing its stored self)."""
    res = resources(request)
    book = (await res.spell_index.current(res.readers)).with_spell(focal)
    found = await asyncio.to_thread(explain_log, text, book, limit=TRY_LIMIT)
    errors = [
        TriedError(
            error=error,
            message=highlight(error.message, focal.error_pattern),
            stack_trace=highlight(error.stack_trace, focal.error_pattern),
            matches=[
                TriedMatch(m, score_parts(m), focal=m.spell_id == focal.id) for m in error.matches
            ],
        )
        for error in found
    ]
    return Trial(
        lines=matched_lines(text, focal.error_pattern),
        errors=errors,
        focal_matched=any(m.focal for e in errors for m in e.matches),
    )


async def dry_run_of(request: Request, edited: SpellRecord) -> DryRun:
    """Return what saving ``edited`` would change on the stored findings."""
    res = resources(request)
    book = await res.spell_index.current(res.readers)
    return await dry_run_edit(res.readers, book, edited)
