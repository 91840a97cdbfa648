"""Reporting when GitHub fails: the analysis is kept, the queue retries, nothing is duplicated.

End to end like tests/test_reporting.py: faults are injected in the fake GitHub (5xx, secondary
rate limits, an answer lost after GitHub acted) and the service recovers through its job queue.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from tests.fakegithub import FakeGitHub
from tests.reporting.stage import (
    AWS_KEY,
    KEY_LINE,
    REPO,
    WITH_BOTH,
    WITH_KEY,
    Stage,
    diff_adding,
    pull_request_event,
    sha,
    stage,
    until,
)
from tests.reporting.test_shapes import check_request

COMMENTS = f"/repos/{REPO}/issues/1/comments"
CHECK_RUNS = f"/repos/{REPO}/check-runs"


class LoseAnswers:
    """Let the fake handle matching requests, then answer 502: GitHub acted, we never learn it."""

    def __init__(self, fake: FakeGitHub, method: str, path: str, *, times: int = 1) -> None:
        self.fake, self.method, self.path, self.times = fake, method, path, times

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lose = (
            scope["type"] == "http"
            and self.times > 0
            and scope["method"] == self.method
            and fnmatch.fnmatchcase(scope["path"], self.path)
        )
        if not lose:
            await self.fake(scope, receive, send)
            return
        self.times -= 1

        async def drop(message: Message) -> None:
            pass

        await self.fake(scope, receive, drop)
        await JSONResponse({"message": "Server Error"}, 502)(scope, receive, send)


async def report_status_is(s: Stage, head: str, *statuses: str) -> dict[str, Any]:
    """Wait until the head's analysis has one of these report statuses."""
    analysis: dict[str, Any] = await until(
        lambda: s.analysis(1, head), lambda a: a is not None and a["report_status"] in statuses
    )
    return analysis


async def test_a_failed_report_keeps_the_analysis_and_a_retry_completes_it(
    database_url: str,
) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        s.fake.fail("POST", COMMENTS, status=502, times=None)
        delivery = await s.push(1, sha(1), WITH_KEY)
        failing = await report_status_is(s, sha(1), "retrying")
        assert (failing["status"], failing["findings_count"]) == ("done", 1)
        assert failing["findings"][0]["excerpt"] is not None
        assert "502" in failing["report_error"]
        assert (await s.delivery(delivery))["status"] in {"queued", "processing"}

        s.fake.faults.clear()  # GitHub is back
        analysis = await s.reported(1, sha(1), delivery)
        assert (analysis["report_status"], analysis["report_error"]) == ("reported", None)
        assert analysis["findings_count"] == 1
        assert len(s.fake.comments_on(REPO, 1)) == 1
        assert (await s.delivery(delivery))["attempts"] >= 2


async def test_a_retried_report_sends_the_stored_analysis_without_reading_the_diff(
    database_url: str,
) -> None:
    async with stage(database_url) as s:
        spell = await s.add_spell(AWS_KEY)
        s.fake.fail("POST", COMMENTS, status=502, times=None)
        delivery = await s.push(1, sha(1), WITH_KEY)
        failing = await report_status_is(s, sha(1), "retrying")
        reads = len(diff_reads(s.fake))
        assert (reads, failing["findings_count"]) == (1, 1)
        # Analysing again now would find nothing: only the stored findings name this spell.
        assert (await s.app.delete(f"/api/spells/{spell}")).status_code == 204

        s.fake.faults.clear()  # GitHub is back: the retry only reports
        analysis = await s.reported(1, sha(1), delivery)
        assert analysis["report_status"] == "reported"
        assert (await s.delivery(delivery))["attempts"] >= 2
    assert len(diff_reads(s.fake)) == reads  # the diff was not fetched again
    # Looking for the sticky comment again was a conditional read: unchanged, 304.
    assert [r.status for r in s.fake.requests_to("GET", COMMENTS)][-1] == 304
    assert analysis["findings"] == failing["findings"]
    [comment] = s.fake.comments_on(REPO, 1)
    assert "1 finding" in comment.body
    assert f"spell #{spell} · error type `SecretLeak`" in comment.body


