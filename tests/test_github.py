"""GitHubClient against the fake GitHub over real HTTP: shapes, retries, limits and refusals.

App authentication and write pacing are in tests/github/test_app.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest

from grimoire import __version__
from grimoire.core.diff import FilePatch
from grimoire.core.limits import MAX_CHECK_TEXT_BYTES
from grimoire.errors import (
    DiffTooLarge,
    GitHubRateLimited,
    GitHubRejected,
    GitHubUnavailable,
)
from grimoire.github import (
    Annotation,
    GitHubClient,
    RetryPolicy,
    TokenAuth,
    create_http_client,
)
from grimoire.github.checks import TRUNCATED
from grimoire.github.etags import ETagCache, cache_key, identity
from tests.fakegithub import FakeClock, FakeGitHub
from tests.servers import AppSlot, serve

# No waiting between retries: the tests count attempts, not seconds.
NO_WAIT = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
TEST_TIMEOUT = httpx.Timeout(2.0, read=1.0)
DIFF = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
REPO = "octo/widgets"


@pytest.fixture(scope="module")
async def slot() -> AsyncIterator[AppSlot]:
    """One server for the module; each test puts its fake in the slot."""
    slot = AppSlot()
    async with serve(slot, lifespan="off") as url:
        slot.url = url
        yield slot


@asynccontextmanager
async def connect(
    slot: AppSlot,
    fake: FakeGitHub,
    *,
    token: str | None = None,
    path: str = "",
    http_timeout: httpx.Timeout = TEST_TIMEOUT,
    retry: RetryPolicy = NO_WAIT,
    now: FakeClock | None = None,
    max_diff_bytes: int = 1 << 20,
) -> AsyncIterator[GitHubClient]:
    """Serve ``fake`` and yield a token-authenticated client pointed at it."""
    slot.app = fake
    async with create_http_client(base_url=slot.url + path, timeout=http_timeout) as http:
        yield GitHubClient(
            http,
            auth=TokenAuth(token or fake.add_token()),
            retry=retry,
            write_spacing=0.0,
            max_diff_bytes=max_diff_bytes,
            **({"now": now} if now else {}),
        )


@pytest.fixture
def fake() -> FakeGitHub:
    fake = FakeGitHub()
    fake.add_pull(REPO, 1, diff=DIFF, files=[{"filename": "a.py", "patch": "@@ -1 +1 @@"}])
    return fake


@pytest.fixture
async def github(slot: AppSlot, fake: FakeGitHub) -> AsyncIterator[GitHubClient]:
    async with connect(slot, fake, token=fake.add_token("ghp_fixture")) as client:
        yield client


# -- headers, paths, base URL ------------------------------------------------------------------


async def test_diff_request_shape(fake: FakeGitHub, github: GitHubClient) -> None:
    assert await github.pull_diff(REPO, 1) == DIFF
    [request] = fake.requests
    assert (request.method, request.path, request.query) == ("GET", f"/repos/{REPO}/pulls/1", {})
    assert request.headers["authorization"] == "Bearer ghp_fixture"
    assert request.headers["accept"] == "application/vnd.github.diff"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"] == f"grimoire-engine/{__version__}"


async def test_json_requests_ask_for_github_json(fake: FakeGitHub, github: GitHubClient) -> None:
    assert await github.pull_files(REPO, 1) == [
        FilePatch(filename="a.py", status="modified", patch="@@ -1 +1 @@")
    ]
    [request] = fake.requests
    assert request.path == f"/repos/{REPO}/pulls/1/files"
    assert request.query == {"per_page": "100"}
    assert request.headers["accept"] == "application/vnd.github+json"


@pytest.mark.parametrize("suffix", ["/api/v3", "/api/v3/"])
async def test_enterprise_server_base_url_keeps_its_path(slot: AppSlot, suffix: str) -> None:
    fake = FakeGitHub(prefix="/api/v3")
    files = [{"filename": f"f{i}.py"} for i in range(150)]
    fake.add_pull(REPO, 2, diff=DIFF, files=files)
    async with connect(slot, fake, path=suffix) as github:
        assert await github.pull_diff(REPO, 2) == DIFF
        assert len(await github.pull_files(REPO, 2)) == 150
    assert [r.full_path for r in fake.requests] == [
        f"/api/v3/repos/{REPO}/pulls/2",
        f"/api/v3/repos/{REPO}/pulls/2/files",
        f"/api/v3/repos/{REPO}/pulls/2/files",
    ]
    assert all(r.status == 200 for r in fake.requests)


@pytest.mark.parametrize(
    "url", ["ftp://ghe.example.com", "ghe.example.com/api/v3", "https://h/?q=1"]
)
def test_base_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="GITHUB_API_URL"):
        create_http_client(base_url=url)


@pytest.mark.parametrize("repository", ["octo", "../etc/passwd", "octo/..", "a/b/c", "o/r?x=1"])
async def test_repository_must_be_owner_slash_name(github: GitHubClient, repository: str) -> None:
    with pytest.raises(ValueError, match="owner/name"):
        await github.pull_diff(repository, 1)


# -- diffs and files ---------------------------------------------------------------------------


@pytest.mark.parametrize("too_large", ["files", "lines"])
async def test_too_large_diff_raises_diff_too_large(
    slot: AppSlot, fake: FakeGitHub, too_large: str
) -> None:
    fake.add_pull(REPO, 3, too_large=too_large)  # type: ignore[arg-type]
    async with connect(slot, fake) as github:
        with pytest.raises(DiffTooLarge, match="exceeded the maximum number") as caught:
            await github.pull_diff(REPO, 3)
    assert caught.value.status == 406
    assert len(fake.requests) == 1  # a refusal is not retried


async def test_too_large_as_422_with_error_code(fake: FakeGitHub, github: GitHubClient) -> None:
    body = {"message": "Unprocessable", "errors": [{"code": "too_large", "field": "diff"}]}
    fake.fail("GET", f"/repos/{REPO}/pulls/1", status=422, json=body)
    with pytest.raises(DiffTooLarge) as caught:
        await github.pull_diff(REPO, 1)
    assert caught.value.status == 422


async def test_other_422_is_a_plain_rejection(fake: FakeGitHub, github: GitHubClient) -> None:
    fake.fail("GET", f"/repos/{REPO}/pulls/1", status=422, json={"message": "Validation Failed"})
    with pytest.raises(GitHubRejected) as caught:
        await github.pull_diff(REPO, 1)
    assert type(caught.value) is GitHubRejected


async def test_diff_over_the_byte_cap_is_too_large(slot: AppSlot, fake: FakeGitHub) -> None:
    fake.add_pull(REPO, 4, diff=b"+" * 5000)
    async with connect(slot, fake, max_diff_bytes=4096) as github:
        with pytest.raises(DiffTooLarge, match="4096") as caught:
            await github.pull_diff(REPO, 4)
    assert caught.value.status is None  # GitHub answered 200; Grimoire stopped reading


async def test_files_fallback_follows_pagination(slot: AppSlot, fake: FakeGitHub) -> None:
    fake.add_pull(REPO, 5, too_large="files")
    files = [
        FilePatch(
            filename=f"src/f{i}.py",
            status="renamed",
            previous_filename=f"old/f{i}.py",
            patch=f"@@ -1 +1 @@\n-{i}\n+{i + 1}",
            additions=1,
            deletions=1,
        )
        for i in range(250)
    ]
    fake.pulls[(REPO, 5)].files.extend(msgspec.to_builtins(f) for f in files)
    async with connect(slot, fake) as github:
        with pytest.raises(DiffTooLarge):
            await github.pull_diff(REPO, 5)
        assert await github.pull_files(REPO, 5) == files
    pages = fake.requests_to("GET", f"/repos/{REPO}/pulls/5/files")
    assert [r.query for r in pages] == [
        {"per_page": "100"},
        {"per_page": "100", "page": "2"},
        {"per_page": "100", "page": "3"},
    ]


async def test_files_stop_at_githubs_3000(fake: FakeGitHub, github: GitHubClient) -> None:
    fake.add_pull(REPO, 6, files=[{"filename": f"f{i}"} for i in range(3100)])
    assert len(await github.pull_files(REPO, 6)) == 3000
    assert len(fake.requests) == 30


async def test_a_next_link_to_another_host_stays_on_ours(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    # The token goes to GITHUB_API_URL only: a link elsewhere keeps just its path and query.
    path = f"/repos/{REPO}/pulls/1/files"
    link = f'<http://evil.example{path}?per_page=100&page=2>; rel="next"'
    fake.fail(
        "GET",
        path,
        status=200,
        json=[{"filename": "b.py", "status": "added"}],
        headers={"link": link},
    )
    files = await github.pull_files(REPO, 1)
    assert [f.filename for f in files] == ["b.py"]  # page 2 of the fake's one-file list is empty
    assert [(r.query.get("page"), r.status) for r in fake.requests] == [(None, 200), ("2", 200)]
    assert all(r.headers["host"].startswith("127.0.0.1:") for r in fake.requests)


async def test_a_next_link_off_the_api_path_is_not_followed(slot: AppSlot) -> None:
    fake = FakeGitHub(prefix="/api/v3")
    fake.add_pull(REPO, 1)
    path = f"/repos/{REPO}/pulls/1/files"
    link = f'<{slot.url}/elsewhere{path}?page=2>; rel="next"'
    fake.fail("GET", path, status=200, json=[], headers={"link": link})
    async with connect(slot, fake, path="/api/v3") as github:
        with pytest.raises(GitHubRejected, match="leaves the API base path"):
            await github.pull_files(REPO, 1)
    assert len(fake.requests) == 1


# -- transient failures ------------------------------------------------------------------------


async def test_502_twice_then_success(fake: FakeGitHub, github: GitHubClient) -> None:
    fake.fail("GET", f"/repos/{REPO}/pulls/1", status=502, times=2)
    assert await github.pull_diff(REPO, 1) == DIFF
    assert [r.status for r in fake.requests] == [502, 502, 200]


async def test_timeout_then_success(slot: AppSlot, fake: FakeGitHub) -> None:
    fake.stall("GET", f"/repos/{REPO}/pulls/1", seconds=0.8)
    async with connect(slot, fake, http_timeout=httpx.Timeout(2.0, read=0.2)) as github:
        started = time.monotonic()
        assert await github.pull_diff(REPO, 1) == DIFF
        assert time.monotonic() - started < 0.7
    assert len(fake.requests) == 2


async def test_persistent_503_gives_up_within_the_bound(slot: AppSlot, fake: FakeGitHub) -> None:
    fake.fail("GET", f"/repos/{REPO}/pulls/1", status=503, times=None)
    policy = RetryPolicy(attempts=4, timeout=5.0, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
    async with connect(slot, fake, retry=policy) as github:
        started = time.monotonic()
        with pytest.raises(GitHubUnavailable, match=r"503 to GET /repos/octo/widgets/pulls/1"):
            await github.pull_diff(REPO, 1)
        elapsed = time.monotonic() - started
    assert len(fake.requests) == 4
    # Three backoffs of at most 0.05·2^n + 0.05 each, plus four quick exchanges.
    assert elapsed < 1.5


async def test_total_time_bounds_retries(slot: AppSlot, fake: FakeGitHub) -> None:
    fake.fail("GET", f"/repos/{REPO}/pulls/1", status=503, times=None)
    policy = RetryPolicy(attempts=100, timeout=0.5, wait_initial=0.1, wait_max=0.1, wait_jitter=0.0)
    async with connect(slot, fake, retry=policy) as github:
        started = time.monotonic()
        with pytest.raises(GitHubUnavailable):
            await github.pull_diff(REPO, 1)
        assert time.monotonic() - started < 1.0
    assert 3 <= len(fake.requests) <= 8


async def test_unreachable_host_is_unavailable() -> None:
    async with serve(FakeGitHub()) as url:
        pass  # the port is closed again now
    async with create_http_client(base_url=url, timeout=TEST_TIMEOUT) as http:
        github = GitHubClient(http, auth=TokenAuth("ghp_x"), retry=NO_WAIT)
        with pytest.raises(GitHubUnavailable, match="ConnectError") as caught:
            await github.pull_diff(REPO, 1)
    assert "ghp_x" not in str(caught.value)


async def test_post_is_not_retried_after_a_502(fake: FakeGitHub, github: GitHubClient) -> None:
    # The first POST might have been processed: retrying could create a second comment.
    fake.fail("POST", f"/repos/{REPO}/issues/1/comments", status=502)
    with pytest.raises(GitHubUnavailable, match="502"):
        await github.create_comment(REPO, 1, "hello")
    assert len(fake.requests) == 1


async def test_a_post_whose_answer_is_lost_is_not_resent(slot: AppSlot, fake: FakeGitHub) -> None:
    # The comment is created although the answer never arrives; the job's retry finds it by its
    # marker and updates it, where resending the POST would have made a duplicate.
    marker = "<!-- grimoire -->"
    fake.stall("POST", f"/repos/{REPO}/issues/1/comments", seconds=0.4)
    async with connect(slot, fake, http_timeout=httpx.Timeout(2.0, read=0.1)) as github:
        with pytest.raises(GitHubUnavailable, match="ReadTimeout"):
            await github.create_comment(REPO, 1, f"{marker} one")
        await asyncio.sleep(0.5)  # GitHub finishes the request
        found = await github.find_comment(REPO, 1, marker=marker)
        assert found is not None
        await github.update_comment(REPO, found[0], f"{marker} two")
    assert [c.body for c in fake.comments_on(REPO, 1)] == [f"{marker} two"]
    assert len(fake.requests_to("POST", "*")) == 1


async def test_patch_is_retried_after_a_502(fake: FakeGitHub, github: GitHubClient) -> None:
    comment_id = fake.add_comment(REPO, 1, "old")
    fake.fail("PATCH", f"/repos/{REPO}/issues/comments/{comment_id}", status=502)
    await github.update_comment(REPO, comment_id, "new")
    assert fake.comments_on(REPO, 1)[0].body == "new"


# -- rate limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
async def test_primary_rate_limit(fake: FakeGitHub, github: GitHubClient, status: int) -> None:
    reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)  # within the cap
    fake.rate_limit("GET", f"/repos/{REPO}/pulls/1", reset=reset, status=status)
    with pytest.raises(GitHubRateLimited, match="rate limit") as caught:
        await github.pull_diff(REPO, 1)
    assert caught.value.retry_at == reset
    assert len(fake.requests) == 1  # never retried into the limit


@pytest.mark.parametrize("status", [403, 429])
async def test_secondary_rate_limit_with_retry_after(
    slot: AppSlot, fake: FakeGitHub, status: int
) -> None:
    clock = FakeClock()
    fake.secondary_rate_limit(
        "POST", f"/repos/{REPO}/issues/1/comments", retry_after=90, status=status
    )
    async with connect(slot, fake, now=clock) as github:
        with pytest.raises(GitHubRateLimited, match="secondary rate limit") as caught:
            await github.create_comment(REPO, 1, "hello")
    assert caught.value.retry_at == clock.value + timedelta(seconds=90)
    assert fake.comments_on(REPO, 1) == []


async def test_secondary_rate_limit_without_headers_waits_a_minute(
    slot: AppSlot, fake: FakeGitHub
) -> None:
    clock = FakeClock()
    fake.secondary_rate_limit("GET", f"/repos/{REPO}/pulls/1", retry_after=None)
    async with connect(slot, fake, now=clock) as github:
        with pytest.raises(GitHubRateLimited) as caught:
            await github.pull_diff(REPO, 1)
    assert caught.value.retry_at == clock.value + timedelta(minutes=1)


async def test_403_without_limit_signs_is_a_rejection(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    body = {"message": "Resource not accessible by integration"}
    fake.fail("POST", f"/repos/{REPO}/issues/1/comments", status=403, json=body)
    with pytest.raises(GitHubRejected, match="Resource not accessible") as caught:
        await github.create_comment(REPO, 1, "hello")
    assert caught.value.status == 403
    assert not isinstance(caught.value, GitHubRateLimited)


# -- refusals ----------------------------------------------------------------------------------


async def test_404_names_the_request(fake: FakeGitHub, github: GitHubClient) -> None:
    with pytest.raises(GitHubRejected) as caught:
        await github.pull_diff(REPO, 404)
    assert caught.value.status == 404
    assert f"GET /repos/{REPO}/pulls/404" in caught.value.detail
    assert "Not Found" in caught.value.detail
    assert len(fake.requests) == 1


async def test_401_with_a_bad_token(slot: AppSlot, fake: FakeGitHub) -> None:
    async with connect(slot, fake, token="ghp_wrong") as github:
        with pytest.raises(GitHubRejected, match="Bad credentials") as caught:
            await github.pull_diff(REPO, 1)
    assert caught.value.status == 401
    assert "ghp_wrong" not in str(caught.value)
    assert len(fake.requests) == 1


def test_token_auth_hides_the_token() -> None:
    assert "ghp_secret" not in repr(TokenAuth("ghp_secret"))


# -- comments ----------------------------------------------------------------------------------


async def test_find_comment_across_pages(fake: FakeGitHub, github: GitHubClient) -> None:
    for i in range(250):
        fake.add_comment(REPO, 1, f"comment {i}")
    wanted = fake.add_comment(REPO, 1, "<!-- grimoire -->\nreport")
    fake.add_comment(REPO, 1, "<!-- grimoire --> a later copy")
    assert await github.find_comment(REPO, 1, marker="<!-- grimoire -->") == (
        wanted,
        "<!-- grimoire -->\nreport",
    )
    requests = fake.requests_to("GET", f"/repos/{REPO}/issues/1/comments")
    assert [r.query.get("page") for r in requests] == [None, "2", "3"]


async def test_find_comment_stops_at_the_first_match(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    fake.add_comment(REPO, 1, "<!-- grimoire -->")
    for i in range(150):
        fake.add_comment(REPO, 1, f"comment {i}")
    assert await github.find_comment(REPO, 1, marker="<!-- grimoire -->") is not None
    assert len(fake.requests) == 1


async def test_find_comment_none(fake: FakeGitHub, github: GitHubClient) -> None:
    fake.add_comment(REPO, 1, "unrelated")
    assert await github.find_comment(REPO, 1, marker="<!-- grimoire -->") is None


async def test_find_comment_ignores_quotes_and_mentions(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    fake.add_comment(REPO, 1, "> <!-- grimoire -->\n> report\n\nthanks, fixed")
    fake.add_comment(REPO, 1, "our bot writes `<!-- grimoire -->` first")
    assert await github.find_comment(REPO, 1, marker="<!-- grimoire -->") is None


async def test_create_and_update_comment(fake: FakeGitHub, github: GitHubClient) -> None:
    comment_id = await github.create_comment(REPO, 7, "first")
    await github.update_comment(REPO, comment_id, "second")
    create, update = fake.requests
    assert (create.method, create.path, create.json) == (
        "POST",
        f"/repos/{REPO}/issues/7/comments",
        {"body": "first"},
    )
    assert create.headers["content-type"] == "application/json"
    assert (update.method, update.path, update.json) == (
        "PATCH",
        f"/repos/{REPO}/issues/comments/{comment_id}",
        {"body": "second"},
    )
    assert [c.body for c in fake.comments_on(REPO, 7)] == ["second"]


# -- check runs --------------------------------------------------------------------------------


async def test_create_check_run_shape(slot: AppSlot, fake: FakeGitHub) -> None:
    clock = FakeClock()
    token = fake.add_token(installation_id=9)  # check runs need an installation token
    async with connect(slot, fake, token=token, now=clock) as github:
        run_id = await github.create_check_run(
            REPO,
            head_sha="a" * 40,
            name="grimoire",
            details_url="https://grimoire.example/a/1",
            external_id="delivery-1",
        )
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", f"/repos/{REPO}/check-runs")
    assert request.json == {
        "name": "grimoire",
        "head_sha": "a" * 40,
        "status": "in_progress",
        "started_at": "2026-01-01T12:00:00Z",
        "details_url": "https://grimoire.example/a/1",
        "external_id": "delivery-1",
    }
    assert fake.check_runs[run_id].status == "in_progress"


async def test_find_check_run_by_external_id(slot: AppSlot, fake: FakeGitHub) -> None:
    token = fake.add_token(installation_id=9)
    head = "b" * 40
    async with connect(slot, fake, token=token) as github:
        ids = {
            external: await github.create_check_run(
                REPO, head_sha=head, name=name, external_id=external
            )
            for name, external in [("grimoire", "7/d1"), ("grimoire", "7/d2"), ("other", "7/d3")]
        }
        await github.create_check_run(REPO, head_sha="c" * 40, name="grimoire", external_id="7/d4")
        assert (
            await github.find_check_run(REPO, head_sha=head, name="grimoire", external_id="7/d1")
            == ids["7/d1"]
        )
        assert (
            await github.find_check_run(REPO, head_sha=head, name="grimoire", external_id="7/d3")
            is None
        )  # another check's run
        assert (
            await github.find_check_run(REPO, head_sha=head, name="grimoire", external_id="7/d4")
            is None
        )  # another commit's run
    [listing, *_] = fake.requests_to("GET", f"/repos/{REPO}/commits/{head}/check-runs")
    assert listing.query == {"check_name": "grimoire", "filter": "all", "per_page": "100"}


def annotation(i: int) -> Annotation:
    return Annotation(
        path=f"src/f{i}.py",
        start_line=i + 1,
        end_line=i + 1,
        annotation_level="warning",
        message=f"spell {i} matches",
        title=f"spell {i}",
    )


async def test_complete_check_run_sends_annotations_50_at_a_time(
    slot: AppSlot, fake: FakeGitHub
) -> None:
    clock = FakeClock()
    token = fake.add_token(installation_id=9)
    annotations = [annotation(i) for i in range(120)]
    async with connect(slot, fake, token=token, now=clock) as github:
        run_id = await github.create_check_run(REPO, head_sha="b" * 40, name="grimoire")
        await github.complete_check_run(
            REPO,
            run_id,
            conclusion="neutral",
            title="3 spells",
            summary="summary",
            text="details",
            annotations=annotations,
        )
    patches = fake.requests_to("PATCH", f"/repos/{REPO}/check-runs/{run_id}")
    assert [len(p.json["output"]["annotations"]) for p in patches] == [50, 50, 20]
    first = patches[0].json
    assert first["status"] == "completed"
    assert first["conclusion"] == "neutral"
    assert first["completed_at"] == "2026-01-01T12:00:00Z"
    for patch in patches:
        assert {k: patch.json["output"][k] for k in ("title", "summary", "text")} == {
            "title": "3 spells",
            "summary": "summary",
            "text": "details",
        }
    assert "status" not in patches[1].json and "conclusion" not in patches[1].json
    run = fake.check_runs[run_id]
    assert (run.status, run.conclusion) == ("completed", "neutral")
    assert run.annotations == [msgspec.to_builtins(a) for a in annotations]


async def test_complete_check_run_without_annotations(slot: AppSlot, fake: FakeGitHub) -> None:
    token = fake.add_token(installation_id=9)
    async with connect(slot, fake, token=token) as github:
        run_id = await github.create_check_run(REPO, head_sha="c" * 40, name="grimoire")
        await github.complete_check_run(
            REPO, run_id, conclusion="success", title="ok", summary="nothing found"
        )
    [patch] = fake.requests_to("PATCH", "*")
    assert patch.json["output"] == {"title": "ok", "summary": "nothing found"}


async def test_long_texts_are_cut_to_githubs_limits(slot: AppSlot, fake: FakeGitHub) -> None:
    token = fake.add_token(installation_id=9)
    huge = Annotation(
        path="a.py",
        start_line=3,
        end_line=1,
        annotation_level="failure",
        message="é" * 70_000,
        title="t" * 300,
    )
    async with connect(slot, fake, token=token) as github:
        run_id = await github.create_check_run(REPO, head_sha="d" * 40, name="grimoire")
        await github.complete_check_run(
            REPO,
            run_id,
            conclusion="failure",
            title="big",
            summary="ü" * 70_000,
            annotations=[huge],
        )
    run = fake.check_runs[run_id]
    assert run.output is not None
    summary = run.output["summary"]
    assert len(summary.encode()) <= MAX_CHECK_TEXT_BYTES
    assert summary.endswith(TRUNCATED)
    assert summary.startswith("ü" * 1000)
    [sent] = run.annotations
    assert len(sent["message"].encode()) <= 64 * 1024
    assert len(sent["title"]) == 255
    assert (sent["start_line"], sent["end_line"]) == (3, 3)


async def test_check_runs_need_an_app_token(fake: FakeGitHub, github: GitHubClient) -> None:
    with pytest.raises(GitHubRejected, match="GitHub App") as caught:
        await github.create_check_run(REPO, head_sha="e" * 40, name="grimoire")
    assert caught.value.status == 403


# -- health ------------------------------------------------------------------------------------


async def test_check_reachable(fake: FakeGitHub, github: GitHubClient) -> None:
    health = await github.check_reachable()
    assert health.reachable
    assert "4999 of 5000" in health.detail
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", "/rate_limit")


async def test_reachability_asks_github_once_a_minute(slot: AppSlot, fake: FakeGitHub) -> None:
    clock = FakeClock()
    async with connect(slot, fake, now=clock) as github:
        answers = await asyncio.gather(*(github.reachability() for _ in range(5)))
        assert all(answer.reachable for answer in answers)
        clock.advance(seconds=59)
        await github.reachability()
        assert len(fake.requests_to("GET", "/rate_limit")) == 1
        clock.advance(seconds=2)
        fake.fail("GET", "/rate_limit", status=503)
        assert not (await github.reachability()).reachable  # asked again, and GitHub is down
        assert len(fake.requests_to("GET", "/rate_limit")) == 2


async def test_check_reachable_reports_5xx_without_retrying(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    fake.fail("GET", "/rate_limit", status=503, times=None)
    health = await github.check_reachable()
    assert not health.reachable
    assert len(fake.requests) == 1


async def test_check_reachable_never_raises_when_down() -> None:
    async with serve(FakeGitHub()) as url:
        pass
    async with create_http_client(base_url=url) as http:
        health = await GitHubClient(http).check_reachable(within=0.5)
    assert not health.reachable
    assert "unreachable" in health.detail


async def test_check_reachable_is_quick_when_github_hangs(slot: AppSlot, fake: FakeGitHub) -> None:
    fake.stall("GET", "/rate_limit", seconds=0.6)
    async with connect(slot, fake) as github:
        started = time.monotonic()
        health = await github.check_reachable(within=0.2)
        assert time.monotonic() - started < 0.5
    assert not health.reachable


async def test_requests_run_concurrently(fake: FakeGitHub, github: GitHubClient) -> None:
    # Reads are not serialized: only writes queue per installation.
    fake.stall("GET", f"/repos/{REPO}/pulls/1", seconds=0.2, times=None)
    started = time.monotonic()
    await asyncio.gather(*(github.pull_diff(REPO, 1) for _ in range(5)))
    assert time.monotonic() - started < 0.6


# -- conditional reads -------------------------------------------------------------------------


async def test_an_unchanged_comment_list_is_read_again_as_304s(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    for i in range(150):
        fake.add_comment(REPO, 1, f"comment {i}")
    wanted = fake.add_comment(REPO, 1, "<!-- grimoire -->\nreport")
    first = await github.find_comment(REPO, 1, marker="<!-- grimoire -->")
    again = await github.find_comment(REPO, 1, marker="<!-- grimoire -->")
    assert first == again == (wanted, "<!-- grimoire -->\nreport")
    requests = fake.requests_to("GET", f"/repos/{REPO}/issues/1/comments")
    assert [(r.query.get("page"), r.status) for r in requests] == [
        (None, 200),
        ("2", 200),
        (None, 304),  # the 304's remembered Link header still leads to page 2
        ("2", 304),
    ]
    assert "if-none-match" not in requests[0].headers
    assert requests[2].headers["if-none-match"].startswith('"')

    fake.comments[-1].body = "<!-- grimoire -->\nedited"  # changed: a full answer again
    assert await github.find_comment(REPO, 1, marker="<!-- grimoire -->") == (
        wanted,
        "<!-- grimoire -->\nedited",
    )
    assert [r.status for r in fake.requests_to("GET", f"/repos/{REPO}/issues/1/comments")][4:] == [
        304,
        200,
    ]


async def test_a_changed_pull_request_is_read_in_full(
    fake: FakeGitHub, github: GitHubClient
) -> None:
    assert await github.pull_head(REPO, 1) == "0" * 40
    assert await github.pull_head(REPO, 1) == "0" * 40
    fake.add_pull(REPO, 1, diff=DIFF, head_sha="1" * 40)  # a push
    assert await github.pull_head(REPO, 1) == "1" * 40
    assert await github.pull_head(REPO, 1) == "1" * 40
    reads = fake.requests_to("GET", f"/repos/{REPO}/pulls/1")
    assert [r.status for r in reads] == [200, 304, 200, 304]


def test_a_remembered_answer_is_keyed_by_who_asked() -> None:
    one, two = identity("Bearer ghp_one"), identity("Bearer ghp_two")
    assert len({one, two, identity(None), identity("Bearer ghp_one", 7)}) == 4
    assert "ghp_one" not in one  # a digest, not the token


def test_the_etag_cache_is_bounded_in_bytes() -> None:
    cache = ETagCache(max_bytes=1000)
    request = httpx.Request("GET", "https://api.github.com/x")
    for i in range(5):
        answer = httpx.Response(200, headers={"etag": f'"{i}"'}, request=request)
        cache.remember(cache_key("token:a", f"x/{i}", None, "json"), answer, b"." * 300)
    assert len(cache) == 3  # 900 bytes; the two least recently used went
    assert cache.get(cache_key("token:a", "x/0", None, "json")) is None
    assert cache.get(cache_key("token:a", "x/4", None, "json")) is not None
    assert cache.get(cache_key("token:b", "x/4", None, "json")) is None
