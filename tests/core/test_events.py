"""decode_delivery: the few fields Grimoire uses, taken exactly from any GitHub payload."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grimoire.core.ci_events import CI_EVENTS
from grimoire.core.events import Delivery, decode_delivery, form_payload, pull_updated_at
from grimoire.core.intake import decide_intake
from grimoire.errors import InvalidPayload
from grimoire.sources import EVENT_TABLE
from grimoire.sources.pull_diff import ACTIONS as ANALYSED_ACTIONS
from tests.fixtures import WEBHOOKS

FIXTURES = WEBHOOKS
FIXTURE_FILES = sorted(FIXTURES.glob("*/*.json"))
EXAMPLES = settings(max_examples=150)
MAX_ID = 2**63 - 1

# JSON as GitHub could send it: any Unicode but lone surrogates, numbers of any size.
unicode = st.characters(exclude_categories=["Cs"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(unicode, max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(unicode), inner, max_size=4)
    ),
    max_leaves=12,
)


# Names decode_delivery reads at the top level: random extra fields never use them.
TOP_LEVEL = {"action", "pull_request", "repository", "installation", "sender"}


def with_extras(declared: set[str], fields: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``fields`` plus random fields whose names are not ``declared``."""
    names = st.text(unicode, max_size=12).filter(lambda name: name not in declared | TOP_LEVEL)
    return st.dictionaries(names, json_values, max_size=4).map(lambda extra: extra | fields)


def objects(declared: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with the ``declared`` fields (drawn) and random others."""
    drawn = st.fixed_dictionaries(declared)
    return drawn.flatmap(lambda fields: with_extras(set(declared), fields))


def optional(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Absent (``...``), JSON null, or a value."""
    return st.one_of(st.just(...), st.none(), value)


ids = st.integers(1, MAX_ID)
shas = st.text(unicode, min_size=1, max_size=64)
names = st.text(unicode, max_size=255)
actions = st.one_of(st.sampled_from(sorted(ANALYSED_ACTIONS)), st.text(unicode, max_size=100))
repositories = objects({"full_name": names, "id": ids})
installations = objects({"id": ids})
senders = objects({"login": names})


@st.composite
def pull_request_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A pull_request event body: what we read, at any valid value, among random extra fields."""
    pull = draw(
        objects({"number": ids, "head": objects({"sha": shas}), "base": objects({"sha": shas})})
    )
    payload = draw(
        objects({"action": actions, "pull_request": st.just(pull), "repository": repositories})
    )
    for key, strategy in (("installation", installations), ("sender", senders)):
        value = draw(optional(strategy))
        if value is not ...:
            payload[key] = value
    return payload


def encode(payload: Any, *, ascii_only: bool = False) -> bytes:
    return json.dumps(payload, ensure_ascii=ascii_only).encode()


def nested(payload: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(key)  # type: ignore[assignment]
    return payload


def expected_delivery(event: str, payload: dict[str, Any]) -> Delivery:
    """What decode_delivery must return, read straight from the payload."""
    pull = event == "pull_request"
    if event in CI_EVENTS and payload.get("action") == "completed":
        return expected_ci_delivery(event, payload)
    return Delivery(
        event=event,
        action=payload.get("action"),
        repository=nested(payload, "repository", "full_name"),
        pr_number=nested(payload, "pull_request", "number") if pull else None,
        head_sha=nested(payload, "pull_request", "head", "sha") if pull else None,
        base_sha=nested(payload, "pull_request", "base", "sha") if pull else None,
        installation_id=nested(payload, "installation", "id"),
        sender=nested(payload, "sender", "login"),
    )


def expected_ci_delivery(event: str, payload: dict[str, Any]) -> Delivery:
    """A completed CI run: its head, and its first pull request whose head is the run's."""
    run = payload[event]
    pulls = sorted(p["number"] for p in run["pull_requests"] if p["head"]["sha"] == run["head_sha"])
    delivery = decode_delivery(event, json.dumps(payload).encode())
    assert delivery.ci is not None
    assert (delivery.ci.run_id, delivery.ci.conclusion) == (run["id"], run["conclusion"])
    assert delivery.ci.pull_requests == tuple(pulls)
    return Delivery(
        event=event,
        action="completed",
        repository=payload["repository"]["full_name"],
        pr_number=pulls[0] if pulls else None,
        head_sha=run["head_sha"],
        installation_id=nested(payload, "installation", "id"),
        sender=nested(payload, "sender", "login"),
        ci=delivery.ci,
    )


# Property: for any pull_request payload, the PR reference (repository, number, head and base SHA,
# action, installation, sender) is exactly the payload's, whatever else the payload carries and
# however it is encoded.
@EXAMPLES
@given(payload=pull_request_payloads(), ascii_only=st.booleans())
def test_pull_request_fields_are_exactly_the_payloads(
    payload: dict[str, Any], ascii_only: bool
) -> None:
    body = encode(payload, ascii_only=ascii_only)
    delivery = decode_delivery("pull_request", body)
    assert delivery == expected_delivery("pull_request", payload)
    verdict = decide_intake("pull_request", body, form=False, queued=EVENT_TABLE.keys()).verdict
    assert verdict == ("queue" if payload["action"] in ANALYSED_ACTIONS else "ignore")


# Property: any other event decodes leniently: whatever is present of action, repository,
# installation and sender is taken, nothing is required, the PR fields stay empty.
@EXAMPLES
@given(
    event=st.sampled_from(["push", "ping", "issue_comment", "workflow_job", "installation", "x"]),
    action=optional(st.text(unicode, max_size=100)),
    repository=optional(repositories),
    installation=optional(installations),
    sender=optional(senders),
    base=objects({}),
)
def test_other_events_decode_leniently(
    event: str, action: Any, repository: Any, installation: Any, sender: Any, base: dict[str, Any]
) -> None:
    payload = dict(base)
    known = {"action": action, "repository": repository, "installation": installation}
    for key, value in (known | {"sender": sender}).items():
        if value is not ...:
            payload[key] = value
    body = encode(payload)
    assert decode_delivery(event, body) == expected_delivery(event, payload)
    assert decide_intake(event, body, form=False, queued=EVENT_TABLE.keys()).verdict == "ignore"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_payload_decodes(path: Path) -> None:
    event = path.parent.name
    body = path.read_bytes()
    delivery = decode_delivery(event, body)
    assert delivery == expected_delivery(event, json.loads(body))
    if event == "pull_request":
        assert delivery.repository == "Codertocat/Hello-World"
        assert delivery.pr_number == 2
        assert delivery.head_sha and delivery.base_sha


def test_fixtures_are_there() -> None:
    events = {path.parent.name for path in FIXTURE_FILES}
    assert {"pull_request", "ping", "push"} <= events
    assert len(FIXTURE_FILES) >= 30


OPENED = json.loads((FIXTURES / "pull_request" / "opened.1.json").read_bytes())


def without(payload: dict[str, Any], *path: str) -> dict[str, Any]:
    copied = copy.deepcopy(payload)
    parent = copied
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return copied


def replaced(payload: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    copied = copy.deepcopy(payload)
    parent = copied
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copied


@pytest.mark.parametrize(
    "path",
    [
        ("action",),
        ("pull_request",),
        ("pull_request", "number"),
        ("pull_request", "head"),
        ("pull_request", "head", "sha"),
        ("pull_request", "base"),
        ("pull_request", "base", "sha"),
        ("repository",),
        ("repository", "full_name"),
    ],
    ids="/".join,
)
def test_pull_request_missing_what_we_need_is_invalid(path: tuple[str, ...]) -> None:
    with pytest.raises(InvalidPayload, match="lacks what Grimoire needs"):
        decode_delivery("pull_request", encode(without(OPENED, *path)))


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (None, ("action",)),
        ("x" * 101, ("action",)),
        (None, ("pull_request",)),
        (0, ("pull_request", "number")),
        (-2, ("pull_request", "number")),
        (2**63, ("pull_request", "number")),
        ("2", ("pull_request", "number")),
        (2.5, ("pull_request", "number")),
        (True, ("pull_request", "number")),
        ("", ("pull_request", "head", "sha")),
        ("a" * 65, ("pull_request", "head", "sha")),
        (None, ("pull_request", "base", "sha")),
        ("o/" + "r" * 254, ("repository", "full_name")),
        (None, ("repository",)),
        ({"id": 0}, ("installation",)),
        ({"login": None}, ("sender",)),
    ],
)
def test_pull_request_with_unusable_values_is_invalid(value: Any, path: tuple[str, ...]) -> None:
    with pytest.raises(InvalidPayload):
        decode_delivery("pull_request", encode(replaced(OPENED, value, *path)))


