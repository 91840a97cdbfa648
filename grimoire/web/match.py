"""/api/match and /api/match/log: which spells explain this error, or the errors in this log."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.explain import (
    EMPTY_SPELLBOOK,
    LogResponse,
    MatchResponse,
    explain_error,
    explain_log,
)
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


class LogRequest(msgspec.Struct, frozen=True):
    """A CI log or a diff to look for errors in."""

    text: _Text
    limit: _Limit = 3


async def match_error(request: Request) -> Response:
    query = decode_body(await read_body(request), MatchRequest)
    book = await resources(request).spell_index.current(resources(request).readers)
    payload = ErrorPayload(
        error_type=query.error_type,
        message=query.message,
        context=query.context,
        stack_trace=query.stack_trace,
    )
    with resources(request).metrics.match_latency.labels("api").time():
        matches = explain_error(payload, book, limit=query.limit)
    return JSONResponse(MatchResponse(matches, notice=None if len(book) else EMPTY_SPELLBOOK))


async def match_log(request: Request) -> Response:
    query = decode_body(await read_body(request, limit=LOG_BODY_LIMIT), LogRequest)
    book = await resources(request).spell_index.current(resources(request).readers)
    with resources(request).metrics.match_latency.labels("log").time():
        errors = await asyncio.to_thread(explain_log, query.text, book, limit=query.limit)
    return JSONResponse(LogResponse(errors, notice=None if len(book) else EMPTY_SPELLBOOK))


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
                    "relevance floor are not returned: an error no spell fits gets `[]`. On an "
                    "empty spellbook the answer adds a `notice` saying so.",
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
                    "colours, timestamps and runner markers (GitHub Actions `##[group]`, GitLab "
                    "`section_start`, Jenkins `[Pipeline]`) are ignored. Errors come root cause "
                    "first, each with a `role`: `failure` (what ended the job, or the cause the "
                    "later errors follow from), `consequence` (follows from an earlier failure), "
                    "`warning` (did not fail the job: warnings, tolerated errors), and `why`. "
                    "Duplicates (pytest's `E` line and its summary) are merged. On an empty "
                    "spellbook the answer adds a `notice` saying so.",
                    body=LogRequest,
                    responses={200: Reply("The errors, root cause first.", LogResponse)},
                ),
            )
        },
    ),
]
