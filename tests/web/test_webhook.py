"""POST /webhook and /api/deliveries over HTTP: real GitHub payloads in, every failure row out."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.app import create_app
from grimoire.config import Settings
from grimoire.core.webhook_signature import sign
from grimoire.sources.pull_diff import ACTIONS as ANALYSED_ACTIONS
from grimoire.storage.db import create_engine, create_sessions
from grimoire.storage.tables import Delivery
from grimoire.web.webhook import WEBHOOK_BODY_LIMIT
from tests.apps import running
from tests.conftest import API_TOKEN, WEBHOOK_SECRET
from tests.fixtures import WEBHOOKS
from tests.servers import serve
from tests.web.errors import assert_error, error_paths

FIXTURES = WEBHOOKS
OPENED = (FIXTURES / "pull_request" / "opened.1.json").read_bytes()
CLOSED = (FIXTURES / "pull_request" / "closed.0.json").read_bytes()
PUSH = (FIXTURES / "push" / "0.json").read_bytes()
REPOSITORY = "Codertocat/Hello-World"
# GitHub's documented example: this signature is right for this body, which is not JSON.
VECTOR_BODY = b"Hello, World!"
VECTOR_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def headers(
    body: bytes,
    *,
    event: str = "pull_request",
    delivery: str | None = None,
    secret: str = WEBHOOK_SECRET,
) -> dict[str, str]:
    """The headers GitHub sends with ``body``."""
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
    }


async def deliver(
    client: httpx.AsyncClient, body: bytes, **options: Any
) -> tuple[httpx.Response, str]:
    """POST a signed delivery; return the response and the delivery id."""
    sent = headers(body, **options)
    response = await client.post("/webhook", content=body, headers=sent)
    return response, sent["X-GitHub-Delivery"]


async def delivery(client: httpx.AsyncClient, delivery_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/deliveries/{delivery_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pull_request(number: int, *, action: str = "opened", repository: str = REPOSITORY) -> bytes:
    """The opened fixture, edited to another PR (and action, repository)."""
    payload = json.loads(OPENED)
    payload["action"] = action
    payload["number"] = payload["pull_request"]["number"] = number
    payload["repository"]["full_name"] = repository
    return json.dumps(payload).encode()


@pytest.fixture
async def sessions(app_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Direct access to the test app's database, to put deliveries in states routes do not."""
    engine = create_engine(app_settings.database_url)
    yield create_sessions(engine)
    await engine.dispose()


async def set_delivery(
    sessions: async_sessionmaker[AsyncSession], delivery_id: str, **values: Any
) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


# -- every real payload --------------------------------------------------------------------------


def expected_outcome(event: str, payload: dict[str, Any]) -> tuple[int, str, str]:
    """(HTTP status, ack status, stored status) that DESIGN.md's webhook semantics require."""
    if event == "ping":
        return 200, "pong", "ignored"
    if event == "pull_request" and payload["action"] in ANALYSED_ACTIONS:
        return 202, "queued", "queued"
    return 202, "ignored", "ignored"


def expected_head(event: str, payload: dict[str, Any]) -> tuple[int | None, str | None]:
    """The pull request and head a delivery is recorded with: a PR's, or a completed CI run's
    (its first pull request whose head is the run's)."""
    if event == "pull_request":
        return payload["pull_request"]["number"], payload["pull_request"]["head"]["sha"]
    if event in {"workflow_run", "check_run"} and payload.get("action") == "completed":
        run = payload[event]
        pulls = [p["number"] for p in run["pull_requests"] if p["head"]["sha"] == run["head_sha"]]
        return (min(pulls) if pulls else None), run["head_sha"]
    return None, None


