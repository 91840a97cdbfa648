"""/api/spells: every success and failure row of DESIGN.md, with exact statuses and shapes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from grimoire.config import Settings
from tests.apps import running
from tests.conftest import API_TOKEN
from tests.web.errors import assert_error, error_paths

SPELL = {
    "title": "ModuleNotFoundError for an uninstalled package",
    "description": "The import names a package that is not installed in the environment.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"ModuleNotFoundError: No module named '(\w+)'",
    "solution_code": "pip install <package>",
    "tags": "python,imports",
}
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
JSON_TYPE = {"content-type": "application/json"}


class _AnyTime(str):
    """Equal to any timestamp string (for ``updated_at``, which a write moves)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)

    __hash__ = str.__hash__


ANY_TIME = _AnyTime()


@pytest.fixture
async def guarded(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app whose writes need API_TOKEN, its spell reads opened on purpose."""
    settings = dataclasses.replace(
        app_settings, api_token=API_TOKEN, api_public_reads=frozenset({"spells"})
    )
    async with running(settings) as http:
        yield http


@pytest.fixture
async def locked(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app with API_TOKEN set and nothing opened: reads need it too."""
    async with running(dataclasses.replace(app_settings, api_token=API_TOKEN)) as http:
        yield http


async def create(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/spells", json=SPELL | changes, headers=AUTH)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_answers_201_with_location(guarded: httpx.AsyncClient) -> None:
    spell = await create(guarded)
    assert {k: spell[k] for k in SPELL} == SPELL
    assert spell["created_at"] == spell["updated_at"]
    response = await guarded.get(f"/api/spells/{spell['id']}")
    assert response.json() == spell


async def test_location_header_points_at_the_spell(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post("/api/spells", json=SPELL, headers=AUTH)
    assert (await guarded.get(response.headers["location"])).json() == response.json()


async def test_list_is_in_id_order_with_total(guarded: httpx.AsyncClient) -> None:
    ids = [(await create(guarded, title=f"spell {n}"))["id"] for n in range(5)]
    response = await guarded.get("/api/spells", params={"skip": 1, "limit": 2})
    assert response.status_code == 200
    assert response.headers["x-total-count"] == "5"
    assert [spell["id"] for spell in response.json()] == ids[1:3]
    assert len((await guarded.get("/api/spells")).json()) == 5


@pytest.mark.parametrize(
    ("query", "paths"),
    [
        ("limit=0", {"query.limit"}),
        ("limit=101", {"query.limit"}),
        ("limit=ten", {"query.limit"}),
        ("skip=-1", {"query.skip"}),
        ("skip=x&limit=1000", {"query.skip", "query.limit"}),
    ],
)
async def test_list_rejects_bad_paging(
    client: httpx.AsyncClient, query: str, paths: set[str]
) -> None:
    response = await client.get(f"/api/spells?{query}")
    assert_error(response, 422, "VALIDATION_ERROR")
    assert error_paths(response) == paths


async def test_get_missing_spell_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/spells/4242"), 404, "SPELL_NOT_FOUND")
    assert_error(await client.get("/api/spells/99999999999999999999"), 404, "SPELL_NOT_FOUND")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {API_TOKEN}"},
        {"Authorization": "Bearer tést".encode()},
    ],
)
async def test_writes_need_the_token(guarded: httpx.AsyncClient, headers: dict[str, str]) -> None:
    spell = await create(guarded)
    url = f"/api/spells/{spell['id']}"
    for response in (
        await guarded.post("/api/spells", json=SPELL, headers=headers),
        await guarded.put(url, json=SPELL, headers=headers),
        await guarded.patch(url, json={"title": "x"}, headers=headers),
        await guarded.delete(url, headers=headers),
    ):
        assert_error(response, 401, "UNAUTHORIZED")
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await guarded.get(url)).status_code == 200  # nothing was changed