def diff_reads(fake: FakeGitHub) -> list[Any]:
    """The requests that read the pull request's changes (its diff, files or a comparison)."""
    return [
        r
        for pattern in (f"/repos/{REPO}/pulls/1", f"/repos/{REPO}/pulls/1/files", "*/compare/*")
        for r in fake.requests_to("GET", pattern)
    ]


async def test_502s_on_the_check_run_are_retried_within_the_job(database_url: str) -> None:
    async with stage(database_url, auth="app") as s:
        await s.add_spell(AWS_KEY)
        s.fake.fail("PATCH", f"{CHECK_RUNS}/*", status=502, times=2)
        delivery = await s.push(1, sha(1), WITH_KEY)
        analysis = await s.reported(1, sha(1), delivery)
        assert analysis["report_status"] == "reported"
        assert (await s.delivery(delivery))["attempts"] == 1
    [run] = s.fake.check_runs.values()
    assert (run.conclusion, len(run.annotations)) == ("neutral", 1)
    statuses = [r.status for r in s.fake.requests_to("PATCH", f"{CHECK_RUNS}/{run.id}")]
    assert statuses == [502, 502, 200]


async def test_a_secondary_rate_limit_reschedules_without_spending_an_attempt(
    database_url: str,
) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        s.fake.secondary_rate_limit("POST", COMMENTS, retry_after=1)
        delivery = await s.push(1, sha(1), WITH_KEY)
        limited = await report_status_is(s, sha(1), "retrying")
        assert "rate limit" in limited["report_error"]
        analysis = await s.reported(1, sha(1), delivery)
        assert analysis["report_status"] == "reported"
        settled = await s.delivery(delivery)
        assert (settled["status"], settled["attempts"]) == ("done", 1)
    first, second = s.fake.requests_to("POST", COMMENTS)
    assert (first.status, second.status) == (403, 201)
    assert second.started - first.started >= 0.9  # waited for retry-after, no tight loop
    assert len(s.fake.comments_on(REPO, 1)) == 1


async def test_a_lost_answer_to_the_comment_post_is_not_a_second_comment(
    database_url: str,
) -> None:
    def losing(fake: FakeGitHub) -> LoseAnswers:
        return LoseAnswers(fake, "POST", COMMENTS)

    async with stage(database_url, app=losing) as s:
        await s.add_spell(AWS_KEY)
        delivery = await s.push(1, sha(1), WITH_KEY)
        assert (await s.reported(1, sha(1), delivery))["report_status"] == "reported"
        [comment] = s.fake.comments_on(REPO, 1)
        # The retry found the comment by its marker; the next push edits it by its id.
        listings = len(s.fake.requests_to("GET", COMMENTS))
        await s.reported(1, sha(2), await s.push(1, sha(2), WITH_KEY))
        [edited] = s.fake.comments_on(REPO, 1)
        assert edited.id == comment.id and sha(2) in edited.body
        assert len(s.fake.requests_to("GET", COMMENTS)) == listings
    assert len(s.fake.requests_to("POST", COMMENTS)) == 1


async def test_a_lost_answer_to_the_check_run_post_is_not_a_second_run(
    database_url: str,
) -> None:
    def losing(fake: FakeGitHub) -> LoseAnswers:
        return LoseAnswers(fake, "POST", CHECK_RUNS)

    async with stage(database_url, auth="app", app=losing) as s:
        await s.add_spell(AWS_KEY)
        delivery = await s.push(1, sha(1), WITH_KEY)
        analysis = await s.reported(1, sha(1), delivery)
        assert analysis["report_status"] == "reported"
    # GitHub created the run, the answer was lost; finishing found it by its external id.
    [run] = s.fake.check_runs.values()
    assert (run.status, run.conclusion) == ("completed", "neutral")
    assert run.external_id == f"{analysis['id']}/{delivery}"
    assert len(s.fake.requests_to("POST", CHECK_RUNS)) == 1
    [lookup] = s.fake.requests_to("GET", f"/repos/{REPO}/commits/{sha(1)}/check-runs")
    assert lookup.query["check_name"] == "Grimoire Engine"
    for request in s.fake.requests:
        check_request(request, "ghs_")  # the lookup too has GitHub's documented shape


