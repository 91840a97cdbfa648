"""/openapi.json and /docs: a valid OpenAPI 3.1 document built from the handlers' own types,
and an interactive page whose assets all come from the package (it works offline)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx
import msgspec
import pytest
from openapi_spec_validator import validate

from grimoire.config import Settings
from grimoire.web.match import MatchRequest
from grimoire.web.schemas import ErrorBody, SpellIn, SpellOut
from tests.apps import running

# DESIGN.md, "Routes": every route a client may call, and what each may answer.
DOCUMENTED: dict[tuple[str, str], set[str]] = {
    ("post", "/webhook"): {"200", "202", "400", "401", "413", "503"},
    ("get", "/api/spells"): {"200", "401", "422"},
    ("post", "/api/spells"): {"201", "401", "422"},
    ("get", "/api/spells/{spell_id}"): {"200", "401", "404"},
    ("put", "/api/spells/{spell_id}"): {"200", "401", "404", "422"},
    ("patch", "/api/spells/{spell_id}"): {"200", "401", "404", "422"},
    ("delete", "/api/spells/{spell_id}"): {"204", "401", "404"},
    ("post", "/api/spells/{spell_id}/dry-run"): {"200", "401", "404", "422"},
    ("get", "/api/stats"): {"200", "401"},
    ("post", "/api/match"): {"200", "401", "422"},
    ("post", "/api/match/log"): {"200", "401", "422"},
    ("get", "/api/deliveries"): {"200", "401"},
    ("get", "/api/deliveries/{delivery_id}"): {"200", "401", "404"},
    ("post", "/api/deliveries/{delivery_id}/retry"): {"202", "401", "404"},
    ("get", "/api/analyses"): {"200", "401", "422"},
    ("get", "/api/analyses/{analysis_id}"): {"200", "401", "404"},
    ("get", "/api/fingerprints/{fingerprint}"): {"200", "401", "422"},
    ("get", "/health"): {"200", "503"},
    ("get", "/health/live"): {"200"},
    ("get", "/health/ready"): {"200", "503"},
}


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)  # raises, naming the offending part, if it is not


def test_every_route_and_status_of_the_design_is_documented(document: dict[str, Any]) -> None:
    operations = {
        (method, path): set(operation["responses"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == set(DOCUMENTED)
    for key, statuses in DOCUMENTED.items():
        assert statuses <= operations[key], key
    # The webhook reads its body as bytes: an unusable one is a 400, never a 422.
    assert "422" not in operations[("post", "/webhook")]


def test_every_error_answer_has_the_one_error_shape(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status, reply in operation["responses"].items():
                if int(status) < 400:
                    continue
                [media] = reply["content"].values()
                schema = schemas[media["schema"]["$ref"].rsplit("/", 1)[1]]
                # ErrorBody, or (GET /health's 503) the health report carrying its fields too
                fields = {"detail", "error_code", "timestamp"}
                assert fields <= set(schema["properties"]), (method, path, status)


@pytest.mark.parametrize("struct", [SpellIn, SpellOut, MatchRequest, ErrorBody])
def test_schemas_are_the_handlers_msgspec_types(
    document: dict[str, Any], struct: type[msgspec.Struct]
) -> None:
    # Generated from the types the handlers decode and encode, so never out of step with them.
    _, components = msgspec.json.schema_components(
        [struct], ref_template="#/components/schemas/{name}"
    )
    assert document["components"]["schemas"][struct.__name__] == components[struct.__name__]


def test_every_api_route_says_it_needs_the_bearer_token(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for (method, path), statuses in DOCUMENTED.items():
        secured = "security" in document["paths"][path][method]
        # /webhook's 401 is its signature, not the bearer token.
        assert secured == ("401" in statuses and path != "/webhook"), (method, path)
        assert secured == path.startswith("/api/"), (method, path)


async def test_public_reads_are_documented_without_security(app_settings: Settings) -> None:
    settings = dataclasses.replace(
        app_settings, api_token="t", api_public_reads=frozenset({"spells", "match"})
    )
    async with running(settings) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    open_ops = {
        (method, path)
        for path, methods in paths.items()
        for method, operation in methods.items()
        if path.startswith("/api/") and "security" not in operation
    }
    assert open_ops == {
        ("get", "/api/spells"),
        ("get", "/api/spells/{spell_id}"),
        ("post", "/api/spells/{spell_id}/dry-run"),  # a read: it saves nothing
        ("post", "/api/match"),
        ("post", "/api/match/log"),
    }


async def test_the_docs_page_loads_everything_from_the_service(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, page.text
    assert not [a for a in assets if "//" in a], "the page must not need the internet"
    assert '"/openapi.json"' in page.text
    kinds = set()
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 0
        kinds.add(response.headers["content-type"].split(";")[0])
    assert {"text/css", "text/javascript"} <= kinds or {
        "text/css",
        "application/javascript",
    } <= kinds


def test_patch_documents_a_body_of_optional_spell_fields(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/spells/{spell_id}"]["patch"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    spell_in = document["components"]["schemas"]["SpellIn"]
    assert set(schema["properties"]) == set(spell_in["properties"])
    assert not schema.get("required")
    assert "whole spell" in document["paths"]["/api/spells/{spell_id}"]["put"]["description"]
