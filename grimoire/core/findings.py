"""From a parsed diff and a spellbook to ranked findings: extract errors, rank spells for each."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from grimoire.core.diff import FileChange
from grimoire.core.extract import MAX_DIFF_ERRORS, extract_errors
from grimoire.core.matching import Match, Spellbook, Why, rank_spells
from grimoire.core.payload import ErrorPayload

MAX_FINDINGS = MAX_DIFF_ERRORS
"""At most this many findings per analysis, from the first errors in file order (a committed
50 MB log must not flood the report): extraction's own cap for diffs, so that hitting it is
reported as the analysis being capped."""
EXCERPT_CHARS = 2000


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One error found in the added lines, with the spell that best explains it (if any)."""

    rank: int
    path: str | None
    line: int | None
    error_type: str
    message: str
    excerpt: str
    stack_trace: str
    spell_id: int | None = None
    spell_title: str | None = None
    spell_solution: str | None = None
    score: float | None = None
    why: str | None = None


def find_errors(changes: Sequence[FileChange], book: Spellbook) -> tuple[list[Finding], bool]:
    """Return the findings of a change, most relevant first, and whether the cap cut some off."""
    payloads = extract_errors(changes, book, limit=MAX_FINDINGS + 1)
    ranked = [
        (payload, next(iter(rank_spells(payload, book, limit=1)), None))
        for payload in payloads[:MAX_FINDINGS]
    ]
    # Matched errors first, best score first; then unmatched ones in file order.
    ranked.sort(key=lambda item: (-(item[1].score if item[1] else -1.0), _where(item[0])))
    findings = [
        _finding(rank, payload, match, book) for rank, (payload, match) in enumerate(ranked, 1)
    ]
    return findings, len(payloads) > MAX_FINDINGS


def describe_why(why: Why) -> str:
    """Say in words why a spell matched."""
    reasons = []
    if why.pattern:
        reasons.append("its pattern matches")
    if why.error_type:
        reasons.append("same error type")
    if why.terms:
        reasons.append("shared terms: " + ", ".join(why.terms))
    return "; ".join(reasons) or "keyword similarity"


def _finding(rank: int, payload: ErrorPayload, match: Match | None, book: Spellbook) -> Finding:
    found = Finding(
        rank=rank,
        path=payload.path,
        line=payload.line,
        error_type=payload.error_type,
        message=payload.message,
        excerpt=(payload.context or payload.message)[:EXCERPT_CHARS],
        stack_trace=payload.stack_trace,
    )
    if match is None:
        return found
    return msgspec.structs.replace(
        found,
        spell_id=match.spell_id,
        spell_title=match.title,
        spell_solution=book.spell(match.spell_id).solution_code,
        score=match.score,
        why=describe_why(match.why),
    )


def _where(payload: ErrorPayload) -> tuple[str, int]:
    return payload.path or "", payload.line or 0
