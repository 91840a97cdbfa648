"""/api/spells: the spellbook over REST."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.matching import example_problems
from grimoire.core.patterns import pattern_problem
from grimoire.errors import FieldError, InvalidSpell, ValidationFailed
from grimoire.resources import resources
from grimoire.storage import spells as storage
from grimoire.storage.tables import Spell
from grimoire.web.bodies import read_body
from grimoire.web.openapi import ApiRoute, Operation, Param, Reply
from grimoire.web.pagination import PAGE_PARAMS, TEXT_SCHEMA, parse_page, query_text, raise_if_any
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import ErrorBody, SpellIn, SpellOut, decode_json, validate


async def list_spells(request: Request) -> Response:
    errors: list[FieldError] = []
    page = parse_page(request, errors)
    search = parse_search(request, errors)
    raise_if_any(errors)
    async with resources(request).readers() as session:
        spells, total = await storage.list_spells(
            session, skip=page.skip, limit=page.limit, search=search
        )
        body = [spell_out(spell) for spell in spells]
    return JSONResponse(body, headers={"X-Total-Count": str(total)})


def parse_search(request: Request, errors: list[FieldError]) -> storage.SpellSearch:
    """Read the spellbook search (``q``, ``error_type``, ``tag``) from the query string."""
    return storage.SpellSearch(
        words=query_text(request, "q", errors=errors),
        error_type=query_text(request, "error_type", errors=errors),
        tag=query_text(request, "tag", errors=errors),
    )


async def get_spell(request: Request) -> Response:
    async with resources(request).readers() as session:
        spell = await storage.get_spell(session, request.path_params["spell_id"])
        return JSONResponse(spell_out(spell))


async def create_spell(request: Request) -> Response:
    fields = await read_spell(request)
    async with resources(request).sessions.begin() as session:
        spell = await storage.create_spell(session, fields, now=datetime.now(UTC))
        body = spell_out(spell)
    location = str(request.url_for("spell", spell_id=body.id).path)
    return JSONResponse(body, status_code=201, headers={"Location": location})


async def update_spell(request: Request) -> Response:
    fields = await read_spell(request)
    async with resources(request).sessions.begin() as session:
        spell = await storage.update_spell(
            session, request.path_params["spell_id"], fields, now=datetime.now(UTC)
        )
        return JSONResponse(spell_out(spell))


async def delete_spell(request: Request) -> Response:
    async with resources(request).sessions.begin() as session:
        await storage.delete_spell(session, request.path_params["spell_id"], now=datetime.now(UTC))
    return Response(status_code=204)


async def read_spell(request: Request) -> dict[str, Any]:
    """Read a spell body: its schema and its pattern (RE2) checked, every failure reported."""
    data = decode_json(await read_body(request))
    errors: list[FieldError] = []
    spell: SpellIn | None = None
    try:
        spell = validate(data, SpellIn, root="body")
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    pattern = data.get("error_pattern") if isinstance(data, dict) else None
    if isinstance(pattern, str) and pattern and (problem := pattern_problem(pattern)):
        errors.append(FieldError("body.error_pattern", problem))
    elif spell is not None:
        errors.extend(example_problems(spell.error_pattern, spell.examples, spell.counter_examples))
    if errors or spell is None:
        raise InvalidSpell("the spell is not valid", errors)
    return msgspec.structs.asdict(spell)


def spell_out(spell: Spell) -> SpellOut:
    """Return the API view of a stored spell."""
    return SpellOut(
        id=spell.id,
        title=spell.title,
        description=spell.description,
        error_type=spell.error_type,
        error_pattern=spell.error_pattern,
        solution_code=spell.solution_code,
        tags=spell.tags,
        examples=spell.examples,
        counter_examples=spell.counter_examples,
        generic=spell.generic,
        applies_to=spell.applies_to,
        created_at=spell.created_at,
        updated_at=spell.updated_at,
    )


_NOT_FOUND = Reply("No spell has this id.", ErrorBody)
SEARCH_PARAMS = (
    Param(
        "q",
        TEXT_SCHEMA,
        "Words that must all appear (any case) in the title, description, error type or tags.",
    ),
    Param("error_type", TEXT_SCHEMA, "Only spells of this error type (any case)."),
    Param("tag", TEXT_SCHEMA, "Only spells with this tag (any case)."),
)

routes = [
    ApiRoute(
        "/api/spells",
        name="spells",
        operations={
            "GET": (
                list_spells,
                Operation(
                    summary="List or search spells, in id order",
                    tag="spells",
                    params=(*PAGE_PARAMS, *SEARCH_PARAMS),
                    responses={
                        200: Reply(
                            "One page of the spells that fit the search.",
                            list[SpellOut],
                            headers={"X-Total-Count": "How many spells fit the search in all."},
                        )
                    },
                ),
            ),
            "POST": (
                create_spell,
                Operation(
                    summary="Create a spell",
                    tag="spells",
                    body=SpellIn,
                    auth=True,
                    responses={
                        201: Reply(
                            "The spell, with its id.",
                            SpellOut,
                            headers={"Location": "The spell's URL."},
                        )
                    },
                ),
            ),
        },
    ),
    ApiRoute(
        "/api/spells/{spell_id:int}",
        name="spell",
        operations={
            "GET": (
                get_spell,
                Operation(
                    summary="Get one spell",
                    tag="spells",
                    responses={200: Reply("The spell.", SpellOut), 404: _NOT_FOUND},
                ),
            ),
            "PUT": (
                update_spell,
                Operation(
                    summary="Replace a spell",
                    tag="spells",
                    body=SpellIn,
                    auth=True,
                    responses={200: Reply("The updated spell.", SpellOut), 404: _NOT_FOUND},
                ),
            ),
            "DELETE": (
                delete_spell,
                Operation(
                    summary="Delete a spell",
                    tag="spells",
                    auth=True,
                    responses={204: Reply("Deleted."), 404: _NOT_FOUND},
                ),
            ),
        },
    ),
]
