"""Spell reads from the spellbook in memory answer exactly what the database path answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest

from grimoire.app import create_app
from grimoire.config import Settings
from grimoire.resources import Resources
from grimoire.storage import spells as storage
from grimoire.web.spells import spell_out

SPELL: dict[str, Any] = {
    "title": "Missing module",
    "description": "The import names a package that is not installed.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '(\w+)'",
    "solution_code": "pip install <package>",
}


@pytest.fixture
async def served(app_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Resources]]:
    app = create_app(app_settings)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        res: Resources = state["resources"]

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http, res


async def database_answers(res: Resources, *, skip: int, limit: int) -> tuple[Any, int]:
    async with res.readers() as session:
        rows, total = await storage.list_spells(
            session, skip=skip, limit=limit, search=storage.SpellSearch()
        )
        return msgspec.json.decode(msgspec.json.encode([spell_out(r) for r in rows])), total


async def test_reads_from_memory_match_the_database(
    served: tuple[httpx.AsyncClient, Resources],
) -> None:
    http, res = served
    variants: list[dict[str, object]] = [
        {},
        {"tags": " python , imports,,"},
        {"tags": None, "examples": ["No module named 'yaml'"]},
        {"generic": True, "counter_examples": ["all fine"]},
    ]
    ids = []
    for n, variant in enumerate(variants * 3):
        created = await http.post("/api/spells", json=SPELL | {"title": f"s{n}"} | variant)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    changed = await http.put(f"/api/spells/{ids[1]}", json=SPELL | {"title": "changed"})
    assert changed.status_code == 200
    assert (await http.delete(f"/api/spells/{ids[2]}")).status_code == 204
    await res.spell_index.current(res.readers)  # what any /api/match does

    assert await res.spell_index.shelf_if_current(res.readers) is not None  # memory path on
    for skip, limit in ((0, 50), (0, 3), (4, 5), (11, 5), (40, 5)):
        page = await http.get("/api/spells", params={"skip": skip, "limit": limit})
        expected, total = await database_answers(res, skip=skip, limit=limit)
        assert page.json() == expected
        assert page.headers["x-total-count"] == str(total)
    for spell_id in ids:
        answer = await http.get(f"/api/spells/{spell_id}")
        if spell_id == ids[2]:
            assert answer.status_code == 404
            assert answer.json()["error_code"] == "SPELL_NOT_FOUND"
            continue
        async with res.readers() as session:
            row = await storage.get_spell(session, spell_id)
            expected = msgspec.json.decode(msgspec.json.encode(spell_out(row)))
        assert answer.json() == expected
    assert await res.spell_index.shelf_if_current(res.readers) is not None


async def test_a_change_elsewhere_is_read_from_the_database_until_loaded(
    served: tuple[httpx.AsyncClient, Resources],
) -> None:
    http, res = served
    created = (await http.post("/api/spells", json=SPELL)).json()
    await res.spell_index.current(res.readers)
    # Another process changes the spell: this process's book is now behind the revision.
    async with res.sessions.begin() as session:
        await storage.update_spell(
            session, created["id"], SPELL | {"title": "from elsewhere"}, now=datetime.now(UTC)
        )
    assert await res.spell_index.shelf_if_current(res.readers) is None
    assert (await http.get(f"/api/spells/{created['id']}")).json()["title"] == "from elsewhere"
    listed = (await http.get("/api/spells")).json()
    assert [spell["title"] for spell in listed] == ["from elsewhere"]
