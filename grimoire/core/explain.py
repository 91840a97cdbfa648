"""Explain errors: rank the spells for one error, or find the errors of a log and rank each.

The shapes here are what /api/match, /api/match/log and ``grimoire match`` answer with.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from grimoire.core.matching import Match, Spellbook, rank_spells
from grimoire.core.payload import ErrorPayload
from grimoire.core.rootcause import Role, read_log


class WhyOut(msgspec.Struct, frozen=True):
    """Why a spell matched: its pattern, its error type, the keywords it shares."""

    pattern: bool
    error_type: bool
    terms: list[str]
    specificity: float = 0.0


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
    """One error found in a log, with its role in the failure, why, and its ranked spells.

    ``role``: ``failure`` (what ended the job, or the root cause the later errors follow from),
    ``consequence`` (follows from an earlier failure), ``warning`` (did not fail the job: a
    warning, or an error the job went on from). ``line``: where it is in the log, runner
    markers removed (1-based).
    """

    error_type: str
    message: str
    context: str
    stack_trace: str
    matches: list[MatchOut]
    role: Role = "failure"
    why: str = ""
    line: int = 0


EMPTY_SPELLBOOK = (
    "no spells are loaded, so nothing can match: load the starter spellbook with "
    "`grimoire spells seed`, or add your own with POST /api/spells or `grimoire spells import FILE`"
)
"""Said instead of an empty answer when the spellbook is empty: "no spell fits" would mislead."""

_Notice = Annotated[
    str | None,
    msgspec.Meta(
        description="Present only when the answer needs explaining: the spellbook is empty "
        "(no spells are loaded, and how to seed it)."
    ),
]


class MatchResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """The spells above the relevance floor, best first (ties by spell id)."""

    matches: list[MatchOut]
    notice: _Notice = None


class LogResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """The errors found, root cause first: failures, then their consequences, then warnings
    and tolerated errors; each with its ``role``, ``why`` and ranked spells."""

    errors: list[LogError]
    notice: _Notice = None


def explain_error(payload: ErrorPayload, book: Spellbook, *, limit: int) -> list[MatchOut]:
    """Return the spells that explain ``payload``, best first."""
    return [match_out(match, book) for match in rank_spells(payload, book, limit=limit)]


def explain_log(text: str, book: Spellbook, *, limit: int) -> list[LogError]:
    """Read the errors of a log, root cause first (``rootcause``), and rank spells for each."""
    return [
        LogError(
            error_type=finding.payload.error_type,
            message=finding.payload.message,
            context=finding.payload.context,
            stack_trace=finding.payload.stack_trace,
            matches=explain_error(finding.payload, book, limit=limit),
            role=finding.role,
            why=finding.why,
            line=finding.line,
        )
        for finding in read_log(text, book)
    ]


def match_out(match: Match, book: Spellbook) -> MatchOut:
    """Return the answer's view of a ranked spell."""
    spell = book.spell(match.spell_id)
    return MatchOut(
        spell_id=match.spell_id,
        title=match.title,
        score=match.score,
        why=WhyOut(
            match.why.pattern, match.why.error_type, list(match.why.terms), match.why.specificity
        ),
        error_type=spell.error_type,
        solution_code=spell.solution_code,
        generic=spell.generic,
    )
