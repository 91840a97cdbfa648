"""CI failures end to end: a signed workflow_run or check_run in, the PR's sticky comment out.

The service runs against the fake GitHub, whose job logs redirect (302) to a log storage served
on another loopback port, as GitHub's do. The logs are real: a broken program is run, and what
it printed is wrapped as a GitHub Actions job log (timestamps, groups, the runner's error line).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from grimoire.core.ci_report import CI_CHECK_NAME
from grimoire.core.webhook_signature import sign
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub, LogStorage, WorkflowStep
from tests.fixtures import WEBHOOKS
from tests.reporting.stage import (
    APP_ID,
    AWS_KEY,
    INSTALLATION,
    KEY_LINE,
    REPO,
    WITH_KEY,
    Stage,
    sha,
    stage,
    until,
)
from tests.servers import serve

RUN = 30433642
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MISSING_MODULE = {
    "title": "Python module is not installed",
    "description": "The interpreter that runs the code cannot import a module.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '[\w.]+'",
    "solution_code": "python -m pip install -r requirements.txt",
    "tags": "python,dependencies",
}
COMMENTS = f"/repos/{REPO}/issues/*/comments"


def broken_program_output() -> list[str]:
    """Run a program that imports a module nobody installed; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", "import grimoire_ci_missing_module"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    return done.stderr.splitlines()


def stamp(second: float) -> str:
    return (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def actions_log(output: list[str]) -> bytes:
    """A GitHub Actions job log: checkout, the failing step printing ``output``, cleanup."""
    lines = [
        (0.1, "##[group]Runner Image"),
        (0.2, "Image: ubuntu-24.04"),
        (0.3, "##[endgroup]"),
        (1.1, "##[group]Run actions/checkout@v4"),
        (1.5, "Syncing repository: octo/widgets"),
        (2.0, "##[endgroup]"),
        (5.1, "##[group]Run python -m app"),
        (5.2, "python -m app"),
        (5.3, "##[endgroup]"),
        *((5.5, line) for line in output),
        (6.0, "##[error]Process completed with exit code 1."),
        (7.1, "Post job cleanup."),
        (7.2, "fatal: No url found for submodule path 'vendor/x' in .gitmodules"),
    ]
    return "".join(f"{stamp(at)} {text}\n" for at, text in lines).encode()


STEPS = [
    WorkflowStep(1, "Set up job", "success", stamp(0), stamp(1)),
    WorkflowStep(2, "Run actions/checkout@v4", "success", stamp(1), stamp(4)),
    WorkflowStep(3, "Run the app", "failure", stamp(5), stamp(6)),
    WorkflowStep(4, "Post Run actions/checkout@v4", "success", stamp(7), stamp(8)),
]


@asynccontextmanager
async def ci_stage(database_url: str, **overrides: Any) -> AsyncIterator[tuple[Stage, LogStorage]]:
    """The service against a fake GitHub whose job logs live on another port."""
    fake, storage = FakeGitHub(), LogStorage()
    async with serve(storage, lifespan="off") as blobs:
        storage.url = blobs
        fake.log_storage = storage
        async with stage(database_url, fake=fake, **overrides) as s:
            yield s, storage


def workflow_run(
    head_sha: str,
    *,
    conclusion: str = "failure",
    pulls: list[int] | None = None,
    attempt: int = 1,
    run_id: int = RUN,
    trigger: str = "pull_request",
    branch: str = "topic",
) -> bytes:
    """A recorded workflow_run payload, edited to this run, head and pull requests."""
    payload = json.loads((WEBHOOKS / "workflow_run" / "completed.2.json").read_bytes())
    run = payload["workflow_run"]
    run.update(
        id=run_id,
        name="CI",
        status="completed",
        conclusion=conclusion,
        head_sha=head_sha,
        head_branch=branch,
        event=trigger,
        run_attempt=attempt,
        workflow_id=161335,
        html_url=f"https://github.com/{REPO}/actions/runs/{run_id}",
    )
    run["pull_requests"] = [
        {"number": n, "head": {"sha": head_sha, "ref": "topic"}} for n in pulls or []
    ]
    payload["repository"]["full_name"] = REPO
    payload["repository"]["default_branch"] = "main"
    payload["installation"] = {"id": INSTALLATION}
    return json.dumps(payload).encode()


async def deliver(s: Stage, event: str, body: bytes) -> tuple[str, str]:
    """POST a signed delivery; return its id and what intake answered."""
    delivery_id = str(uuid.uuid4())
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
        "Content-Type": "application/json",
    }
    response = await s.app.post("/webhook", content=body, headers=headers)
    assert response.status_code in {200, 202}, response.text
    return delivery_id, response.json()["status"]