async def test_a_comment_deleted_by_a_person_is_written_again(database_url: str) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        await s.reported(1, sha(1), await s.push(1, sha(1), WITH_KEY))
        [gone] = s.fake.comments_on(REPO, 1)
        s.fake.comments.remove(gone)
        analysis = await s.reported(1, sha(2), await s.push(1, sha(2), WITH_KEY))
        assert analysis["report_status"] == "reported"
        [comment] = s.fake.comments_on(REPO, 1)
        assert comment.id != gone.id and sha(2) in comment.body
    patch = s.fake.requests_to("PATCH", f"/repos/{REPO}/issues/comments/{gone.id}")
    assert [r.status for r in patch] == [404]


async def test_an_older_delivery_retried_late_does_not_overwrite_a_newer_report(
    database_url: str,
) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        s.fake.secondary_rate_limit("POST", COMMENTS, retry_after=2)
        older = await s.push(1, sha(1), WITH_KEY)
        await report_status_is(s, sha(1), "retrying")
        newer = await s.push(1, sha(2), WITH_KEY)
        assert (await s.reported(1, sha(2), newer))["report_status"] == "reported"
        stale = await s.reported(1, sha(1), older)
        assert stale["report_status"] == "skipped"
        assert f"a newer push ({sha(2)[:7]})" in stale["report_error"]
        [comment] = s.fake.comments_on(REPO, 1)
        assert sha(2) in comment.body and sha(1) not in comment.body
    assert s.fake.requests_to("PATCH", "/repos/*/issues/comments/*") == []


async def test_an_old_body_replayed_under_a_new_delivery_id_does_not_roll_the_comment_back(
    database_url: str,
) -> None:
    async with stage(database_url) as s:
        await s.add_spell(AWS_KEY)
        s.fake.add_pull(REPO, 1, diff=WITH_KEY, head_sha=sha(1))
        old_body = pull_request_event(1, sha(1), updated_at="2026-01-05T10:00:00Z")
        first = await s.send(old_body)
        assert (await s.reported(1, sha(1), first))["report_status"] == "reported"
        s.fake.add_pull(REPO, 1, diff=WITH_BOTH, head_sha=sha(2))
        newer = await s.send(pull_request_event(1, sha(2), updated_at="2026-01-05T10:05:00Z"))
        assert (await s.reported(1, sha(2), newer))["report_status"] == "reported"
        [comment] = s.fake.comments_on(REPO, 1)
        newest = comment.body
        assert sha(2) in newest

        # The old signed body again, under a new delivery id: received last, pushed first.
        replayed = await s.send(old_body)
        stale = await s.reported(1, sha(1), replayed)
        assert stale["report_status"] == "skipped"
        assert f"a newer push ({sha(2)[:7]})" in stale["report_error"]
        [comment] = s.fake.comments_on(REPO, 1)
        assert comment.body == newest
        # A later push is reported as usual.
        s.fake.add_pull(REPO, 1, diff=WITH_KEY, head_sha=sha(3))
        latest = await s.send(pull_request_event(1, sha(3), updated_at="2026-01-05T10:09:00Z"))
        assert (await s.reported(1, sha(3), latest))["report_status"] == "reported"
        [comment] = s.fake.comments_on(REPO, 1)
        assert sha(3) in comment.body


