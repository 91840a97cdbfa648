"""Reporting on pull requests, end to end: signed webhooks in, the fake GitHub's record out.

Each test runs the real service (webhook → queue → workers → pipeline → GitHubClient) against
the loopback fake GitHub, then asserts on what the fake received. Failures, rate limits, lost
answers and stale heads are in tests/reporting/test_recovery.py; the request shapes in
tests/reporting/test_shapes.py.
"""

from __future__ import annotations

import asyncio
import fnmatch

import jwt

from grimoire.core.limits import MAX_COMMENT_BYTES
from grimoire.core.report import MARKER
from tests.reporting.stage import (
    APP_ID,
    AWS_KEY,
    BREAK_LINE,
    CLEAN,
    DEBUGGER,
    INSTALLATION,
    KEY_LINE,
    REPO,
    WITH_BOTH,
    WITH_KEY,
    diff_adding,
    sha,
    stage,
)

COMMENTS = f"/repos/{REPO}/issues/*/comments"
CHECK_RUNS = f"/repos/{REPO}/check-runs"


async def test_comment_is_created_once_then_edited_on_synchronize(database_url: str) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        await s.add_spell(DEBUGGER)
        first = await s.push(1, sha(1), WITH_KEY, action="opened")
        analysis = await s.reported(1, sha(1), first)
        assert (analysis["findings_count"], analysis["report_status"]) == (1, "reported")
        [comment] = s.fake.comments_on(REPO, 1)
        assert comment.body.startswith(MARKER)
        assert f"/{REPO}/blob/{sha(1)}/app/settings.py#L2" in comment.body
        assert KEY_LINE in comment.body
        assert "Rotate the key in IAM" in comment.body
        assert "its pattern matches" in comment.body

        second = await s.push(1, sha(2), WITH_BOTH)
        assert (await s.reported(1, sha(2), second))["findings_count"] == 2
        [edited] = s.fake.comments_on(REPO, 1)
        assert edited.id == comment.id
        assert f"/{REPO}/blob/{sha(2)}/app/run.py#L2" in edited.body
        assert BREAK_LINE in edited.body
        assert sha(1) not in edited.body
    assert len(s.fake.requests_to("POST", COMMENTS)) == 1
    assert len(s.fake.requests_to("PATCH", f"/repos/{REPO}/issues/comments/{comment.id}")) == 1
    assert s.fake.check_runs == {}  # a token cannot create check runs: comment mode


async def test_a_clean_head_resolves_the_earlier_findings(database_url: str) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
        analysis = await s.reported(1, sha(2), await s.push(1, sha(2), CLEAN))
        assert (analysis["findings_count"], analysis["report_status"]) == (0, "reported")
        [comment] = s.fake.comments_on(REPO, 1)
        assert "resolved" in comment.body
        assert f"The 1 finding reported at `{sha(1)[:7]}` is resolved" in comment.body
        assert KEY_LINE not in comment.body
        # Findings come back: the same comment lists them again.
        await s.reported(1, sha(3), await s.push(1, sha(3), WITH_KEY))
        [again] = s.fake.comments_on(REPO, 1)
        assert (again.id, "resolved" in again.body) == (comment.id, False)


async def test_a_pr_that_never_had_findings_gets_no_comment(database_url: str) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        for n in (1, 2):
            analysis = await s.reported(7, sha(n), await s.push(7, sha(n), CLEAN))
            assert analysis["report_status"] == "skipped"
            assert "no findings" in analysis["report_error"]
        assert s.fake.comments_on(REPO, 7) == []
        assert s.fake.requests_to("POST", COMMENTS) == []


async def test_sixty_findings_batch_annotations_and_truncate_the_comment(
    database_url: str,
) -> None:
    # 3 hits per file and spell are located; long lines make the comment overflow 65,536.
    padding = "x" * 900
    files = {f"keys/k{i:02}.py": [f"{KEY_LINE}  # {padding}"] * 3 for i in range(21)}
    async with stage(database_url, auth="app", public_url="https://grimoire.example") as s:
        await s.add_spell(AWS_KEY)
        delivery = await s.push(3, sha(1), diff_adding(files))
        analysis = await s.reported(3, sha(1), delivery)
        assert analysis["findings_count"] == 63
        assert analysis["report_status"] == "reported"
    [run] = s.fake.check_runs.values()
    assert (run.status, run.conclusion, len(run.annotations)) == ("completed", "neutral", 63)
    patches = s.fake.requests_to("PATCH", f"{CHECK_RUNS}/{run.id}")
    assert [len(p.json["output"]["annotations"]) for p in patches] == [50, 13]
    assert {(a["path"], a["start_line"]) for a in run.annotations} == {
        (path, line) for path in files for line in (1, 2, 3)
    }
    [comment] = s.fake.comments_on(REPO, 3)
    assert len(comment.body.encode()) <= MAX_COMMENT_BYTES
    assert len(comment.body.encode()) > MAX_COMMENT_BYTES - 2_000  # filled, not cut short
    assert "more findings not shown" in comment.body
    assert f"[see all findings](https://grimoire.example/analyses/{analysis['id']})" in (
        comment.body
    )


