"""/api/spells: the spellbook over REST."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.spell import SPELL_FIELDS
from grimoire.errors import FieldError, InvalidSpell, SpellNotFound
from grimoire.resources import resources
from grimoire.spellcheck import check_spell
from grimoire.spellindex import SpellShelf
from grimoire.storage import spells as storage
from grimoire.storage.tables import Spell
from grimoire.web.bodies import read_body
from grimoire.web.openapi import ApiRoute, Operation, Param, Reply
from grimoire.web.pagination import PAGE_PARAMS, TEXT_SCHEMA, parse_page, query_text, raise_if_any
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import (
    ErrorBody,
    SpellIn,
    SpellOut,
    SpellOutList,
    SpellPatch,
    decode_json,
)


async def list_spells(request: Request) -> Response:
    errors: list[FieldError] = []
    page = parse_page(request, errors)
    search = parse_search(request, errors)
    raise_if_any(errors)
    res = resources(request)
    if not (search.words or search.error_type or search.tag):
        shelf = await res.spell_index.shelf_if_current(res.readers)
        if shelf is not None:
            ids = shelf.page(skip=page.skip, limit=page.limit)
            body = [shelved_out(shelf, spell_id) for spell_id in ids]
            return JSONResponse(body, headers={"X-Total-Count": str(len(shelf.stamps))})
    async with res.readers() as session:
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
    res = resources(request)
    shelf = await res.spell_index.shelf_if_current(res.readers)
    if shelf is not None:
        spell_id = request.path_params["spell_id"]
        if spell_id not in shelf.stamps:
            raise SpellNotFound(spell_id)
        return JSONResponse(shelved_out(shelf, spell_id))
    async with res.readers() as session:
        spell = await storage.get_spell(session, request.path_params["spell_id"])
        return JSONResponse(spell_out(spell))


async def create_spell(request: Request) -> Response:
    fields = await read_spell(request)
    async with resources(request).sessions.begin() as session:
        spell = await storage.create_spell(session, fields, now=datetime.now(UTC))
        body = spell_out(spell)
    resources(request).spell_index.note_write()
    location = str(request.url_for("spell", spell_id=spell.id).path)
    return JSONResponse(body, status_code=201, headers={"Location": location})


async def update_spell(request: Request) -> Response:
    fields = await read_spell(request)
    async with resources(request).sessions.begin() as session:
        spell = await storage.update_spell(
            session, request.path_params["spell_id"], fields, now=datetime.now(UTC)
        )
        body = spell_out(spell)
    resources(request).spell_index.note_write()
    return JSONResponse(body)


async def delete_spell(request: Request) -> Response:
    async with resources(request).sessions.begin() as session:
        await storage.delete_spell(session, request.path_params["spell_id"], now=datetime.now(UTC))
    resources(request).spell_index.note_write()
    return Response(status_code=204)


async def read_spell(request: Request) -> dict[str, Any]:
    """Read a whole spell body: every rule of ``check_spell`` applied, every failure reported."""
    return check_spell(decode_json(await read_body(request)))


async def patch_spell(request: Request) -> Response:
    changes = decode_json(await read_body(request))
    unknown_fields(changes)
    async with resources(request).sessions.begin() as session:
        spell_id = request.path_params["spell_id"]
        current = spell_fields(await storage.get_spell(session, spell_id))
        # The merged spell passes the same rules as a PUT: a pattern change is checked against
        # the stored examples, and new examples against the stored pattern.
        fields = check_spell({**current, **changes})
        spell = await storage.update_spell(session, spell_id, fields, now=datetime.now(UTC))
        body = spell_out(spell)
    resources(request).spell_index.note_write()
    return JSONResponse(body)


def unknown_fields(changes: Any) -> None:
    """Refuse a PATCH body that is not an object or names a field no spell has."""
    if not isinstance(changes, dict):
        raise InvalidSpell("the spell is not valid", [FieldError("body", "must be a JSON object")])
    known = set(SPELL_FIELDS)
    errors = [
        FieldError(f"body.{name}", "is not a field of a spell (or cannot be changed)")
        for name in changes
        if name not in known
    ]
    if errors:
        raise InvalidSpell("the spell is not valid", errors)


def spell_fields(spell: Spell) -> dict[str, Any]:
    """Return the fields of a stored spell that a client writes."""
    return {name: getattr(spell, name) for name in SPELL_FIELDS}


def spell_out(spell: Spell) -> msgspec.Struct:
    """Return the API view of a stored spell."""
    fields = {name: getattr(spell, name) for name in SPELL_FIELDS}
    return SpellOut(id=spell.id, **fields, created_at=spell.created_at, updated_at=spell.updated_at)


def shelved_out(shelf: SpellShelf, spell_id: int) -> msgspec.Struct:
    """Return the API view of a spell from the spellbook in memory (as ``spell_out`` would)."""
    record, stamp = shelf.book.spell(spell_id), shelf.stamps[spell_id]
    fields = {name: _listed(getattr(record, name)) for name in SPELL_FIELDS}
    fields["tags"] = stamp.tags  # as written, not as the matcher splits them
    return SpellOut(
        id=record.id, **fields, created_at=stamp.created_at, updated_at=stamp.updated_at
    )


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


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
                            SpellOutList,
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
                    description="Replaces the whole spell: a field left out gets its default "
                    "(an empty list, no tags, not generic). To change some fields only, PATCH.",
                    tag="spells",
                    body=SpellIn,
                    auth=True,
                    responses={200: Reply("The updated spell.", SpellOut), 404: _NOT_FOUND},
                ),
            ),
            "PATCH": (
                patch_spell,
                Operation(
                    summary="Change some fields of a spell",
                    description="Updates only the fields sent; the others keep their values. The "
                    "spell that results passes the same checks as a PUT (its pattern against its "
                    "examples too). A field no spell has is refused with a 422.",
                    tag="spells",
                    body=SpellPatch,
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
