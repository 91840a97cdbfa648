"""GitHub Actions reads against the fake GitHub: jobs, logs behind a 302, expired logs, forks.

The fake GitHub and the log storage it redirects to are served on two loopback ports, as
api.github.com and the blob storage are two hosts: the token must reach the first only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grimoire.errors import GitHubRejected
from grimoire.github import GitHubClient, RetryPolicy, TokenAuth, create_http_client
from grimoire.github.actions import read_tail
from tests.fakegithub import FakeGitHub, LogStorage, WorkflowStep
from tests.servers import serve

REPO = "octo/widgets"
HEAD = "a" * 40
NO_WAIT = RetryPolicy(attempts=2, timeout=5.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)


@pytest.fixture
async def hosts() -> AsyncIterator[tuple[FakeGitHub, LogStorage, GitHubClient]]:
    fake, storage = FakeGitHub(), LogStorage()
    token = fake.add_token("ghp_actions")
    async with serve(fake, lifespan="off") as api_url, serve(storage, lifespan="off") as blobs:
        storage.url = blobs
        fake.log_storage = storage
        async with create_http_client(base_url=api_url) as http:
            yield fake, storage, GitHubClient(http, auth=TokenAuth(token), retry=NO_WAIT)


async def test_jobs_list_steps_and_name_the_failed_one(hosts) -> None:
    fake, _, github = hosts
    run = fake.add_run(REPO, 77, head_sha=HEAD)
    steps = [
        WorkflowStep(1, "Set up job"),
        WorkflowStep(2, "Run tests", "failure"),
        WorkflowStep(3, "Post Run actions/checkout@v4", "success"),
    ]
    fake.add_job(run, "test (3.12)", steps=steps)
    fake.add_job(run, "lint", conclusion="success")

    jobs = await github.run_jobs(REPO, 77, attempt=1)

    assert [(job.name, job.conclusion) for job in jobs] == [
        ("test (3.12)", "failure"),
        ("lint", "success"),
    ]
    failed = jobs[0].failed_step()
    assert failed is not None and (failed.number, failed.name) == (2, "Run tests")
    assert jobs[1].failed_step() is None
    assert fake.requests_to("GET", f"/repos/{REPO}/actions/runs/77/jobs")[0].query["filter"] == (
        "latest"
    )


async def test_an_earlier_attempt_lists_its_own_jobs_after_a_rerun_began(hosts) -> None:
    fake, _, github = hosts
    first = fake.add_run(REPO, 78, head_sha=HEAD)
    fake.add_job(first, "test", log=b"attempt one\n")
    second = fake.add_run(REPO, 78, head_sha=HEAD, run_attempt=2)
    fake.add_job(second, "test", conclusion="success")

    jobs = await github.run_jobs(REPO, 78, attempt=1)

    assert [(job.run_attempt, job.conclusion) for job in jobs] == [(1, "failure")]
    assert fake.requests_to("GET", f"/repos/{REPO}/actions/runs/78/attempts/1/jobs")


async def test_a_log_is_fetched_from_the_storage_host_without_the_token(hosts) -> None:
    fake, storage, github = hosts
    run = fake.add_run(REPO, 79, head_sha=HEAD)
    job = fake.add_job(run, "build", log=b"compiling\nerror: boom\n")

    log = await github.job_log(REPO, job.id)

    assert (log.text, log.total_bytes, log.head_cut) == ("compiling\nerror: boom\n", 22, False)
    [api_call] = fake.requests_to("GET", f"/repos/{REPO}/actions/jobs/{job.id}/logs")
    assert api_call.token == "ghp_actions" and api_call.status == 302
    [download] = storage.requests
    assert "authorization" not in download.headers
    assert download.query["sig"]  # the signed URL is followed as given
    assert "ghp_actions" not in str(download.headers)


async def test_a_big_log_keeps_its_tail_from_a_line_start_and_says_the_head_was_cut(hosts) -> None:
    fake, storage, github = hosts
    storage.chunk = 10_000
    lines = [f"line {n:06d} of the build output\n".encode() for n in range(40_000)]
    data = b"".join(lines)  # ~1.3 MB
    job = fake.add_job(fake.add_run(REPO, 80, head_sha=HEAD), "build", log=data)

    log = await github.job_log(REPO, job.id, max_bytes=100_000)

    assert log.head_cut and log.total_bytes == len(data)
    assert len(log.text.encode()) <= 100_000
    assert log.text.endswith("line 039999 of the build output\n")
    assert log.text.startswith("line ") and data.endswith(log.text.encode())


async def test_an_expired_log_and_a_missing_job_are_refusals_with_their_status(hosts) -> None:
    fake, storage, github = hosts
    job = fake.add_job(fake.add_run(REPO, 81, head_sha=HEAD), "old", expired=True)

    with pytest.raises(GitHubRejected) as expired:
        await github.job_log(REPO, job.id)
    with pytest.raises(GitHubRejected) as missing:
        await github.job_log(REPO, 999_999)

    assert expired.value.status == 410 and missing.value.status == 404
    assert storage.requests == []


async def test_another_apps_check_run_annotations(hosts) -> None:
    fake, _, github = hosts
    run = fake.add_foreign_check_run(
        REPO,
        head_sha=HEAD,
        name="buildkite/pipeline",
        annotations=[
            {
                "path": "src/app.py",
                "start_line": 3,
                "end_line": 3,
                "annotation_level": "failure",
                "message": "ModuleNotFoundError: No module named 'requests'",
            }
        ],
    )

    [annotation] = await github.check_run_annotations(REPO, run.id)

    assert (annotation.path, annotation.start_line) == ("src/app.py", 3)
    assert annotation.message == "ModuleNotFoundError: No module named 'requests'"


async def test_a_forks_run_finds_its_pull_request_by_commit(hosts) -> None:
    fake, _, github = hosts
    fake.add_pull(REPO, 7, head_sha=HEAD)
    fake.add_pull(REPO, 8, head_sha="b" * 40)

    assert await github.commit_pulls(REPO, HEAD) == [7]
    assert await github.commit_pulls(REPO, "c" * 40) == []


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=3000).map(lambda b: b.replace(b"\r", b"")),
    chunk=st.integers(1, 700),
    cap=st.integers(1, 2000),
)
async def test_the_kept_tail_is_a_bounded_suffix_from_a_line_start(
    data: bytes, chunk: int, cap: int
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), chunk):
            yield data[start : start + chunk]

    log = await read_tail(httpx.Response(200, content=chunks()), max_bytes=cap)

    assert log.total_bytes == len(data)
    assert log.head_cut == (len(data) > cap)
    if not log.head_cut:
        assert log.text == data.decode("utf-8", "replace")
    else:
        tail = data[-cap:]
        newline = tail.find(b"\n")
        expected = tail[newline + 1 :] if newline >= 0 else tail
        assert log.text == expected.decode("utf-8", "replace")
        assert len(expected) <= cap and data.endswith(expected)
