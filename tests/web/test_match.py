"""/api/match and /api/match/log over HTTP, and spells' examples and counter-examples."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.errors import assert_error, error_paths

MODULE = {
    "title": "Python module is not installed",
    "description": "An import names a package that is not installed.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '?[\w.]+'?",
    "solution_code": "python -m pip install <package>",
    "tags": "python,import",
    "examples": ["ModuleNotFoundError: No module named 'yaml'"],
    "counter_examples": ["ImportError: cannot import name 'x' from 'os'"],
}
SEGFAULT = {
    "title": "Segmentation fault",
    "description": "The process touched memory it does not own.",
    "error_type": "SIGSEGV",
    "error_pattern": r"(?i)segmentation fault",
    "solution_code": "run it under gdb or valgrind",
    "generic": True,
}
CORE_DUMP = {
    "title": "Null pointer dereference in C",
    "description": "A NULL pointer was dereferenced: segmentation fault at address 0x0.",
    "error_type": "SIGSEGV",
    "error_pattern": r"(?i)segmentation fault.*address 0x0\b",
    "solution_code": "check the pointer before use",
}


async def create(client: httpx.AsyncClient, spell: dict[str, Any]) -> int:
    response = await client.post("/api/spells", json=spell)
    assert response.status_code == 201, response.text
    spell_id: int = response.json()["id"]
    return spell_id


async def test_match_ranks_the_spell_that_fits(client: httpx.AsyncClient) -> None:
    spell_id = await create(client, MODULE)
    await create(client, SEGFAULT)
    response = await client.post(
        "/api/match",
        json={"error_type": "ModuleNotFoundError", "message": "No module named 'requests'"},
    )
    assert response.status_code == 200
    [match] = response.json()["matches"]
    assert match["spell_id"] == spell_id
    assert match["title"] == MODULE["title"]
    assert match["why"]["pattern"] is True
    assert match["why"]["error_type"] is True
    assert match["solution_code"] == MODULE["solution_code"]
    assert 0 < match["score"] <= 1


async def test_an_error_no_spell_fits_gets_no_match(client: httpx.AsyncClient) -> None:
    await create(client, MODULE)
    response = await client.post(
        "/api/match", json={"error_type": "Weather", "message": "it is raining in Lisbon"}
    )
    assert response.json() == {"matches": []}


async def test_generic_spells_only_when_nothing_specific_matches(
    client: httpx.AsyncClient,
) -> None:
    generic = await create(client, SEGFAULT)
    specific = await create(client, CORE_DUMP)
    specific_error = {"message": "Segmentation fault at address 0x0", "error_type": "SIGSEGV"}
    matches = (await client.post("/api/match", json=specific_error)).json()["matches"]
    assert [m["spell_id"] for m in matches] == [specific]
    vague = {"message": "Segmentation fault (core dumped)", "error_type": "SIGSEGV"}
    matches = (await client.post("/api/match", json=vague)).json()["matches"]
    assert [m["spell_id"] for m in matches] == [generic]


async def test_match_follows_spell_updates_and_deletes(client: httpx.AsyncClient) -> None:
    spell_id = await create(client, MODULE)
    query = {"message": "No module named 'requests'", "error_type": "ModuleNotFoundError"}
    assert (await client.post("/api/match", json=query)).json()["matches"]
    renamed = MODULE | {"title": "Install the missing package"}
    assert (await client.put(f"/api/spells/{spell_id}", json=renamed)).status_code == 200
    [match] = (await client.post("/api/match", json=query)).json()["matches"]
    assert match["title"] == "Install the missing package"
    assert (await client.delete(f"/api/spells/{spell_id}")).status_code == 204
    assert (await client.post("/api/match", json=query)).json()["matches"] == []


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, {"body.message"}),
        ({"message": "   "}, {"body.message"}),
        ({"message": "x", "limit": 0}, {"body.limit"}),
        ({"message": "x", "limit": 51}, {"body.limit"}),
        ({"message": 3, "context": ["x"]}, {"body.message", "body.context"}),
    ],
)
async def test_match_validation(
    client: httpx.AsyncClient, body: dict[str, Any], paths: set[str]
) -> None:
    response = await client.post("/api/match", json=body)
    assert_error(response, 422, "VALIDATION_ERROR")
    assert error_paths(response) == paths


async def test_match_log_orders_errors_by_best_match(client: httpx.AsyncClient) -> None:
    await create(client, MODULE)
    log = (
        "2024-05-01T10:00:00.0000000Z Run pytest\n"
        "\x1b[31mSomethingOdd: the flux capacitor is unhappy\x1b[0m\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'yaml'\n"
    )
    response = await client.post("/api/match/log", json={"text": log})
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors[0]["error_type"] == "ModuleNotFoundError"
    assert errors[0]["matches"][0]["title"] == MODULE["title"]
    assert "Traceback" in errors[0]["stack_trace"]
    assert all(not error["matches"] for error in errors[1:])


async def test_match_log_limits(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/match/log", json={"text": ""})).json()["errors"] == []
    assert_error(await client.post("/api/match/log", json={}), 422, "VALIDATION_ERROR")
    huge = {"text": "x" * (9 * 1024 * 1024)}
    assert_error(await client.post("/api/match/log", json=huge), 413, "PAYLOAD_TOO_LARGE")


async def test_spell_examples_round_trip(client: httpx.AsyncClient) -> None:
    spell_id = await create(client, MODULE | {"generic": False})
    stored = (await client.get(f"/api/spells/{spell_id}")).json()
    assert stored["examples"] == MODULE["examples"]
    assert stored["counter_examples"] == MODULE["counter_examples"]
    assert stored["generic"] is False
    defaults = (await client.get(f"/api/spells/{await create(client, SEGFAULT)}")).json()
    assert defaults["examples"] == []
    assert defaults["generic"] is True


async def test_a_pattern_failing_its_examples_is_refused(client: httpx.AsyncClient) -> None:
    spell = MODULE | {
        "examples": ["ModuleNotFoundError: No module named 'yaml'", "cannot find module yaml"],
        "counter_examples": ["No module named 'x' (but this one should not match)"],
    }
    response = await client.post("/api/spells", json=spell)
    body = assert_error(response, 422, "INVALID_SPELL")
    assert error_paths(response) == {"body.examples[1]", "body.counter_examples[0]"}
    assert all(error["message"] for error in body["errors"])
    assert (await client.get("/api/spells")).json() == []


async def test_integral_floats_are_integers(client: httpx.AsyncClient) -> None:
    # JSON Schema (and JSON) make no difference between 2 and 2.0; a client may send either.
    response = await client.post("/api/match", json={"message": "x", "limit": 2.0})
    assert response.status_code == 200
    response = await client.post("/api/match", json={"message": "x", "limit": 2.5})
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_an_empty_spellbook_is_said_plainly(client: httpx.AsyncClient) -> None:
    error = {"error_type": "ModuleNotFoundError", "message": "No module named 'yaml'"}
    log = {"text": "ModuleNotFoundError: No module named 'yaml'\n"}
    match = (await client.post("/api/match", json=error)).json()
    assert match["matches"] == []
    assert "no spells are loaded" in match["notice"]
    assert "grimoire spells seed" in match["notice"]
    from_log = (await client.post("/api/match/log", json=log)).json()
    assert from_log["errors"][0]["matches"] == []
    assert from_log["notice"] == match["notice"]
    # Once there is a spell, the documented shapes come back unchanged: no notice at all.
    await create(client, MODULE)
    assert set((await client.post("/api/match", json=error)).json()) == {"matches"}
    assert set((await client.post("/api/match/log", json=log)).json()) == {"errors"}


async def test_match_log_names_the_root_cause_first_with_role_and_why(
    client: httpx.AsyncClient,
) -> None:
    await create(client, MODULE)
    log = "\n".join(
        f"2024-05-01T10:00:00.0000000Z {line}"
        for line in (
            "##[group]Run pip install -r requirements.txt",
            "WARNING: Retrying (Retry(total=4)) after connection broken by 'ReadTimeoutError'",
            "Successfully installed pyyaml-6.0",
            "##[group]Run python app.py",
            "Traceback (most recent call last):",
            '  File "app.py", line 1, in <module>',
            "ModuleNotFoundError: No module named 'yaml'",
            "##[error]Process completed with exit code 1.",
        )
    )
    errors = (await client.post("/api/match/log", json={"text": log})).json()["errors"]
    first = errors[0]
    assert (first["error_type"], first["role"]) == ("ModuleNotFoundError", "failure")
    assert first["why"] == "last error before `Process completed with exit code 1.`"
    assert first["line"] == 7  # in the cleaned log: markers and timestamps removed
    assert first["matches"][0]["title"] == MODULE["title"]
    assert first["matches"][0]["why"]["specificity"] > 0
    assert [e["role"] for e in errors[1:]] in (["consequence"], ["consequence", "warning"])
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["LogError"]
    assert {"role", "why", "line"} <= set(schema["properties"])
    assert set(schema["properties"]["role"]["enum"]) == {"failure", "consequence", "warning"}
