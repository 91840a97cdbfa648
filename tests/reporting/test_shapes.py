"""Every request the service sends while reporting, checked against GitHub's REST documentation.

A full scenario (findings, a second push with more than 50 annotations, a clean push) runs end
to end against the fake GitHub; then each recorded request is matched to the documented endpoint
it calls and its method, headers, query and body are decoded into strict schemas written from
the docs (unknown fields refused):

- https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
- https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request (diff media type)
- https://docs.github.com/en/rest/issues/comments (list, create, update)
- https://docs.github.com/en/rest/checks/runs (create, update)
- https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api (headers)
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Literal

import jwt
import msgspec
import pytest

from tests.fakegithub import Recorded
from tests.reporting.stage import (
    APP_ID,
    AWS_KEY,
    CLEAN,
    DEBUGGER,
    KEY_LINE,
    REPO,
    WITH_BOTH,
    diff_adding,
    sha,
    stage,
)

Timestamp = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
Sha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{40}$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=65_535)]
Line = Annotated[int, msgspec.Meta(ge=1)]


class CommentBody(msgspec.Struct, forbid_unknown_fields=True):
    """POST /repos/{owner}/{repo}/issues/{n}/comments, PATCH .../issues/comments/{id}."""

    body: Annotated[str, msgspec.Meta(min_length=1, max_length=65_536)]


class AnnotationBody(msgspec.Struct, forbid_unknown_fields=True):
    path: Annotated[str, msgspec.Meta(min_length=1)]
    start_line: Line
    end_line: Line
    annotation_level: Literal["notice", "warning", "failure"]
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=65_535)]
    title: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    raw_details: Annotated[str, msgspec.Meta(max_length=65_535)] | None = None
    start_column: int | None = None
    end_column: int | None = None


class OutputBody(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1)]
    summary: Text
    text: Text | None = None
    annotations: Annotated[list[AnnotationBody], msgspec.Meta(max_length=50)] = []


Status = Literal["queued", "in_progress", "completed"]
Conclusion = Literal[
    "action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"
]


class CreateCheckRun(msgspec.Struct, forbid_unknown_fields=True):
    """POST /repos/{owner}/{repo}/check-runs."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    head_sha: Sha
    status: Status = "queued"
    details_url: str | None = None
    external_id: str | None = None
    started_at: Timestamp | None = None
    conclusion: Conclusion | None = None
    completed_at: Timestamp | None = None
    output: OutputBody | None = None


class UpdateCheckRun(msgspec.Struct, forbid_unknown_fields=True):
    """PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}."""

    name: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    started_at: Timestamp | None = None
    status: Status | None = None
    conclusion: Conclusion | None = None
    completed_at: Timestamp | None = None
    output: OutputBody | None = None


OWNER_REPO = r"/repos/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)"
# https://docs.github.com/en/rest/commits/commits#compare-two-commits: base...head, by commit id
COMPARE = r"/compare/[0-9a-f]{40}\.\.\.[0-9a-f]{40}"
ENDPOINTS: list[tuple[str, re.Pattern[str], type[msgspec.Struct] | None]] = [
    ("POST", re.compile(r"/app/installations/\d+/access_tokens"), None),
    ("GET", re.compile(OWNER_REPO + r"/pulls/\d+"), None),
    ("GET", re.compile(OWNER_REPO + COMPARE), None),
    ("GET", re.compile(OWNER_REPO + r"/issues/\d+/comments"), None),
    ("POST", re.compile(OWNER_REPO + r"/issues/\d+/comments"), CommentBody),
    ("PATCH", re.compile(OWNER_REPO + r"/issues/comments/\d+"), CommentBody),
    ("POST", re.compile(OWNER_REPO + r"/check-runs"), CreateCheckRun),
    ("PATCH", re.compile(OWNER_REPO + r"/check-runs/\d+"), UpdateCheckRun),
    ("GET", re.compile(OWNER_REPO + r"/commits/[0-9a-f]{40}/check-runs"), None),
]
# https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
CHECK_RUN_QUERY = {"check_name", "filter", "status", "app_id", "per_page", "page"}


