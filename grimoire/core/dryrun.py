"""What an edit to a spell would change on stored findings: the ones it would gain and lose.

Each stored finding's error is ranked again against the spellbook as it is (``before``) and with
the edit (``after``). A finding is *gained* when the edited spell becomes its best match and was
not before, and *lost* when it was the best match and no longer is. Ranking both sides afresh
(instead of comparing with the stored spell) shows only what the edit changes, not what other
spell changes since the analysis did.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import re2

from grimoire.core.matching import (
    Match,
    Spellbook,
    SpellRecord,
    pattern_text,
    payload_terms,
    rank_spells,
    spell_fields,
)
from grimoire.core.payload import ErrorPayload
from grimoire.core.regexsets import compile_line_pattern


class StoredFinding(msgspec.Struct, frozen=True, kw_only=True):
    """A stored finding: where it was found and the error it is about."""

    analysis_id: int
    rank: int
    repository: str
    pr_number: int
    path: str | None
    line: int | None
    error_type: str
    message: str
    excerpt: str
    stack_trace: str


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """A finding whose best spell the edit changes, with the best spell before and after."""

    finding: StoredFinding
    before_spell_id: int | None
    before_title: str | None
    after_spell_id: int | None
    after_title: str | None


class DryRun(msgspec.Struct, frozen=True, kw_only=True):
    """The findings an edit would gain and lose, out of ``checked`` findings."""

    spell_id: int
    checked: int
    gained: list[Change]
    lost: list[Change]


def dry_run(
    findings: Iterable[StoredFinding], *, spell_id: int, before: Spellbook, after: Spellbook
) -> DryRun:
    """Rank each finding's error in both books; collect those ``spell_id`` gains and loses."""
    gained: list[Change] = []
    lost: list[Change] = []
    checked = 0
    ranked: dict[ErrorPayload, tuple[Match | None, Match | None]] = {}
    involved = _Involvement(
        [before.spell(spell_id)] if spell_id in before else [], after.spell(spell_id)
    )
    for finding in findings:
        checked += 1
        payload = _payload(finding)
        if not involved.could_match(payload):
            continue
        if payload not in ranked:  # the same failure recurs across pull requests: rank it once
            ranked[payload] = (
                next(iter(rank_spells(payload, before, limit=1)), None),
                next(iter(rank_spells(payload, after, limit=1)), None),
            )
        old, new = ranked[payload]
        old_id = old.spell_id if old else None
        new_id = new.spell_id if new else None
        if (old_id == spell_id) == (new_id == spell_id):
            continue
        change = Change(
            finding=finding,
            before_spell_id=old_id,
            before_title=old.title if old else None,
            after_spell_id=new_id,
            after_title=new.title if new else None,
        )
        (gained if new_id == spell_id else lost).append(change)
    return DryRun(spell_id=spell_id, checked=checked, gained=gained, lost=lost)


class _Involvement:
    """Tells cheaply whether the edited spell could match an error, before or after the edit.

    A spell with neither a pattern hit nor a shared keyword scores at most the error-type bonus,
    under the relevance floor: it is nobody's best match in either spellbook, so ranking that
    error twice cannot gain or lose it. This keeps a dry run over 2,000 findings fast.
    """

    def __init__(self, old: list[SpellRecord], new: SpellRecord) -> None:
        self._regexes = [regex for spell in (*old, new) if (regex := _compiled(spell))]
        self._words = {
            token
            for spell in (*old, new)
            for tokens in spell_fields(spell).values()
            for token in tokens
        }

    def could_match(self, payload: ErrorPayload) -> bool:
        if not self._words.isdisjoint(payload_terms(payload)):
            return True
        text = pattern_text(payload)
        return any(regex.search(text) is not None for regex in self._regexes)


def _compiled(spell: SpellRecord) -> re2._Regexp | None:
    try:
        return compile_line_pattern(spell.error_pattern)
    except re2.error:
        return None


def _payload(finding: StoredFinding) -> ErrorPayload:
    return ErrorPayload(
        error_type=finding.error_type,
        message=finding.message,
        context=finding.excerpt,
        stack_trace=finding.stack_trace,
        path=finding.path,
        line=finding.line,
    )