async def test_a_check_run_that_cannot_start_does_not_block_the_analysis(
    database_url: str,
) -> None:
    async with stage(database_url, auth="app") as s:
        await s.add_spell(AWS_KEY)
        s.fake.fail("POST", CHECK_RUNS, status=502)
        delivery = await s.push(1, sha(1), WITH_KEY)
        analysis = await s.reported(1, sha(1), delivery)
        assert (analysis["status"], analysis["report_status"]) == ("done", "reported")
        assert (await s.delivery(delivery))["attempts"] == 1
    [run] = s.fake.check_runs.values()
    assert (run.status, run.conclusion) == ("completed", "neutral")
    assert [r.status for r in s.fake.requests_to("POST", CHECK_RUNS)] == [502, 201]


async def test_a_refused_check_run_does_not_keep_the_comment_from_being_posted(
    database_url: str,
) -> None:
    async with stage(database_url, auth="app") as s:
        await s.add_spell(AWS_KEY)
        s.fake.fail("POST", CHECK_RUNS, status=403, times=None)  # no checks permission
        delivery = await s.push(1, sha(1), WITH_KEY)
        assert (await s.settled(delivery))["status"] == "failed"
        analysis = await s.analysis(1, sha(1))
        assert analysis is not None
        assert (analysis["status"], analysis["findings_count"]) == ("done", 1)
        assert analysis["report_status"] == "failed"
        assert "403" in analysis["report_error"]
        assert len(s.fake.comments_on(REPO, 1)) == 1
    assert s.fake.check_runs == {}


async def test_annotations_resume_after_a_rate_limit_between_batches(database_url: str) -> None:
    files = {f"keys/k{i:02}.py": [KEY_LINE] * 3 for i in range(21)}
    async with stage(database_url, auth="app") as s:
        await s.add_spell(AWS_KEY)
        s.fake.stall("PATCH", f"{CHECK_RUNS}/*", seconds=0)  # the first batch goes through
        s.fake.secondary_rate_limit("PATCH", f"{CHECK_RUNS}/*", retry_after=1)
        delivery = await s.push(1, sha(1), diff_adding(files))
        assert (await s.reported(1, sha(1), delivery))["report_status"] == "reported"
    [run] = s.fake.check_runs.values()
    sent = [
        (r.status, len(r.json["output"]["annotations"]))
        for r in s.fake.requests_to("PATCH", f"{CHECK_RUNS}/{run.id}")
    ]
    assert sent == [(200, 50), (403, 13), (200, 13)]
    assert (run.conclusion, len(run.annotations)) == ("neutral", 63)
    assert len(s.fake.check_runs) == 1


async def test_a_head_that_cannot_be_analysed_completes_its_check_run(database_url: str) -> None:
    async with stage(database_url, auth="app") as s:
        delivery = await s.deliver(9, sha(1))  # the fake has no such pull request: 404
        assert (await s.settled(delivery))["status"] == "failed"
    [run] = s.fake.check_runs.values()
    assert (run.status, run.conclusion) == ("completed", "neutral")
    assert run.output is not None
    assert run.output["title"] == "Grimoire could not analyse this head"
    assert "404" in run.output["summary"]


async def test_a_failed_analysis_does_not_leave_its_report_pending(database_url: str) -> None:
    async with stage(database_url) as s:
        gone = await s.deliver(9, sha(1))  # the fake has no such pull request: 404, for good
        assert (await s.settled(gone))["status"] == "failed"
        analysis = await s.analysis(9, sha(1))
        assert analysis is not None
        assert (analysis["status"], analysis["report_status"]) == ("failed", "failed")
        assert analysis["report_error"].startswith("the analysis failed: ")
        assert "404" in analysis["report_error"]
        # A transient failure: the job runs again, and the report says so meanwhile.
        s.fake.add_pull(REPO, 1, diff=WITH_KEY, head_sha=sha(2))
        s.fake.fail("GET", f"/repos/{REPO}/compare/*...{sha(2)}", status=500, times=None)
        await s.deliver(1, sha(2))
        retrying = await report_status_is(s, sha(2), "retrying")
        assert retrying["status"] == "failed"
        assert retrying["report_error"].startswith("the analysis failed: ")