async def test_every_real_payload_is_accepted_and_recorded(client: httpx.AsyncClient) -> None:
    files = sorted(FIXTURES.glob("*/*.json"))
    assert len(files) >= 30
    for path in files:
        event, body = path.parent.name, path.read_bytes()
        payload = json.loads(body)
        status, ack, stored = expected_outcome(event, payload)
        response, delivery_id = await deliver(client, body, event=event)
        where = f"{event}/{path.name}"
        assert response.status_code == status, (where, response.text)
        assert response.json() == {"status": ack, "delivery_id": delivery_id, "event": event}
        recorded = await delivery(client, delivery_id)
        number, head = expected_head(event, payload)
        assert {
            key: recorded[key] for key in ("event", "action", "repository", "pr_number", "status")
        } == {
            "event": event,
            "action": payload.get("action"),
            "repository": (payload.get("repository") or {}).get("full_name"),
            "pr_number": number,
            "status": stored,
        }, where
        assert recorded["head_sha"] == head, where
        assert recorded["attempts"] == 0, where
        assert recorded["last_error"] is None, where
        datetime.fromisoformat(recorded["received_at"])
    listed = await client.get("/api/deliveries", params={"limit": 100})
    assert listed.headers["x-total-count"] == str(len(files))


async def test_queued_delivery_is_recorded_for_the_worker(client: httpx.AsyncClient) -> None:
    response, delivery_id = await deliver(client, OPENED)
    assert response.status_code == 202
    recorded = await delivery(client, delivery_id)
    assert recorded["status"] == "queued"
    assert recorded["processed_at"] is None
    assert recorded["next_attempt_at"] is not None
    assert recorded["installation_id"] == json.loads(OPENED)["installation"]["id"]
    assert recorded["sender"] == "Codertocat"


