"""decide_intake: queue, ignore or refuse each delivery, checked on every real GitHub payload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from grimoire.core.events import Delivery
from grimoire.core.intake import decide_intake
from grimoire.sources import EVENT_TABLE, build_event_table, ci_run, pull_diff
from tests.fixtures import WEBHOOKS

FIXTURE_FILES = sorted(WEBHOOKS.glob("*/*.json"))
QUEUED = EVENT_TABLE.keys()
OPENED = (WEBHOOKS / "pull_request" / "opened.1.json").read_bytes()


def expected_verdict(event: str, action: str | None, payload: dict[str, object]) -> str:
    """DESIGN.md: pull_request opened, reopened, synchronize, ready_for_review are analysed;
    completed CI runs that failed are analysed, those that succeeded may resolve earlier
    failures, GitHub Actions' own check runs are read through their workflow run."""
    analysed = {"opened", "reopened", "synchronize", "ready_for_review"}
    if event in {"workflow_run", "check_run"} and action == "completed":
        run: Any = payload[event]
        if (run.get("app") or {}).get("slug") == "github-actions":
            return "ignore"
        return {"failure": "queue", "timed_out": "queue", "success": "resolve"}.get(
            run["conclusion"], "ignore"
        )
    return "queue" if event == "pull_request" and action in analysed else "ignore"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_payload_is_queued_or_ignored_as_the_design_says(path: Path) -> None:
    event, body = path.parent.name, path.read_bytes()
    payload = json.loads(body)
    action = payload.get("action")
    decision = decide_intake(event, body, form=False, queued=QUEUED)
    assert decision.verdict == expected_verdict(event, action, payload)
    assert (decision.delivery.event, decision.delivery.action) == (event, action)
    assert decision.payload == body
    assert decision.reason is None


def test_the_fixtures_cover_both_verdicts() -> None:
    verdicts = {
        decide_intake(p.parent.name, p.read_bytes(), form=False, queued=QUEUED).verdict
        for p in FIXTURE_FILES
    }
    assert verdicts == {"queue", "ignore", "resolve"}


def test_a_form_body_is_decided_on_its_payload_field_which_is_stored() -> None:
    body = urlencode({"payload": OPENED.decode()}).encode()
    decision = decide_intake("pull_request", body, form=True, queued=QUEUED)
    assert decision.verdict == "queue"
    assert decision.payload == OPENED
    assert decision.delivery.pr_number == json.loads(OPENED)["number"]


@pytest.mark.parametrize(
    ("event", "body", "form", "reason"),
    [
        ("pull_request", b"{not json", False, "not valid JSON"),
        ("pull_request", b'{"action": "opened"}', False, "lacks what Grimoire needs"),
        ("push", b"[1, 2]", False, "lacks what Grimoire needs"),
        ("pull_request", b"action=opened", True, "payload field"),
        ("pull_request", b"payload=%ZZ", True, "malformed"),
    ],
)
def test_an_unusable_body_is_refused_with_the_reason_and_kept_as_sent(
    event: str, body: bytes, form: bool, reason: str
) -> None:
    decision = decide_intake(event, body, form=form, queued=QUEUED)
    assert decision.verdict == "refuse"
    assert decision.reason is not None and reason in decision.reason
    assert decision.delivery == Delivery(event=event)
    assert decision.payload == body


def test_what_is_queued_is_exactly_the_event_table() -> None:
    closed = json.loads(OPENED) | {"action": "closed"}
    body = json.dumps(closed).encode()
    assert decide_intake("pull_request", body, form=False, queued=QUEUED).verdict == "ignore"
    table = {("pull_request", "closed")}
    assert decide_intake("pull_request", body, form=False, queued=table).verdict == "queue"
    assert decide_intake("pull_request", OPENED, form=False, queued=table).verdict == "ignore"
    assert decide_intake("pull_request", OPENED, form=False, queued=()).verdict == "ignore"


def test_the_event_table_refuses_a_pair_claimed_by_two_sources() -> None:
    assert set(EVENT_TABLE) == pull_diff.SOURCE.events | ci_run.SOURCE.events
    with pytest.raises(ValueError, match="handled by both"):
        build_event_table([pull_diff.SOURCE, pull_diff.PullRequestDiff()])