async def test_concurrent_deliveries_for_one_pr_give_one_comment(database_url: str) -> None:
    async with stage(database_url, worker_concurrency=4) as s:
        await s.add_spell(AWS_KEY)
        # Every delivered head was pushed (each one's own diff is analysed); 5 and 6 end at
        # their own heads.
        for n in range(1, 6):
            s.fake.add_pull(REPO, 5, diff=WITH_KEY, head_sha=sha(n))
        for n in (1, 2, 3, 6):
            s.fake.add_pull(REPO, 6, diff=WITH_KEY, head_sha=sha(n))
        deliveries = await asyncio.gather(
            *(s.deliver(5, sha(n)) for n in range(1, 6)),
            *(s.deliver(6, sha(n)) for n in range(1, 4)),
        )
        settled = await asyncio.gather(*(s.settled(d) for d in deliveries))
        # Stored in one batch, they arrived together and each head is analysed; stored in
        # several, a head received before another of its PR is skipped as pushed over.
        for number in (5, 6):
            outcomes = [d for d in settled if d["pr_number"] == number]
            assert "done" in {d["status"] for d in outcomes}
            for skipped in (d for d in outcomes if d["status"] != "done"):
                assert skipped["status"] == "skipped"
                assert skipped["last_error"].startswith("superseded by head ")
        for number in (5, 6):
            comments = s.fake.comments_on(REPO, number)
            assert len(comments) == 1, [c.id for c in comments]
    assert len(s.fake.requests_to("POST", COMMENTS)) == 2


async def test_the_app_trades_its_jwt_for_an_installation_token(database_url: str) -> None:
    async with stage(database_url, auth="app") as s:
        await s.add_spell(AWS_KEY)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
    mint, *rest = s.fake.requests
    assert (mint.method, mint.path, mint.status) == (
        "POST",
        f"/app/installations/{INSTALLATION}/access_tokens",
        201,
    )
    assert mint.token is not None
    assert jwt.get_unverified_header(mint.token)["alg"] == "RS256"
    assert jwt.decode(mint.token, options={"verify_signature": False})["iss"] == str(APP_ID)
    [issued] = s.fake.issued(INSTALLATION)
    assert {r.token for r in rest} == {issued.token}  # diff, check run, comment: one token
    assert len(s.fake.requests_to("POST", CHECK_RUNS)) == 1
    assert len(s.fake.comments_on(REPO, 1)) == 1


async def test_check_run_goes_in_progress_then_neutral_with_findings(database_url: str) -> None:
    async with stage(database_url, auth="app") as s:
        await s.add_spell(AWS_KEY)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
    paths = [(r.method, r.path) for r in s.fake.requests if r.path.startswith("/repos")]
    # The check run is in progress before the head's own diff (base...head) is fetched.
    assert paths[0] == ("POST", CHECK_RUNS)
    assert fnmatch.fnmatchcase(paths[1][1], f"/repos/{REPO}/compare/*...{sha(1)}")
    create = s.fake.requests_to("POST", CHECK_RUNS)[0]
    assert create.json["status"] == "in_progress"
    assert create.json["head_sha"] == sha(1)
    [run] = s.fake.check_runs.values()
    assert (run.head_sha, run.status, run.conclusion) == (sha(1), "completed", "neutral")
    assert run.output is not None and run.output["title"] == "1 finding · 1 known problem"
    [note] = run.annotations
    assert (note["path"], note["start_line"], note["end_line"]) == ("app/settings.py", 2, 2)
    assert note["annotation_level"] == "warning"
    assert note["title"] == AWS_KEY["title"]
    assert note["raw_details"] == AWS_KEY["solution_code"]


async def test_findings_can_fail_the_check_run(database_url: str) -> None:
    async with stage(database_url, auth="app", findings_conclusion="failure") as s:
        await s.add_spell(AWS_KEY)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
    [run] = s.fake.check_runs.values()
    assert run.conclusion == "failure"
    assert {a["annotation_level"] for a in run.annotations} == {"failure"}


async def test_a_clean_head_passes_its_check_run_without_a_comment(database_url: str) -> None:
    async with stage(database_url, auth="app", findings_conclusion="failure") as s:
        await s.add_spell(AWS_KEY)
        analysis = await s.reported(1, sha(1), await s.push(1, sha(1), CLEAN))
        assert analysis["report_status"] == "reported"  # the check run is the report
    [run] = s.fake.check_runs.values()
    assert (run.status, run.conclusion, run.annotations) == ("completed", "success", [])
    assert run.output is not None and run.output["title"] == "No known problems found"
    assert s.fake.comments_on(REPO, 1) == []


async def test_report_mode_none_writes_nothing(database_url: str) -> None:
    async with stage(database_url, auth="app", report_mode="none") as s:
        await s.add_spell(AWS_KEY)
        analysis = await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
        assert (analysis["findings_count"], analysis["report_status"]) == (1, "skipped")
    writes = [r for r in s.fake.requests if r.method != "GET" and r.path.startswith("/repos")]
    assert writes == []


async def test_check_mode_writes_no_comment(database_url: str) -> None:
    async with stage(database_url, auth="app", report_mode="check") as s:
        await s.add_spell(AWS_KEY)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
    assert len(s.fake.check_runs) == 1
    assert [r for r in s.fake.requests if "/issues/" in r.path] == []