async def test_form_encoded_delivery_is_accepted(client: httpx.AsyncClient) -> None:
    # GitHub's other content type: the JSON in a payload field, the signature over the form.
    body = urlencode({"payload": OPENED.decode()}).encode()
    sent = {**headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/webhook", content=body, headers=sent)
    assert response.status_code == 202, response.text
    recorded = await delivery(client, sent["X-GitHub-Delivery"])
    assert (recorded["status"], recorded["repository"]) == ("queued", REPOSITORY)
    assert recorded["pr_number"] == json.loads(OPENED)["number"]


async def test_form_encoded_delivery_without_payload_is_400_and_recorded(
    client: httpx.AsyncClient,
) -> None:
    body = b"action=opened"
    sent = {**headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/webhook", content=body, headers=sent)
    detail = assert_error(response, 400, "INVALID_PAYLOAD")["detail"]
    assert "payload field" in detail
    assert (await delivery(client, sent["X-GitHub-Delivery"]))["status"] == "failed"


# -- refusals ------------------------------------------------------------------------------------


async def test_githubs_test_vector_is_signed_right_but_not_a_payload(
    client: httpx.AsyncClient,
) -> None:
    sent = headers(VECTOR_BODY)
    assert sent["X-Hub-Signature-256"] == VECTOR_SIGNATURE
    response = await client.post("/webhook", content=VECTOR_BODY, headers=sent)
    assert_error(response, 400, "INVALID_PAYLOAD")
    recorded = await delivery(client, sent["X-GitHub-Delivery"])
    assert recorded["status"] == "failed"
    assert recorded["event"] == "pull_request"
    assert "JSON" in recorded["last_error"]


async def test_malformed_json_is_400_and_recorded_failed(client: httpx.AsyncClient) -> None:
    body = OPENED[:-10]
    response, delivery_id = await deliver(client, body)
    assert_error(response, 400, "INVALID_PAYLOAD")
    assert (await delivery(client, delivery_id))["status"] == "failed"


async def test_pull_request_lacking_fields_is_400(client: httpx.AsyncClient) -> None:
    payload = json.loads(OPENED)
    del payload["pull_request"]["head"]
    response, delivery_id = await deliver(client, json.dumps(payload).encode())
    body = assert_error(response, 400, "INVALID_PAYLOAD")
    assert "pull_request" in body["detail"]
    assert (await delivery(client, delivery_id))["status"] == "failed"


def tampered(body: bytes) -> dict[str, str]:
    sent = headers(body)
    sent["X-Hub-Signature-256"] = sign(WEBHOOK_SECRET, body + b" ")
    return sent


def sha1_only(body: bytes) -> dict[str, str]:
    sent = headers(body)
    del sent["X-Hub-Signature-256"]
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()
    sent["X-Hub-Signature"] = f"sha1={digest}"
    return sent


def uppercase_hex(body: bytes) -> dict[str, str]:
    sent = headers(body)
    sent["X-Hub-Signature-256"] = "sha256=" + sign(WEBHOOK_SECRET, body)[7:].upper()
    return sent


def missing_signature(body: bytes) -> dict[str, str]:
    sent = headers(body)
    del sent["X-Hub-Signature-256"]
    return sent


BAD_SIGNATURES: dict[str, tuple[Callable[[bytes], dict[str, str]], str]] = {
    "tampered body": (tampered, "does not match"),
    "wrong secret": (
        lambda body: headers(body, secret="It's a Secret to Nobody"),
        "does not match",
    ),
    "secret plus a space": (
        lambda body: headers(body, secret=WEBHOOK_SECRET + " "),
        "does not match",
    ),
    "sha1 only": (sha1_only, "sha1"),
    "missing": (missing_signature, "missing"),
    "uppercase hex": (uppercase_hex, "does not match"),
}


async def test_bad_signature_is_401_and_not_recorded(client: httpx.AsyncClient) -> None:
    for case, (make_headers, detail) in BAD_SIGNATURES.items():
        sent = make_headers(OPENED)
        response = await client.post("/webhook", content=OPENED, headers=sent)
        body = assert_error(response, 401, "INVALID_SIGNATURE")
        assert detail in body["detail"], case
        gone = await client.get(f"/api/deliveries/{sent['X-GitHub-Delivery']}")
        assert_error(gone, 404, "DELIVERY_NOT_FOUND")
    assert (await client.get("/api/deliveries")).headers["x-total-count"] == "0"


async def test_signature_is_checked_before_anything_else(client: httpx.AsyncClient) -> None:
    """No headers, not JSON, no signature: the answer is 401, nothing about the body leaks."""
    response = await client.post("/webhook", content=b"not json")
    assert_error(response, 401, "INVALID_SIGNATURE")


@pytest.mark.parametrize("header", ["X-GitHub-Event", "X-GitHub-Delivery"])
async def test_missing_github_header_is_400(client: httpx.AsyncClient, header: str) -> None:
    for value in (None, "", "   "):
        sent = headers(OPENED)
        if value is None:
            del sent[header]
        else:
            sent[header] = value
        response = await client.post("/webhook", content=OPENED, headers=sent)
        body = assert_error(response, 400, "INVALID_PAYLOAD")
        assert header.lower() in body["detail"], value
    assert (await client.get("/api/deliveries")).headers["x-total-count"] == "0"


async def test_overlong_delivery_id_is_400(client: httpx.AsyncClient) -> None:
    response, _ = await deliver(client, OPENED, delivery="x" * 101)
    assert_error(response, 400, "INVALID_PAYLOAD")


async def test_body_over_25_mib_with_content_length_is_413(client: httpx.AsyncClient) -> None:
    body = b" " * (WEBHOOK_BODY_LIMIT + 1)
    response = await client.post("/webhook", content=body, headers=headers(body))
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_over_25_mib_chunked_is_413(client: httpx.AsyncClient) -> None:
    chunk = b" " * (1024 * 1024)
    sent_chunks = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent_chunks
        for _ in range(40):
            sent_chunks += 1
            yield chunk

    sent = headers(b"")  # the signature is never reached
    response = await client.post("/webhook", content=stream(), headers=sent)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert sent_chunks <= 27  # it stopped reading once past the limit


async def test_body_over_25_mib_is_413_over_real_http(app_settings: Settings) -> None:
    """Through uvicorn too: the client gets the 413, with or without Content-Length."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b" " * (1024 * 1024)

    body = b" " * (WEBHOOK_BODY_LIMIT + 1)
    async with (
        serve(create_app(app_settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        sized = await http.post("/webhook", content=body, headers=headers(body))
        assert_error(sized, 413, "PAYLOAD_TOO_LARGE")
        chunked = await http.post("/webhook", content=chunks(), headers=headers(b""))
        assert_error(chunked, 413, "PAYLOAD_TOO_LARGE")
        assert (await http.get("/api/deliveries")).headers["x-total-count"] == "0"


async def test_body_of_exactly_25_mib_is_read(client: httpx.AsyncClient) -> None:
    """At the limit the body is read and judged by its signature (here: 400, not JSON)."""
    body = b" " * WEBHOOK_BODY_LIMIT
    response = await client.post("/webhook", content=body, headers=headers(body))
    assert_error(response, 400, "INVALID_PAYLOAD")


async def test_no_secret_is_503_saying_how_to_configure(app_settings: Settings) -> None:
    settings = dataclasses.replace(app_settings, github_webhook_secret=None)
    async with running(settings) as client:
        response, _ = await deliver(client, OPENED)
        body = assert_error(response, 503, "WEBHOOK_NOT_CONFIGURED")
        assert "GITHUB_WEBHOOK_SECRET" in body["detail"]
        # Unsigned or unsigned-able: still 503, never a 401 that hides the misconfiguration.
        response = await client.post("/webhook", content=b"{}")
        assert_error(response, 503, "WEBHOOK_NOT_CONFIGURED")
        assert (await client.get("/api/deliveries")).headers["x-total-count"] == "0"


async def test_rotation_accepts_current_and_previous_secret(app_settings: Settings) -> None:
    settings = dataclasses.replace(
        app_settings,
        github_webhook_secret='new, "rotated" sécret',
        github_webhook_previous_secret=WEBHOOK_SECRET,
    )
    async with running(settings) as client:
        for secret, number in ((WEBHOOK_SECRET, 1), ('new, "rotated" sécret', 2)):
            response, _ = await deliver(client, pull_request(number), secret=secret)
            assert response.status_code == 202, response.text
        response, _ = await deliver(client, pull_request(3), secret="new")
        assert_error(response, 401, "INVALID_SIGNATURE")


# -- idempotency ---------------------------------------------------------------------------------


async def test_duplicate_delivery_is_200_and_not_queued_twice(client: httpx.AsyncClient) -> None:
    first, delivery_id = await deliver(client, OPENED)
    assert first.status_code == 202
    before = await delivery(client, delivery_id)
    again, _ = await deliver(client, OPENED, delivery=delivery_id)
    assert again.status_code == 200
    assert again.json() == {
        "status": "duplicate",
        "delivery_id": delivery_id,
        "event": "pull_request",
    }
    assert await delivery(client, delivery_id) == before
    listed = await client.get("/api/deliveries")
    assert listed.headers["x-total-count"] == "1"


@pytest.mark.parametrize("status", ["queued", "processing", "done", "ignored"])
async def test_redelivery_of_a_delivery_that_did_not_fail_is_a_duplicate(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], status: str
) -> None:
    _, delivery_id = await deliver(client, OPENED)
    await set_delivery(sessions, delivery_id, status=status, attempts=1)
    again, _ = await deliver(client, OPENED, delivery=delivery_id)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    recorded = await delivery(client, delivery_id)
    assert (recorded["status"], recorded["attempts"]) == (status, 1)


async def test_redelivery_of_an_ignored_event_is_a_duplicate(client: httpx.AsyncClient) -> None:
    _, delivery_id = await deliver(client, PUSH, event="push")
    again, _ = await deliver(client, PUSH, event="push", delivery=delivery_id)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"


async def test_redelivery_of_a_failed_delivery_is_queued_again(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, delivery_id = await deliver(client, OPENED)
    now = datetime.now(UTC)
    await set_delivery(
        sessions,
        delivery_id,
        status="failed",
        attempts=8,
        last_error="GitHubRejected: Not Found",
        processed_at=now,
    )
    assert (await delivery(client, delivery_id))["status"] == "failed"
    again, _ = await deliver(client, OPENED, delivery=delivery_id)
    assert again.status_code == 202
    assert again.json() == {"status": "queued", "delivery_id": delivery_id, "event": "pull_request"}
    recorded = await delivery(client, delivery_id)
    assert (recorded["status"], recorded["attempts"]) == ("queued", 0)
    assert recorded["next_attempt_at"] is not None
    listed = await client.get("/api/deliveries")
    assert listed.headers["x-total-count"] == "1"
    # Queued now: a third copy is a duplicate again.
    third, _ = await deliver(client, OPENED, delivery=delivery_id)
    assert third.json()["status"] == "duplicate"


# -- /api/deliveries -----------------------------------------------------------------------------


async def seed(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """Deliver a mix: queued PRs in two repositories, ignored events, one failed body."""
    ids: dict[str, list[str]] = {"queued": [], "ignored": [], "failed": [], "other": []}
    for number in range(1, 5):
        _, delivery_id = await deliver(client, pull_request(number))
        ids["queued"].append(delivery_id)
    _, delivery_id = await deliver(client, pull_request(9, repository="octo/other"))
    ids["other"].append(delivery_id)
    _, delivery_id = await deliver(client, CLOSED)
    ids["ignored"].append(delivery_id)
    _, delivery_id = await deliver(client, PUSH, event="push")
    ids["ignored"].append(delivery_id)
    _, delivery_id = await deliver(client, b"{oops")
    ids["failed"].append(delivery_id)
    return ids


async def test_list_is_newest_first_with_total(client: httpx.AsyncClient) -> None:
    ids = await seed(client)
    response = await client.get("/api/deliveries")
    assert response.status_code == 200
    assert response.headers["x-total-count"] == "8"
    listed = [item["id"] for item in response.json()]
    sent = [*ids["queued"], *ids["other"], *ids["ignored"], *ids["failed"]]
    assert listed == sent[::-1]


async def test_list_pages_add_up_to_the_whole(client: httpx.AsyncClient) -> None:
    await seed(client)
    whole = [item["id"] for item in (await client.get("/api/deliveries")).json()]
    pages: list[str] = []
    for skip in range(0, 10, 3):
        response = await client.get("/api/deliveries", params={"skip": skip, "limit": 3})
        assert response.headers["x-total-count"] == "8"
        assert len(response.json()) == len(whole[skip : skip + 3])
        pages.extend(item["id"] for item in response.json())
    assert pages == whole
    beyond = await client.get("/api/deliveries", params={"skip": 100})
    assert beyond.json() == []
    assert beyond.headers["x-total-count"] == "8"


FILTERS: list[tuple[dict[str, str], tuple[str, ...]]] = [
    ({"status": "queued"}, ("queued", "other")),
    ({"status": "ignored"}, ("ignored",)),
    ({"status": "failed"}, ("failed",)),
    ({"status": "done"}, ()),
    ({"repository": "octo/other"}, ("other",)),
    ({"repository": "octo/other", "status": "ignored"}, ()),
    ({"repository": "nobody/nothing"}, ()),
]


async def test_list_filters(client: httpx.AsyncClient) -> None:
    ids = await seed(client)
    for params, groups in FILTERS:
        response = await client.get("/api/deliveries", params=params)
        assert response.status_code == 200
        expected = {delivery_id for name in groups for delivery_id in ids[name]}
        assert response.headers["x-total-count"] == str(len(expected)), params
        assert {item["id"] for item in response.json()} == expected, params
        for item in response.json():
            for name, value in params.items():
                assert item[name] == value


async def test_list_filters_by_repository_with_paging(client: httpx.AsyncClient) -> None:
    ids = await seed(client)
    response = await client.get(
        "/api/deliveries", params={"repository": REPOSITORY, "skip": 1, "limit": 2}
    )
    mine = [*ids["queued"], *ids["ignored"]]  # 4 opened, closed and push: all in REPOSITORY
    assert response.headers["x-total-count"] == str(len(mine))
    assert [item["id"] for item in response.json()] == mine[::-1][1:3]


BAD_QUERIES = {
    "status=weird": ["query.status"],
    "status=": ["query.status"],
    "status=QUEUED": ["query.status"],
    "limit=0": ["query.limit"],
    "limit=101": ["query.limit"],
    "limit=many": ["query.limit"],
    "skip=-1": ["query.skip"],
}


async def test_list_rejects_bad_parameters(client: httpx.AsyncClient) -> None:
    for query, paths in BAD_QUERIES.items():
        response = await client.get(f"/api/deliveries?{query}")
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert sorted(error["path"] for error in body["errors"]) == paths, query


async def test_unknown_delivery_is_404(client: httpx.AsyncClient) -> None:
    for delivery_id in ("nope", str(uuid.uuid4()), "%20", "a" * 300):
        response = await client.get(f"/api/deliveries/{delivery_id}")
        assert_error(response, 404, "DELIVERY_NOT_FOUND")


# -- retry ---------------------------------------------------------------------------------------


@pytest.fixture
async def guarded(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app whose writes need API_TOKEN."""
    async with running(dataclasses.replace(app_settings, api_token=API_TOKEN)) as http:
        yield http


async def test_retry_needs_the_api_token(
    guarded: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, delivery_id = await deliver(guarded, OPENED)
    await set_delivery(sessions, delivery_id, status="failed", attempts=8)
    for auth in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {API_TOKEN}x"},
        {"Authorization": API_TOKEN},
        {"X-Api-Token": API_TOKEN},
    ):
        response = await guarded.post(f"/api/deliveries/{delivery_id}/retry", headers=auth)
        assert_error(response, 401, "UNAUTHORIZED")
    missing = await guarded.post("/api/deliveries/nope/retry")
    assert_error(missing, 401, "UNAUTHORIZED")  # authentication first: ids are not probed
    recorded = await delivery(guarded, delivery_id)
    assert (recorded["status"], recorded["attempts"]) == ("failed", 8)


async def test_retry_requeues_with_fresh_attempts(
    guarded: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, delivery_id = await deliver(guarded, OPENED)
    await set_delivery(
        sessions, delivery_id, status="failed", attempts=8, last_error="GitHubRejected: gone"
    )
    response = await guarded.post(f"/api/deliveries/{delivery_id}/retry", headers=AUTH)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["id"], body["status"], body["attempts"]) == (delivery_id, "queued", 0)
    assert body["next_attempt_at"] is not None
    assert await delivery(guarded, delivery_id) == body


async def test_retry_leaves_a_delivery_in_flight_alone(
    guarded: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, delivery_id = await deliver(guarded, OPENED)
    await set_delivery(sessions, delivery_id, status="processing", attempts=1)
    response = await guarded.post(f"/api/deliveries/{delivery_id}/retry", headers=AUTH)
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["attempts"]) == ("processing", 1)


async def test_retry_of_unknown_delivery_is_404(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post("/api/deliveries/nope/retry", headers=AUTH)
    assert_error(response, 404, "DELIVERY_NOT_FOUND")


async def test_retry_is_open_without_api_token(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, delivery_id = await deliver(client, OPENED)
    await set_delivery(sessions, delivery_id, status="failed")
    response = await client.post(f"/api/deliveries/{delivery_id}/retry")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"


async def test_retry_of_an_ignored_delivery_is_409(guarded: httpx.AsyncClient) -> None:
    _, delivery_id = await deliver(guarded, CLOSED)
    assert (await delivery(guarded, delivery_id))["status"] == "ignored"
    response = await guarded.post(f"/api/deliveries/{delivery_id}/retry", headers=AUTH)
    assert_error(response, 409, "CONFLICT")
    assert (await delivery(guarded, delivery_id))["status"] == "ignored"


async def test_every_bad_list_parameter_is_named(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/deliveries", params={"status": "x", "limit": 0})
    assert_error(response, 422, "VALIDATION_ERROR")
    assert error_paths(response) == {"query.status", "query.limit"}
    response = await client.get("/api/analyses", params={"pr": "x", "skip": -1})
    assert error_paths(response) == {"query.pr", "query.skip"}
