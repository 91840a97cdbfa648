"""Explain errors: rank the spells for one error, or find the errors of a log and rank each.

The shapes here are what /api/match, /api/match/log and ``grimoire match`` answer with.
"""

from __future__ import annotations

import msgspec

from grimoire.core.extract import extract_log_errors
from grimoire.core.matching import Match, Spellbook, rank_spells
from grimoire.core.payload import ErrorPayload


class WhyOut(msgspec.Struct, frozen=True):
    """Why a spell matched: its pattern, its error type, the keywords it shares."""

    pattern: bool
    error_type: bool
    terms: list[str]


class MatchOut(msgspec.Struct, frozen=True, kw_only=True):
    """One ranked spell, with its fix."""

    spell_id: int
    title: str
    score: float
    why: WhyOut
    error_type: str
    solution_code: str
    generic: bool = False


class LogError(msgspec.Struct, frozen=True, kw_only=True):
    """One error found in a log, with its ranked spells."""

    error_type: str
    message: str
    context: str
    stack_trace: str
    matches: list[MatchOut]


def explain_error(payload: ErrorPayload, book: Spellbook, *, limit: int) -> list[MatchOut]:
    """Return the spells that explain ``payload``, best first."""
    return [match_out(match, book) for match in rank_spells(payload, book, limit=limit)]


def explain_log(text: str, book: Spellbook, *, limit: int) -> list[LogError]:
    """Extract the errors of a log and rank spells for each, best-explained errors first."""
    found = [
        LogError(
            error_type=payload.error_type,
            message=payload.message,
            context=payload.context,
            stack_trace=payload.stack_trace,
            matches=explain_error(payload, book, limit=limit),
        )
        for payload in extract_log_errors(text, book)
    ]
    found.sort(key=_telling_first)
    return found


def _telling_first(error: LogError) -> tuple[int, float]:
    """Sort key: specific matches first, then generic ones ("exit code 1"), then unmatched; best
    score first within each. The sort is stable, so ties keep their order in the log."""
    if not error.matches:
        return 2, 0.0
    best = error.matches[0]
    return int(best.generic), -best.score


def match_out(match: Match, book: Spellbook) -> MatchOut:
    """Return the answer's view of a ranked spell."""
    spell = book.spell(match.spell_id)
    return MatchOut(
        spell_id=match.spell_id,
        title=match.title,
        score=match.score,
        why=WhyOut(match.why.pattern, match.why.error_type, list(match.why.terms)),
        error_type=spell.error_type,
        solution_code=spell.solution_code,
        generic=spell.generic,
    )