async def test_public_reads_need_no_token(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/api/spells")).status_code == 200
    spell = await create(guarded)
    assert (await guarded.get(f"/api/spells/{spell['id']}")).status_code == 200
    # Only the opened group: the rest of /api/* still needs the token.
    assert_error(await guarded.get("/api/analyses"), 401, "UNAUTHORIZED")
    assert_error(await guarded.post("/api/match", json={"message": "x"}), 401, "UNAUTHORIZED")


READS = [
    ("GET", "/api/spells", None),
    ("GET", "/api/spells/1", None),
    ("POST", "/api/match", {"message": "ModuleNotFoundError: No module named 'x'"}),
    ("POST", "/api/match/log", {"text": "boom"}),
    ("GET", "/api/deliveries", None),
    ("GET", "/api/deliveries/some-id", None),
    ("GET", "/api/analyses", None),
    ("GET", "/api/analyses/1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), READS)
async def test_reads_need_the_token_when_it_is_set(
    locked: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_TOKEN}):
        response = await locked.request(method, path, json=body, headers=headers)
        assert_error(response, 401, "UNAUTHORIZED")
        assert response.headers["www-authenticate"] == "Bearer"
    allowed = await locked.request(method, path, json=body, headers=AUTH)
    assert allowed.status_code in (200, 404), allowed.text


async def test_health_and_docs_stay_open_with_a_token(locked: httpx.AsyncClient) -> None:
    for path in ("/health/live", "/health/ready", "/openapi.json"):
        assert (await locked.get(path)).status_code == 200, path


async def test_create_names_every_offending_field(guarded: httpx.AsyncClient) -> None:
    body = {"title": "x" * 256, "description": "", "error_type": "   ", "tags": 3}
    response = await guarded.post("/api/spells", json=body, headers=AUTH)
    assert_error(response, 422, "INVALID_SPELL")
    assert error_paths(response) == {
        "body.title",
        "body.description",
        "body.error_type",
        "body.error_pattern",
        "body.solution_code",
        "body.tags",
    }


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(?=foo)bar", "look-ahead"),
        ("(?<!foo)bar", "look-behind"),
        (r"(\w+) \1", "back-references"),
        ("unclosed(", "missing )"),
    ],
)
async def test_create_refuses_patterns_re2_cannot_run(
    guarded: httpx.AsyncClient, pattern: str, reason: str
) -> None:
    response = await guarded.post(
        "/api/spells", json=SPELL | {"error_pattern": pattern}, headers=AUTH
    )
    body = assert_error(response, 422, "INVALID_SPELL")
    [error] = body["errors"]
    assert error["path"] == "body.error_pattern"
    assert reason in error["message"]


async def test_schema_and_pattern_errors_are_reported_together(guarded: httpx.AsyncClient) -> None:
    body = SPELL | {"title": "", "error_pattern": "(?=x)"}
    response = await guarded.post("/api/spells", json=body, headers=AUTH)
    assert error_paths(response) == {"body.title", "body.error_pattern"}


@pytest.mark.parametrize("raw", [b"{not json", b'{"title": "unterminated'])
async def test_malformed_json_is_400(guarded: httpx.AsyncClient, raw: bytes) -> None:
    response = await guarded.post("/api/spells", content=raw, headers=AUTH | JSON_TYPE)
    assert_error(response, 400, "INVALID_PAYLOAD")


@pytest.mark.parametrize("raw", [b"[]", b'"spell"', b"null", b"42"])
async def test_body_that_is_not_an_object_is_422(guarded: httpx.AsyncClient, raw: bytes) -> None:
    response = await guarded.post("/api/spells", content=raw, headers=AUTH | JSON_TYPE)
    assert_error(response, 422, "INVALID_SPELL")
    assert error_paths(response) == {"body"}


async def test_oversized_body_is_413(guarded: httpx.AsyncClient) -> None:
    body = SPELL | {"description": "x" * (1024 * 1024)}
    response = await guarded.post("/api/spells", json=body, headers=AUTH)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_update_replaces_every_field(guarded: httpx.AsyncClient) -> None:
    spell = await create(guarded)
    new = {
        "title": "Renamed",
        "description": "Other",
        "error_type": "ImportError",
        "error_pattern": "ImportError: (.+)",
        "solution_code": "fix it",
    }
    response = await guarded.put(f"/api/spells/{spell['id']}", json=new, headers=AUTH)
    assert response.status_code == 200
    assert {k: response.json()[k] for k in SPELL} == new | {"tags": None}
    assert response.json()["created_at"] == spell["created_at"]


async def test_update_failures(guarded: httpx.AsyncClient) -> None:
    spell = await create(guarded)
    assert_error(
        await guarded.put("/api/spells/999", json=SPELL, headers=AUTH), 404, "SPELL_NOT_FOUND"
    )
    response = await guarded.put(f"/api/spells/{spell['id']}", json={"title": "only"}, headers=AUTH)
    assert_error(response, 422, "INVALID_SPELL")
    assert (await guarded.get(f"/api/spells/{spell['id']}")).json() == spell


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_an_empty_body_is_a_422_that_says_so(guarded: httpx.AsyncClient, method: str) -> None:
    spell = await create(guarded)
    url = "/api/spells" if method == "POST" else f"/api/spells/{spell['id']}"
    for raw in (b"", b" \n"):
        response = await guarded.request(method, url, content=raw, headers=AUTH | JSON_TYPE)
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["detail"] == "the request body is empty"
        assert body["errors"] == [{"path": "body", "message": "is required: send a JSON object"}]
        assert "truncated" not in response.text


