"""From a parsed diff and a spellbook to ranked findings: extract errors, rank spells for each.

A finding is what a spell explains. An error-looking line with no spell behind it tells the
author nothing (a message string, a docstring, an expected failure in a test), so it is not a
finding. Credentials are masked in every finding (``masking``).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from grimoire.core.diff import FileChange
from grimoire.core.extract import MAX_DIFF_ERRORS, extract_errors
from grimoire.core.masking import mask_secrets, secret_spells
from grimoire.core.matching import Match, Spellbook, SpellRecord, Why, rank_spells
from grimoire.core.payload import ErrorPayload

MAX_FINDINGS = MAX_DIFF_ERRORS
"""At most this many findings per analysis, from the first errors in file order (a committed
50 MB log must not flood the report): extraction's own cap for diffs, so that hitting it is
reported as the analysis being capped."""
EXCERPT_CHARS = 2000


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One error found in the added lines, with the spell that best explains it.

    Findings from a diff always have a spell; the spell fields stay optional for analyses
    stored before that rule.
    """

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
    """Return the findings of a change, best explained first, and whether the cap cut some off.

    Only errors a spell explains are findings; the cap counts the errors extracted.
    """
    payloads = extract_errors(changes, book, limit=MAX_FINDINGS + 1)
    ranked = [
        (payload, match)
        for payload in payloads[:MAX_FINDINGS]
        if (match := next(iter(rank_spells(payload, book, limit=1)), None)) is not None
    ]
    ranked.sort(key=lambda item: (-item[1].score, _where(item[0])))
    secrets = secret_spells(book)
    findings = [
        _finding(rank, payload, match, book, secrets)
        for rank, (payload, match) in enumerate(ranked, 1)
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


def _finding(
    rank: int,
    payload: ErrorPayload,
    match: Match,
    book: Spellbook,
    secrets: Sequence[SpellRecord],
) -> Finding:
    return Finding(
        rank=rank,
        path=payload.path,
        line=payload.line,
        error_type=payload.error_type,
        message=mask_secrets(payload.message, secrets),
        excerpt=mask_secrets((payload.context or payload.message)[:EXCERPT_CHARS], secrets),
        stack_trace=mask_secrets(payload.stack_trace, secrets),
        spell_id=match.spell_id,
        spell_title=match.title,
        spell_solution=book.spell(match.spell_id).solution_code,
        score=match.score,
        why=describe_why(match.why),
    )


def _where(payload: ErrorPayload) -> tuple[str, int]:
    return payload.path or "", payload.line or 0
