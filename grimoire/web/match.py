"""/api/match and /api/match/log: which spells explain this error, or the errors in this log."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.extract import extract_log_errors
from grimoire.core.matching import Match, Spellbook, rank_spells
from grimoire.core.payload import ErrorPayload
from grimoire.resources import resources
from grimoire.web.bodies import read_body
from grimoire.web.openapi import ApiRoute, Operation, Reply
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import decode_body

LOG_BODY_LIMIT = 8 * 1024 * 1024
"""The largest body /api/match/log accepts: a CI log up to about 8 MiB (JSON-escaped)."""

_Text = Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$")]
_Message = Annotated[str, msgspec.Meta(min_length=1, pattern=r"^[^\x00]*[^\x00\s][^\x00]*$")]
_Limit = Annotated[int, msgspec.Meta(ge=1, le=50)]


class MatchRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An error to explain. Only ``message`` is required."""

    message: _Message
    error_type: _Text = ""
    context: _Text = ""
    stack_trace: _Text = ""
    limit: _Limit = 5


class WhyOut(msgspec.Struct, frozen=True):
    """Why a spell matched: its pattern, its error type, the keywords it shares."""

    pattern: bool
    error_type: bool
    terms: list[str]


class MatchOut(msgspec.Struct, frozen=True, kw_only=True):
    """One ranked spell."""

    spell_id: int
    title: str
    score: float
    why: WhyOut
    error_type: str
    solution_code: str


class MatchResponse(msgspec.Struct, frozen=True):
    """The spells above the relevance floor, best first (ties by spell id)."""

    matches: list[MatchOut]


class LogRequest(msgspec.Struct, frozen=True):
    """A CI log or a diff to look for errors in."""

    text: _Text
    limit: _Limit = 3


class LogError(msgspec.Struct, frozen=True, kw_only=True):
    """One error found in the log, with its ranked spells."""

    error_type: str
    message: str
    context: str
    stack_trace: str
    matches: list[MatchOut]


class LogResponse(msgspec.Struct, frozen=True):
    """The errors found, ordered by their best match (best first; unmatched errors last)."""

    errors: list[LogError]


async def match_error(request: Request) -> Response:
    query = decode_body(await read_body(request), MatchRequest)
    book = await resources(request).spell_index.current(resources(request).sessions)
    payload = ErrorPayload(
        error_type=query.error_type,
        message=query.message,
        context=query.context,
        stack_trace=query.stack_trace,
    )
    matches = rank_spells(payload, book, limit=query.limit)
    return JSONResponse(MatchResponse([match_out(match, book) for match in matches]))


async def match_log(request: Request) -> Response:
    query = decode_body(await read_body(request, limit=LOG_BODY_LIMIT), LogRequest)
    book = await resources(request).spell_index.current(resources(request).sessions)
    errors = await asyncio.to_thread(explain_log, query.text, book, query.limit)
    return JSONResponse(LogResponse(errors))


def explain_log(text: str, book: Spellbook, limit: int) -> list[LogError]:
    """Extract the errors of a log and rank spells for each, best-explained errors first."""
    found = []
    for payload in extract_log_errors(text, book):
        matches = rank_spells(payload, book, limit=limit)
        found.append(
            LogError(
                error_type=payload.error_type,
                message=payload.message,
                context=payload.context,
                stack_trace=payload.stack_trace,
                matches=[match_out(match, book) for match in matches],
            )
        )
    # Stable sort: errors with equal best scores keep their order in the log.
    found.sort(key=lambda error: -error.matches[0].score if error.matches else 1.0)
    return found


def match_out(match: Match, book: Spellbook) -> MatchOut:
    """Return the API view of a ranked spell."""
    spell = book.spell(match.spell_id)
    return MatchOut(
        spell_id=match.spell_id,
        title=match.title,
        score=match.score,
        why=WhyOut(match.why.pattern, match.why.error_type, list(match.why.terms)),
        error_type=spell.error_type,
        solution_code=spell.solution_code,
    )


routes = [
    ApiRoute(
        "/api/match",
        name="match",
        operations={
            "POST": (
                match_error,
                Operation(
                    summary="Rank the spells that explain an error",
                    tag="match",
                    description="Scores combine the spell's pattern matching the message or "
                    "stack trace, equal error types, and keyword similarity. Matches below the "
                    "relevance floor are not returned: an error no spell fits gets `[]`.",
                    body=MatchRequest,
                    responses={200: Reply("The matching spells, best first.", MatchResponse)},
                ),
            )
        },
    ),
    ApiRoute(
        "/api/match/log",
        name="match_log",
        operations={
            "POST": (
                match_log,
                Operation(
                    summary="Find the errors in a CI log (or diff) and rank spells for each",
                    tag="match",
                    description=f"Bodies up to {LOG_BODY_LIMIT // (1024 * 1024)} MiB. ANSI "
                    "colours and GitHub Actions timestamps are ignored.",
                    body=LogRequest,
                    responses={200: Reply("The errors, best-explained first.", LogResponse)},
                ),
            )
        },
    ),
]