async def test_patch_changes_only_the_fields_sent(guarded: httpx.AsyncClient) -> None:
    spell = await create(guarded, examples=["ModuleNotFoundError: No module named 'yaml'"])
    url = f"/api/spells/{spell['id']}"
    response = await guarded.patch(url, json={"solution_code": "uv add <package>"}, headers=AUTH)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched == spell | {"solution_code": "uv add <package>", "updated_at": ANY_TIME}
    assert patched["updated_at"] >= spell["updated_at"]
    assert (await guarded.get(url)).json() == patched
    cleared = await guarded.patch(url, json={"tags": None, "generic": True}, headers=AUTH)
    assert (cleared.json()["tags"], cleared.json()["generic"]) == (None, True)
    assert (await guarded.patch(url, json={}, headers=AUTH)).json()["title"] == SPELL["title"]


async def test_patch_checks_the_spell_that_results(guarded: httpx.AsyncClient) -> None:
    spell = await create(guarded, examples=["ModuleNotFoundError: No module named 'yaml'"])
    url = f"/api/spells/{spell['id']}"
    cases = [
        ({"title": ""}, {"body.title"}),
        ({"description": "a\u0000b"}, {"body.description"}),
        ({"error_pattern": "(?=x)"}, {"body.error_pattern"}),
        # A new pattern must still match the stored examples.
        ({"error_pattern": "ImportError"}, {"body.examples[0]"}),
        ({"id": 7, "created_at": "2020-01-01T00:00:00Z"}, {"body.id", "body.created_at"}),
    ]
    for changes, paths in cases:
        response = await guarded.patch(url, json=changes, headers=AUTH)
        assert_error(response, 422, "INVALID_SPELL")
        assert error_paths(response) == paths, changes
    for raw in (b"[]", b"null"):
        response = await guarded.patch(url, content=raw, headers=AUTH | JSON_TYPE)
        assert_error(response, 422, "INVALID_SPELL")
    malformed = await guarded.patch(url, content=b"{nope", headers=AUTH | JSON_TYPE)
    assert_error(malformed, 400, "INVALID_PAYLOAD")
    assert_error(
        await guarded.patch("/api/spells/999", json={"title": "t"}, headers=AUTH),
        404,
        "SPELL_NOT_FOUND",
    )
    assert (await guarded.get(url)).json() == spell


async def test_delete_then_404(guarded: httpx.AsyncClient) -> None:
    spell = await create(guarded)
    response = await guarded.delete(f"/api/spells/{spell['id']}", headers=AUTH)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(await guarded.get(f"/api/spells/{spell['id']}"), 404, "SPELL_NOT_FOUND")
    assert_error(
        await guarded.delete(f"/api/spells/{spell['id']}", headers=AUTH), 404, "SPELL_NOT_FOUND"
    )


async def test_deleted_ids_are_never_reused(guarded: httpx.AsyncClient) -> None:
    first = await create(guarded)
    await guarded.delete(f"/api/spells/{first['id']}", headers=AUTH)
    assert (await create(guarded))["id"] > first["id"]


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/nothing"), 404, "ROUTE_NOT_FOUND")
    response = await client.post("/api/spells/1")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "PATCH", "DELETE"}


async def test_filters_and_ids_no_row_can_have_are_clean_errors(client: httpx.AsyncClient) -> None:
    # NUL cannot be stored in PostgreSQL text: such a filter is a 422, such an id a 404, never 500.
    response = await client.get("/api/deliveries", params={"repository": "a\x00b"})
    assert_error(response, 422, "VALIDATION_ERROR")
    response = await client.get("/api/analyses", params={"repository": "x" * 256})
    assert_error(response, 422, "VALIDATION_ERROR")
    assert_error(await client.get("/api/deliveries/a%00b"), 404, "DELIVERY_NOT_FOUND")
    assert_error(await client.get(f"/api/deliveries/{'x' * 101}"), 404, "DELIVERY_NOT_FOUND")


async def test_applies_to_round_trips_and_defaults_to_everywhere(
    guarded: httpx.AsyncClient,
) -> None:
    assert (await create(guarded))["applies_to"] == ""
    spell = await create(guarded, title="scoped", applies_to="*.py,*.pyi,!tests/*")
    assert (await guarded.get(f"/api/spells/{spell['id']}")).json()["applies_to"] == (
        "*.py,*.pyi,!tests/*"
    )
    response = await guarded.post(
        "/api/spells", json=SPELL | {"applies_to": "*.py\u0000"}, headers=AUTH
    )
    assert_error(response, 422, "INVALID_SPELL")
    assert error_paths(response) == {"body.applies_to"}