async def ci_analyses(s: Stage, pr: int | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"kind": "ci", "repository": REPO}
    if pr is not None:
        params["pr"] = pr
    response = await s.app.get("/api/analyses", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def failing_run(s: Stage, head_sha: str, *, attempt: int = 1, run_id: int = RUN) -> None:
    run = s.fake.add_run(REPO, run_id, head_sha=head_sha, run_attempt=attempt)
    s.fake.add_job(run, "test (3.12)", log=actions_log(broken_program_output()), steps=STEPS)
    s.fake.add_job(run, "lint", conclusion="success", log=b"all good\n")


async def test_a_failed_run_names_job_step_root_cause_and_spell_on_the_pr(
    database_url: str,
) -> None:
    async with ci_stage(database_url) as (s, storage):
        spell_id = await s.add_spell(MISSING_MODULE)
        s.fake.add_pull(REPO, 1, head_sha=sha(1))
        failing_run(s, sha(1))

        delivery, intake = await deliver(s, "workflow_run", workflow_run(sha(1), pulls=[1]))
        assert intake == "queued"
        assert (await s.settled(delivery))["status"] == "done"

        [comment] = s.fake.comments_on(REPO, 1)
        [analysis] = await ci_analyses(s, pr=1)
    body = comment.body
    assert "### ❌ CI failures" in body
    assert "`test (3.12)`" in body and "step `Run the app`" in body
    job_url = f"https://github.com/{REPO}/actions/runs/{RUN}/job/"
    assert f"[job log]({job_url}" in body
    assert "No module named 'grimoire_ci_missing_module'" in body
    assert f"Python module is not installed** (spell #{spell_id}" in body
    assert "python -m pip install -r requirements.txt" in body
    assert "new: only in this pull request" in body
    assert "lint" not in body  # it passed
    assert "submodule" not in body  # the cleanup step after the failure is not the failure
    # The log came from the storage host, without the token.
    [download] = storage.requests
    assert "authorization" not in download.headers
    [job] = analysis["jobs"]
    assert (analysis["kind"], analysis["run_id"], analysis["run_attempt"]) == ("ci", RUN, 1)
    assert (analysis["pr_number"], analysis["head_sha"], analysis["status"]) == (1, sha(1), "done")
    assert analysis["report_status"] == "reported"
    assert (job["name"], job["step"], job["outcome"]) == ("test (3.12)", "Run the app", "analysed")
    assert job["url"].startswith(job_url) and job["fingerprint"].startswith("v1-")
    assert job["error_type"] == "ModuleNotFoundError"
    assert job["spells"][0]["spell_id"] == spell_id
    assert job["classification"] == "new"


async def test_a_forks_run_finds_its_pr_by_commit_and_shares_the_diffs_comment(
    database_url: str,
) -> None:
    async with ci_stage(database_url) as (s, _):
        await s.add_spell(MISSING_MODULE)
        await s.add_spell(AWS_KEY)
        await s.reported(5, sha(5), await s.push(5, sha(5), WITH_KEY, action="opened"))
        failing_run(s, sha(5))

        delivery, _ = await deliver(s, "workflow_run", workflow_run(sha(5), pulls=[]))
        await s.settled(delivery)

        [comment] = s.fake.comments_on(REPO, 5)
    assert s.fake.requests_to("GET", f"/repos/{REPO}/commits/{sha(5)}/pulls")
    assert KEY_LINE in comment.body  # the diff's findings stay
    assert "No module named 'grimoire_ci_missing_module'" in comment.body
    assert len(s.fake.requests_to("POST", COMMENTS)) == 1


async def test_a_rerun_that_passed_marks_the_failure_resolved(database_url: str) -> None:
    async with ci_stage(database_url) as (s, _):
        await s.add_spell(MISSING_MODULE)
        s.fake.add_pull(REPO, 2, head_sha=sha(2))
        failing_run(s, sha(2))
        first, _ = await deliver(s, "workflow_run", workflow_run(sha(2), pulls=[2]))
        await s.settled(first)

        passed = workflow_run(sha(2), pulls=[2], conclusion="success", attempt=2)
        second, intake = await deliver(s, "workflow_run", passed)
        assert intake == "queued"
        await s.settled(second)

        [comment] = s.fake.comments_on(REPO, 2)
        [analysis] = await ci_analyses(s, pr=2)
        # A success with nothing to resolve is recorded as ignored.
        _, other = await deliver(s, "workflow_run", workflow_run(sha(9), conclusion="success"))
    assert "resolved by CI run" in comment.body and "✅" in comment.body
    assert "~~`test (3.12)`~~" in comment.body
    assert analysis["resolved_at"] is not None
    assert other == "ignored"


async def test_a_failed_rerun_replaces_the_first_attempt(database_url: str) -> None:
    async with ci_stage(database_url) as (s, _):
        s.fake.add_pull(REPO, 3, head_sha=sha(3))
        failing_run(s, sha(3))
        first, _ = await deliver(s, "workflow_run", workflow_run(sha(3), pulls=[3]))
        await s.settled(first)
        failing_run(s, sha(3), attempt=2)
        second, _ = await deliver(s, "workflow_run", workflow_run(sha(3), pulls=[3], attempt=2))
        await s.settled(second)

        [comment] = s.fake.comments_on(REPO, 3)
        analyses = await ci_analyses(s, pr=3)
    assert sorted(a["run_attempt"] for a in analyses) == [1, 2]
    assert "(attempt 2)" in comment.body
    assert comment.body.count("`test (3.12)`") == 1
    # Without a spell: "no known problem", with the root-cause line.
    assert "No known problem" in comment.body
    assert "No module named 'grimoire_ci_missing_module'" in comment.body


async def test_an_expired_log_is_recorded_not_a_crash(database_url: str) -> None:
    async with ci_stage(database_url) as (s, storage):
        s.fake.add_pull(REPO, 4, head_sha=sha(4))
        run = s.fake.add_run(REPO, RUN, head_sha=sha(4))
        s.fake.add_job(run, "build", expired=True, steps=STEPS)
        delivery, _ = await deliver(s, "workflow_run", workflow_run(sha(4), pulls=[4]))
        assert (await s.settled(delivery))["status"] == "done"

        [comment] = s.fake.comments_on(REPO, 4)
        [analysis] = await ci_analyses(s, pr=4)
    [job] = analysis["jobs"]
    assert (job["outcome"], job["root_cause"]) == ("log_expired", None)
    assert "410" in job["reason"]
    assert "its log has expired" in comment.body
    assert storage.requests == []


async def test_another_ci_apps_failed_check_run_is_read_from_its_output_and_annotations(
    database_url: str,
) -> None:
    async with ci_stage(database_url) as (s, _):
        spell_id = await s.add_spell(MISSING_MODULE)
        s.fake.add_pull(REPO, 2, head_sha=sha(6))
        check = s.fake.add_foreign_check_run(
            REPO,
            head_sha=sha(6),
            name="buildkite/widgets",
            annotations=[
                {
                    "path": "tests/test_app.py",
                    "start_line": 1,
                    "end_line": 1,
                    "annotation_level": "failure",
                    "message": "ModuleNotFoundError: No module named 'yaml'",
                }
            ],
        )
        payload = json.loads((WEBHOOKS / "check_run" / "completed.0.json").read_bytes())
        payload["check_run"].update(id=check.id, head_sha=sha(6), name="buildkite/widgets")
        payload["check_run"]["app"].update(id=99, slug="buildkite", name="Buildkite")
        payload["check_run"]["output"].update(title="1 test failed", summary="pytest: 1 failed")
        for pull in payload["check_run"]["pull_requests"]:
            pull["head"]["sha"] = sha(6)
        payload["repository"]["full_name"] = REPO
        delivery, intake = await deliver(s, "check_run", json.dumps(payload).encode())
        assert intake == "queued"
        await s.settled(delivery)

        [comment] = s.fake.comments_on(REPO, 2)
        [analysis] = await ci_analyses(s, pr=2)
        # GitHub Actions' own check runs are read through their workflow run instead.
        payload["check_run"]["app"].update(id=15368, slug="github-actions")
        _, actions = await deliver(s, "check_run", json.dumps(payload).encode())
    assert actions == "ignored"
    assert analysis["source"] == "check_run"
    assert "`buildkite/widgets`" in comment.body
    assert "No module named 'yaml'" in comment.body
    assert f"(spell #{spell_id}" in comment.body


async def test_a_failure_also_on_the_default_branch_is_not_the_prs_fault(
    database_url: str,
) -> None:
    async with ci_stage(database_url) as (s, _):
        failing_run(s, sha(7), run_id=111)
        trunk = workflow_run(sha(7), run_id=111, trigger="push", branch="main")
        first, _ = await deliver(s, "workflow_run", trunk)
        await s.settled(first)
        s.fake.add_pull(REPO, 8, head_sha=sha(8))
        failing_run(s, sha(8), run_id=222)
        second, _ = await deliver(s, "workflow_run", workflow_run(sha(8), run_id=222, pulls=[8]))
        await s.settled(second)

        [comment] = s.fake.comments_on(REPO, 8)
        [pr_analysis] = await ci_analyses(s, pr=8)
        fingerprint = pr_analysis["jobs"][0]["fingerprint"]
        seen = await s.app.get(f"/api/fingerprints/{fingerprint}")
        bad = await s.app.get("/api/fingerprints/not-a-fingerprint")
    assert "also on the default branch" in comment.body
    assert pr_analysis["jobs"][0]["classification"] == "default_branch"
    assert seen.status_code == 200
    body = seen.json()
    assert (body["seen"], body["on_default_branch"], body["pull_requests"]) == (2, True, 1)
    assert {(x["run_id"], x["default_branch"]) for x in body["sightings"]} == {
        (111, True),
        (222, False),
    }
    assert bad.status_code == 422


async def test_a_failure_seen_in_other_prs_this_week(database_url: str) -> None:
    async with ci_stage(database_url) as (s, _):
        for number, run_id in ((10, 310), (11, 311)):
            s.fake.add_pull(REPO, number, head_sha=sha(number))
            failing_run(s, sha(number), run_id=run_id)
            delivery, _ = await deliver(
                s, "workflow_run", workflow_run(sha(number), run_id=run_id, pulls=[number])
            )
            await s.settled(delivery)
        [comment] = s.fake.comments_on(REPO, 11)
    assert "seen in 1 other pull request this week" in comment.body


async def test_other_conclusions_are_ignored(database_url: str) -> None:
    async with ci_stage(database_url) as (s, _):
        _, cancelled = await deliver(
            s, "workflow_run", workflow_run(sha(1), conclusion="cancelled", pulls=[1])
        )
        _, skipped = await deliver(
            s, "workflow_run", workflow_run(sha(1), conclusion="skipped", pulls=[1])
        )
        await until(lambda: ci_analyses(s), lambda found: found == [])
    assert (cancelled, skipped) == ("ignored", "ignored")


async def test_as_an_app_the_head_gets_a_ci_check_run_edited_in_place(database_url: str) -> None:
    async with ci_stage(database_url, auth="app") as (s, _):
        await s.add_spell(MISSING_MODULE)
        s.fake.add_pull(REPO, 12, head_sha=sha(12))
        failing_run(s, sha(12))
        first, _ = await deliver(s, "workflow_run", workflow_run(sha(12), pulls=[12]))
        await s.settled(first)
        [run] = [r for r in s.fake.check_runs.values() if r.name == CI_CHECK_NAME]
        failing = (run.conclusion, dict(run.output or {}))

        passed = workflow_run(sha(12), pulls=[12], conclusion="success", attempt=2)
        second, _ = await deliver(s, "workflow_run", passed)
        await s.settled(second)
        [again] = [r for r in s.fake.check_runs.values() if r.name == CI_CHECK_NAME]
        [comment] = s.fake.comments_on(REPO, 12)
    conclusion, output = failing
    assert conclusion == "neutral"
    assert output["title"] == "1 failed job: No module named 'grimoire_ci_missing_module'"
    assert "Python module is not installed" in output["summary"]
    assert (again.id, again.conclusion, again.external_id) == (run.id, "success", f"ci/{sha(12)}")
    assert "resolved by CI run" in (again.output or {})["summary"]
    assert "resolved by CI run" in comment.body


async def test_a_success_that_arrives_while_the_failure_is_still_read_resolves_it(
    database_url: str,
) -> None:
    async with ci_stage(database_url) as (s, _):
        s.fake.add_pull(REPO, 13, head_sha=sha(13))
        failing_run(s, sha(13))
        s.fake.stall("GET", f"/repos/{REPO}/actions/runs/{RUN}/jobs", seconds=1.0)
        first, _ = await deliver(s, "workflow_run", workflow_run(sha(13), pulls=[13]))
        await until(lambda: s.delivery(first), lambda d: d["status"] == "processing")

        passed = workflow_run(sha(13), pulls=[13], conclusion="success", attempt=2)
        second, intake = await deliver(s, "workflow_run", passed)
        assert intake == "queued"  # nothing stored yet, but a failure is being read
        await s.settled(first)
        await s.settled(second)

        [comment] = s.fake.comments_on(REPO, 13)
        [analysis] = await ci_analyses(s, pr=13)
    assert analysis["resolved_at"] is not None
    assert "~~`test (3.12)`~~" in comment.body


async def test_grimoires_own_check_runs_are_ignored(database_url: str) -> None:
    async with ci_stage(database_url, auth="app") as (s, _):
        payload = json.loads((WEBHOOKS / "check_run" / "completed.0.json").read_bytes())
        payload["check_run"].update(name=CI_CHECK_NAME, conclusion="failure")
        payload["check_run"]["app"].update(id=APP_ID, slug="grimoire-engine")
        _, ours = await deliver(s, "check_run", json.dumps(payload).encode())
        # Even under another name: it is the App's own.
        payload["check_run"].update(name="something else")
        _, renamed = await deliver(s, "check_run", json.dumps(payload).encode())
    assert (ours, renamed) == ("ignored", "ignored")


async def test_a_rate_limit_on_the_jobs_waits_in_the_queue_then_reads(database_url: str) -> None:
    async with ci_stage(database_url) as (s, _):
        s.fake.add_pull(REPO, 14, head_sha=sha(14))
        failing_run(s, sha(14))
        wall, clock = datetime.now(UTC), time.monotonic()
        # GitHub's x-ratelimit-reset is in whole seconds.
        reset = (wall + timedelta(seconds=2)).replace(microsecond=0)
        s.fake.rate_limit("GET", f"/repos/{REPO}/actions/runs/{RUN}/jobs", reset=reset)
        delivery, _ = await deliver(s, "workflow_run", workflow_run(sha(14), pulls=[14]))
        settled = await s.settled(delivery)
        [comment] = s.fake.comments_on(REPO, 14)
    assert settled["status"] == "done"
    assert "No module named 'grimoire_ci_missing_module'" in comment.body
    jobs_calls = s.fake.requests_to("GET", f"/repos/{REPO}/actions/runs/{RUN}/jobs")
    assert [call.status for call in jobs_calls] == [403, 200]
    retried_at = wall + timedelta(seconds=jobs_calls[1].started - clock)
    assert retried_at >= reset  # waited for the reset, in the queue


MISSING_TOOL = {
    "title": "A tool the step calls is not installed on the runner",
    "description": "The shell cannot find a command the script runs.",
    "error_type": "CommandNotFound",
    "error_pattern": r"command not found",
    "solution_code": "Install it in an earlier step (apt-get install -y TOOL), or fix its name.",
    "tags": "shell,ci",
}


def missing_command_output() -> list[str]:
    """Run a shell step that calls a tool nobody installed; return what it printed."""
    done = subprocess.run(
        ["bash", "-c", "set -e; echo building; grimoire-no-such-tool --version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 127
    return [*done.stdout.splitlines(), *done.stderr.splitlines()]


async def test_a_shell_steps_missing_command_from_a_real_run(database_url: str) -> None:
    log = actions_log(missing_command_output()).replace(b"exit code 1.", b"exit code 127.")
    async with ci_stage(database_url) as (s, _):
        spell_id = await s.add_spell(MISSING_TOOL)
        s.fake.add_pull(REPO, 15, head_sha=sha(15))
        run = s.fake.add_run(REPO, RUN, head_sha=sha(15))
        s.fake.add_job(run, "build", log=log, steps=STEPS)
        delivery, _ = await deliver(s, "workflow_run", workflow_run(sha(15), pulls=[15]))
        await s.settled(delivery)
        [comment] = s.fake.comments_on(REPO, 15)
        [analysis] = await ci_analyses(s, pr=15)
    [job] = analysis["jobs"]
    assert "grimoire-no-such-tool: command not found" in job["root_cause"]
    assert job["spells"][0]["spell_id"] == spell_id
    assert f"(spell #{spell_id}" in comment.body
    assert "apt-get install -y TOOL" in comment.body
