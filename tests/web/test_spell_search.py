"""GET /api/spells?q=&error_type=&tag=: the spellbook search, on both engines."""

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

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SPELLS = [
    ("Missing module", "No module named x.", "ModuleNotFoundError", "python, imports"),
    ("Docker daemon down", "Cannot connect to the daemon.", "DockerError", "docker,ci"),
    ("Null pointer", "100% sure it is null_ptr.", "java.lang.NullPointerException", "java"),
    ("Module cycle", "Circular import of a module.", "ImportError", "python"),
]


@pytest.fixture
async def api(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(dataclasses.replace(app_settings, api_token=API_TOKEN)) as http:
        for title, description, error_type, tags in SPELLS:
            body = {
                "title": title,
                "description": description,
                "error_type": error_type,
                "error_pattern": "x",
                "solution_code": "fix",
                "tags": tags,
            }
            assert (await http.post("/api/spells", json=body, headers=AUTH)).status_code == 201
        yield http


async def titles(api: httpx.AsyncClient, **params: Any) -> tuple[list[str], str]:
    response = await api.get("/api/spells", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return [spell["title"] for spell in response.json()], response.headers["x-total-count"]


async def test_words_must_all_appear_in_any_field_in_any_case(api: httpx.AsyncClient) -> None:
    assert await titles(api, q="MODULE") == (["Missing module", "Module cycle"], "2")
    assert await titles(api, q="module circular") == (["Module cycle"], "1")
    assert await titles(api, q="imports") == (["Missing module"], "1")  # a tag
    assert await titles(api, q="nullpointer") == (["Null pointer"], "1")  # the error type
    assert await titles(api, q="module docker") == ([], "0")


async def test_like_wildcards_are_plain_characters(api: httpx.AsyncClient) -> None:
    assert await titles(api, q="100%") == (["Null pointer"], "1")
    assert await titles(api, q="null_ptr") == (["Null pointer"], "1")
    assert await titles(api, q="%") == (["Null pointer"], "1")
    assert await titles(api, q="_") == (["Null pointer"], "1")


async def test_error_type_is_equal_ignoring_case(api: httpx.AsyncClient) -> None:
    assert await titles(api, error_type="dockererror") == (["Docker daemon down"], "1")
    assert await titles(api, error_type="Docker") == ([], "0")


async def test_tag_is_a_whole_tag_ignoring_case_and_spaces(api: httpx.AsyncClient) -> None:
    assert await titles(api, tag="Python") == (["Missing module", "Module cycle"], "2")
    assert await titles(api, tag="imports") == (["Missing module"], "1")
    assert await titles(api, tag="ci") == (["Docker daemon down"], "1")
    assert await titles(api, tag="py") == ([], "0")


async def test_filters_combine_with_paging(api: httpx.AsyncClient) -> None:
    assert await titles(api, tag="python", q="module", limit=1, skip=1) == (["Module cycle"], "2")
    assert await titles(api, tag="python", error_type="ImportError") == (["Module cycle"], "1")
    assert await titles(api, q="  ", tag="", error_type="") == ([t[0] for t in SPELLS], "4")


async def test_bad_search_parameters_are_named(api: httpx.AsyncClient) -> None:
    params: dict[str, str | int] = {"q": "x" * 256, "tag": "a\x00", "limit": 0}
    response = await api.get("/api/spells", params=params, headers=AUTH)
    assert_error(response, 422, "VALIDATION_ERROR")
    assert error_paths(response) == {"query.q", "query.tag", "query.limit"}