def endpoint(request: Recorded) -> tuple[str, type[msgspec.Struct] | None]:
    """Name the documented endpoint a request calls (fail if it calls none)."""
    for method, path, schema in ENDPOINTS:
        if request.method == method and path.fullmatch(request.path):
            return f"{method} {path.pattern}", schema
    raise AssertionError(f"undocumented request: {request.method} {request.path}")


def check_headers(request: Recorded, *, diff: bool) -> None:
    """Every request: a User-Agent, the pinned API version, the right media type."""
    headers = request.headers
    assert headers["user-agent"].startswith("grimoire-engine/")
    assert headers["x-github-api-version"] == "2022-11-28"
    expected = "application/vnd.github.diff" if diff else "application/vnd.github+json"
    assert headers["accept"] == expected
    assert headers["authorization"].startswith("Bearer ")
    if request.body:
        assert headers["content-type"] == "application/json"


def check_request(request: Recorded, token_kind: str) -> str:
    """Check one request against its documented shape; return the endpoint's name."""
    name, schema = endpoint(request)
    # The diff of a head is its comparison with the base; the same URL with a query is its JSON
    # (the files list of a head too large to diff).
    compare = re.fullmatch(OWNER_REPO + COMPARE, request.path) is not None
    check_headers(request, diff=compare and not request.query)
    if request.path.startswith("/app/"):
        assert request.body == b""
        assert request.token is not None
        assert jwt.decode(request.token, options={"verify_signature": False})["iss"] == str(APP_ID)
    else:
        assert request.token is not None and request.token.startswith(token_kind)
    if request.method == "GET":
        assert request.body == b""
        allowed = CHECK_RUN_QUERY if request.path.endswith("/check-runs") else {"per_page", "page"}
        assert set(request.query) <= allowed
        assert request.query.get("filter", "all") in {"latest", "all"}
        assert 1 <= int(request.query.get("per_page", "30")) <= 100
    else:
        assert request.query == {}
    if schema is not None:
        decoded = msgspec.json.decode(request.body, type=schema)
        if isinstance(decoded, UpdateCheckRun) and decoded.conclusion is not None:
            assert decoded.status in {None, "completed"}
            assert decoded.completed_at is not None
    return name


@pytest.mark.parametrize(("auth", "token_kind"), [("app", "ghs_"), ("token", "ghp_")])
async def test_every_request_has_the_documented_shape(
    database_url: str, auth: Literal["app", "token"], token_kind: str
) -> None:
    many = diff_adding({f"keys/k{i:02}.py": [KEY_LINE] * 3 for i in range(20)})
    async with stage(database_url, auth=auth, public_url="https://grimoire.example") as s:
        await s.add_spell(AWS_KEY)
        await s.add_spell(DEBUGGER)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_BOTH, action="opened"))
        await s.reported(1, sha(2), await s.push(1, sha(2), many))
        await s.reported(1, sha(3), await s.push(1, sha(3), CLEAN))
        await s.reported(2, sha(4), await s.push(2, sha(4), CLEAN))
    assert all(r.status < 400 for r in s.fake.requests), [
        (r.method, r.path, r.status) for r in s.fake.requests if r.status >= 400
    ]
    called = Counter(check_request(r, token_kind) for r in s.fake.requests)
    checks = sum(n for name, n in called.items() if "check-runs" in name)
    assert (checks > 0) == (auth == "app")
    assert (
        sum(n for name, n in called.items() if name.startswith("POST") and "comments" in name) == 1
    )


async def test_check_runs_link_to_the_analysis_and_name_it(database_url: str) -> None:
    async with stage(database_url, auth="app", public_url="https://grimoire.example") as s:
        await s.add_spell(AWS_KEY)
        analysis = await s.reported(1, sha(1), await s.push(1, sha(1), WITH_BOTH))
    [create] = s.fake.requests_to("POST", f"/repos/{REPO}/check-runs")
    assert create.json["name"] == "Grimoire Engine"
    assert create.json["details_url"] == f"https://grimoire.example/analyses/{analysis['id']}"
    assert create.json["external_id"].startswith(f"{analysis['id']}/")
