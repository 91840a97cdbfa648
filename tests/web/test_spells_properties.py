"""Properties of /api/spells, through the HTTP API, on every configured database engine."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import spell_bodies

FIELDS = ("title", "description", "error_type", "error_pattern", "solution_code", "tags")


async def reset(client: httpx.AsyncClient) -> None:
    """Delete every spell, so each hypothesis example starts from an empty spellbook."""
    while spells := (await client.get("/api/spells")).json():
        for spell in spells:
            assert (await client.delete(f"/api/spells/{spell['id']}")).status_code == 204


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/spells", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def same_fields(stored: dict[str, Any], sent: dict[str, Any]) -> None:
    for name in FIELDS:
        assert stored[name] == sent.get(name), name


# Property: pagination consistency: iterating all pages yields every spell exactly once.
@settings(max_examples=100)
@given(count=st.integers(0, 25), limit=st.integers(1, 10))
async def test_pages_yield_every_spell_exactly_once(
    client: httpx.AsyncClient, count: int, limit: int
) -> None:
    await reset(client)
    body = {
        "title": "t",
        "description": "d",
        "error_type": "E",
        "error_pattern": "x",
        "solution_code": "s",
    }
    created = [(await create(client, body))["id"] for _ in range(count)]
    seen: list[int] = []
    skip = 0
    while True:
        page = await client.get("/api/spells", params={"skip": skip, "limit": limit})
        assert page.status_code == 200
        assert page.headers["x-total-count"] == str(count)
        ids = [spell["id"] for spell in page.json()]
        assert len(ids) <= limit
        seen.extend(ids)
        if len(ids) < limit:
            break
        skip += limit
    assert seen == sorted(created)


# Property: retrieval returns stored data (get and list agree with what was created).
@settings(max_examples=100)
@given(body=spell_bodies())
async def test_retrieval_returns_stored_data(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    await reset(client)
    created = await create(client, body)
    same_fields(created, body)
    fetched = (await client.get(f"/api/spells/{created['id']}")).json()
    assert fetched == created
    assert (await client.get("/api/spells")).json() == [created]


# Property: create/update round trip preserves every field (unicode, long text, empty tags).
@settings(max_examples=100)
@given(first=spell_bodies(), second=spell_bodies())
async def test_update_round_trip_preserves_every_field(
    client: httpx.AsyncClient, first: dict[str, Any], second: dict[str, Any]
) -> None:
    created = await create(client, first)
    updated = await client.put(f"/api/spells/{created['id']}", json=second)
    assert updated.status_code == 200, updated.text
    same_fields(updated.json(), second)
    fetched = (await client.get(f"/api/spells/{created['id']}")).json()
    assert fetched == updated.json()
    assert fetched["created_at"] == created["created_at"]
    assert fetched["updated_at"] >= created["updated_at"]


# Property: deletion removes the spell from get and from list.
@settings(max_examples=100)
@given(bodies=st.lists(spell_bodies(), min_size=1, max_size=4), victim=st.integers(0, 3))
async def test_deletion_removes_from_get_and_list(
    client: httpx.AsyncClient, bodies: list[dict[str, Any]], victim: int
) -> None:
    await reset(client)
    ids = [(await create(client, body))["id"] for body in bodies]
    gone = ids[victim % len(ids)]
    assert (await client.delete(f"/api/spells/{gone}")).status_code == 204
    assert (await client.get(f"/api/spells/{gone}")).status_code == 404
    listed = (await client.get("/api/spells")).json()
    assert [spell["id"] for spell in listed] == [i for i in ids if i != gone]
    assert (await client.delete(f"/api/spells/{gone}")).status_code == 404