@pytest.mark.parametrize("event", ["pull_request", "push", "ping"])
@pytest.mark.parametrize(
    "body", [b"", b"Hello, World!", b"{", b'{"action": "opened"', b"\xff\xfe", b"{}{}"]
)
def test_not_json_is_invalid(event: str, body: bytes) -> None:
    with pytest.raises(InvalidPayload):
        decode_delivery(event, body)


@pytest.mark.parametrize("event", ["pull_request", "push"])
@pytest.mark.parametrize("body", [b"[]", b'"opened"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_invalid(event: str, body: bytes) -> None:
    with pytest.raises(InvalidPayload):
        decode_delivery(event, body)


def test_an_empty_object_is_enough_for_other_events() -> None:
    assert decode_delivery("push", b"{}") == Delivery(event="push")
    assert decode_delivery("ping", b'{"zen": "Design for failure."}') == Delivery(event="ping")


# -- form-encoded deliveries (content type application/x-www-form-urlencoded) -----------------


# Property: the JSON a form-encoded delivery carries comes back byte for byte, whatever it holds.
@settings(max_examples=200)
@given(
    document=st.text(st.characters(exclude_categories=["Cs"]), min_size=1),
    extra=st.dictionaries(st.text(min_size=1), st.text(), max_size=3),
)
def test_form_payload_returns_the_payload_field_exactly(
    document: str, extra: dict[str, str]
) -> None:
    fields = {key: value for key, value in extra.items() if key != "payload"}
    body = urlencode({**fields, "payload": document}).encode()
    assert form_payload(body) == document.encode()


@pytest.mark.parametrize("body", [b"", b"action=opened", b"payloads=%7B%7D", b"payload="])
def test_form_without_a_payload_field_is_invalid(body: bytes) -> None:
    with pytest.raises(InvalidPayload, match="payload field"):
        form_payload(body)


@pytest.mark.parametrize("body", [b"payload", b"payload=\xc3\xa9", b"payload=%ff%fe"])
def test_malformed_form_is_invalid(body: bytes) -> None:
    with pytest.raises(InvalidPayload, match="malformed"):
        form_payload(body)


def test_the_signed_updated_at_orders_pull_request_deliveries() -> None:
    body = (FIXTURES / "pull_request" / "opened.1.json").read_bytes()
    assert pull_updated_at(body) == datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC)
    # Unstated, naive, emptied by retention or not JSON: no order from the body.
    assert pull_updated_at(b'{"pull_request": {"number": 1}}') is None
    assert pull_updated_at(b'{"pull_request": {"updated_at": "2019-05-15T15:20:33"}}') is None
    assert pull_updated_at(b"") is None
    assert pull_updated_at(b"[" * 5000) is None
