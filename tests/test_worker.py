"""The job queue and its workers against a real database: claims, leases, retries, shutdown.

Pipelines here are plain functions passed to ``run_job``/``run_workers``; time moves by writing
timestamps into the database, never by sleeping through a backoff or a lease.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from grimoire import worker
from grimoire.config import Settings
from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.errors import GitHubRateLimited, GitHubRejected, GitHubUnavailable
from grimoire.pipeline import process_job
from grimoire.resources import Resources, open_resources
from grimoire.storage import deliveries
from grimoire.storage.deliveries import Job
from grimoire.storage.tables import Delivery
from grimoire.worker import MAX_BACKOFF_SECONDS, retry_delay, run_job, run_workers
from tests.deliveries import record_delivery

REPO = "octo/widgets"
LEASE = timedelta(seconds=5)
MAX_ATTEMPTS = 3
TIMEOUT = 10.0


@pytest.fixture
def settings(app_settings: Settings) -> Settings:
    return dataclasses.replace(
        app_settings,
        job_lease_seconds=int(LEASE.total_seconds()),
        retry_base_seconds=1,
        delivery_max_attempts=MAX_ATTEMPTS,
    )


@pytest.fixture
async def res(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(settings) as resources:
        yield resources


def now() -> datetime:
    return datetime.now(UTC)


async def enqueue(
    res: Resources,
    delivery_id: str,
    *,
    pr: int = 1,
    at: datetime | None = None,
    event: str = "pull_request",
    head: str | None = None,
) -> None:
    """Queue a delivery (pull_request unless said), due at ``at`` (received then too)."""
    info = DeliveryInfo(
        event=event,
        action="synchronize",
        repository=REPO,
        pr_number=pr,
        head_sha=head or f"{delivery_id:0>40}"[:40],
        base_sha="b" * 40,
    )
    async with res.sessions.begin() as session:
        outcome = await record_delivery(
            session, delivery_id, info, payload=b"{}", status="queued", now=at or now()
        )
    assert outcome == "queued"


async def row(res: Resources, delivery_id: str) -> Delivery:
    async with res.sessions.begin() as session:
        return await deliveries.get_delivery(session, delivery_id)


async def set_row(res: Resources, delivery_id: str, **values: Any) -> None:
    async with res.sessions.begin() as session:
        await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


async def claim_at(res: Resources, moment: datetime) -> Job | None:
    async with res.sessions.begin() as session:
        return await deliveries.claim_job(session, now=moment, lease=LEASE)


async def statuses(res: Resources) -> dict[str, str]:
    async with res.sessions.begin() as session:
        rows = await session.execute(select(Delivery.id, Delivery.status))
        return dict(rows.all())


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = TIMEOUT) -> None:
    """Poll ``check`` (the database, mostly) until it holds; fail after ``within`` seconds."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 (nothing to wait on: the state is in the DB)
            await asyncio.sleep(0.02)


async def succeed(res: Resources, job: Job) -> None:
    pass


# -- claims and leases ---------------------------------------------------------------------------


async def test_claims_the_oldest_due_job_first(res: Resources) -> None:
    start = now() - timedelta(minutes=1)
    await enqueue(res, "c", pr=3, at=start + timedelta(seconds=2))
    await enqueue(res, "a", pr=1, at=start)
    await enqueue(res, "b", pr=2, at=start + timedelta(seconds=1))
    await enqueue(res, "later", pr=4, at=now() + timedelta(hours=1))
    moment = now()
    claimed = [await claim_at(res, moment) for _ in range(4)]
    assert [job.id if job else None for job in claimed] == ["a", "b", "c", None]
    first = claimed[0]
    assert first is not None
    assert (first.repository, first.pr_number, first.attempts) == (REPO, 1, 1)
    stored = await row(res, "a")
    assert stored.status == "processing"
    assert stored.attempts == 1
    assert stored.lease_expires_at == moment + LEASE
    # Not due until its time comes.
    async with res.sessions.begin() as session:
        for job in claimed[:3]:
            assert job is not None
            await deliveries.finish_job(session, job.id, now=moment)
    assert await claim_at(res, now() + timedelta(minutes=59)) is None
    later = await claim_at(res, now() + timedelta(hours=1, seconds=1))
    assert later is not None and later.id == "later"


async def test_a_leased_job_is_not_claimed_again_until_its_lease_expires(res: Resources) -> None:
    await enqueue(res, "a")
    moment = now()
    assert (job := await claim_at(res, moment)) is not None
    assert await claim_at(res, moment + LEASE - timedelta(milliseconds=1)) is None
    assert await claim_at(res, moment + LEASE) is None
    # Its worker died: once the lease has expired, another worker takes the job over.
    again = await claim_at(res, moment + LEASE + timedelta(milliseconds=1))
    assert again is not None
    assert (again.id, again.attempts) == ("a", 2)
    assert job.attempts == 1
    stored = await row(res, "a")
    assert stored.lease_expires_at == moment + LEASE + timedelta(milliseconds=1) + LEASE


async def test_a_job_whose_worker_died_is_processed_by_the_workers(res: Resources) -> None:
    await enqueue(res, "orphan")
    assert await claim_at(res, now()) is not None
    await set_row(res, "orphan", lease_expires_at=now() - timedelta(seconds=1))
    ran: list[str] = []

    async def record(res: Resources, job: Job) -> None:
        ran.append(job.id)

    stop = asyncio.Event()
    runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=record, concurrency=1))
    try:
        await eventually(lambda: _status_is(res, "orphan", "done"))
    finally:
        stop.set()
        await runner
    assert ran == ["orphan"]
    assert (await row(res, "orphan")).attempts == 2


async def _status_is(res: Resources, delivery_id: str, status: str) -> bool:
    return (await row(res, delivery_id)).status == status


async def test_two_jobs_for_one_pull_request_are_never_claimed_at_once(res: Resources) -> None:
    start = now() - timedelta(minutes=1)
    await enqueue(res, "pr1-a", pr=1, at=start)
    await enqueue(res, "pr1-b", pr=1, at=start + timedelta(seconds=1))
    await enqueue(res, "pr2-a", pr=2, at=start + timedelta(seconds=2))
    moment = now()
    first = await claim_at(res, moment)
    second = await claim_at(res, moment)
    assert (first and first.id, second and second.id) == ("pr1-a", "pr2-a")
    assert await claim_at(res, moment) is None  # pr1-b waits for pr1-a
    async with res.sessions.begin() as session:
        await deliveries.finish_job(session, "pr1-a", now=moment)
    third = await claim_at(res, moment)
    assert third is not None and third.id == "pr1-b"


async def _steps_to_find_the_next_job(res: Resources, backlog: int) -> int:
    """Queue ``backlog`` deliveries for one pull request; count SQLite's VM steps in next_due."""
    start = now() - timedelta(minutes=1)
    info = DeliveryInfo(event="pull_request", action="synchronize", repository=REPO, pr_number=7)
    async with res.sessions.begin() as session:
        await session.execute(delete(Delivery))
        for n in range(backlog):
            await record_delivery(session, f"b{n}", info, payload=b"{}", status="queued", now=start)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    async with res.readers() as session:
        connection = await (await session.connection()).get_raw_connection()
        driver = connection.driver_connection  # aiosqlite's connection
        assert driver is not None
        await driver.set_progress_handler(count, 100)
        try:
            assert await deliveries.next_due(session, now=now()) is not None
        finally:
            await driver.set_progress_handler(None, 100)
    return steps


async def test_finding_the_next_job_grows_with_the_backlog_not_its_square(
    res: Resources, database_url: str
) -> None:
    """A burst for one pull request, none of it processing yet: each due job was checked for a
    processing sibling by walking the whole pull request, and finding the next of 25,000 took
    SQLite 138 s (bench/intake_under_load.py's worker sat in it after the burst)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("counts SQLite's virtual machine steps")
    small = await _steps_to_find_the_next_job(res, 300)
    large = await _steps_to_find_the_next_job(res, 1200)
    # Linear (with a sort) gives ~4-5x for 4x the backlog; the quadratic walk gave ~16x.
    assert large < 8 * small, (small, large)


async def test_a_pull_requests_next_job_waits_only_while_the_lease_holds(res: Resources) -> None:
    await enqueue(res, "a", pr=1, at=now() - timedelta(seconds=2))
    await enqueue(res, "b", pr=1, at=now() - timedelta(seconds=1))
    moment = now()
    assert (await claim_at(res, moment)) is not None
    assert await claim_at(res, moment + timedelta(seconds=1)) is None
    # a's worker is gone: a (the older) is claimed again, b still waits behind it.
    expired = moment + LEASE + timedelta(seconds=1)
    again = await claim_at(res, expired)
    assert again is not None and again.id == "a"
    assert await claim_at(res, expired) is None


async def test_workers_run_different_pull_requests_together_and_one_pr_in_order(
    res: Resources,
) -> None:
    start = now() - timedelta(minutes=1)
    # Not pull_request deliveries: those of an older head would be skipped as superseded.
    for n, delivery_id in enumerate(["pr1-a", "pr1-b", "pr1-c"]):
        await enqueue(res, delivery_id, pr=1, at=start + timedelta(seconds=n), event="workflow_run")
    await enqueue(res, "pr2", pr=2, at=start + timedelta(seconds=10))
    await enqueue(res, "pr3", pr=3, at=start + timedelta(seconds=11))
    in_flight: defaultdict[int, int] = defaultdict(int)
    most: defaultdict[int, int] = defaultdict(int)
    order: list[str] = []
    started = {2: asyncio.Event(), 3: asyncio.Event()}

    async def pipeline(res: Resources, job: Job) -> None:
        assert job.pr_number is not None
        in_flight[job.pr_number] += 1
        most[job.pr_number] = max(most[job.pr_number], in_flight[job.pr_number])
        order.append(job.id)
        try:
            if job.pr_number in started:
                # PRs 2 and 3 each wait until the other has started: only concurrent claims
                # of different pull requests get both of them done.
                started[job.pr_number].set()
                other = started[5 - job.pr_number]
                await asyncio.wait_for(other.wait(), timeout=TIMEOUT)
            await asyncio.sleep(0.02)
        finally:
            in_flight[job.pr_number] -= 1

    stop = asyncio.Event()
    runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=pipeline, concurrency=3))
    try:
        await eventually(lambda: _all_done(res))
    finally:
        stop.set()
        await runner
    assert dict(most) == {1: 1, 2: 1, 3: 1}
    assert [job for job in order if job.startswith("pr1")] == ["pr1-a", "pr1-b", "pr1-c"]
    assert sorted(order) == ["pr1-a", "pr1-b", "pr1-c", "pr2", "pr3"]


async def test_jobs_for_one_head_coalesce_and_an_older_head_is_skipped(res: Resources) -> None:
    start = now() - timedelta(minutes=1)
    old, new = "a" * 40, "b" * 40
    for n in range(3):  # a burst of deliveries for one head
        await enqueue(res, f"old-{n}", at=start + timedelta(seconds=n), head=old)
    await enqueue(res, "new-0", at=start + timedelta(seconds=10), head=new)
    await enqueue(res, "new-1", at=start + timedelta(seconds=11), head=new)
    ran: list[str] = []

    async def pipeline(res: Resources, job: Job) -> None:
        ran.append(job.id)

    stop = asyncio.Event()
    runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=pipeline, concurrency=2))
    try:
        await eventually(lambda: _all_settled(res))
    finally:
        stop.set()
        await runner
    assert ran == ["new-0"]  # one analysis, of the newest head
    stored = {d: await row(res, d) for d in ("old-0", "old-1", "old-2", "new-0", "new-1")}
    assert stored["new-0"].status == "done"
    assert (stored["new-1"].status, stored["new-1"].last_error) == (
        "skipped",
        "coalesced into delivery new-0 (same head)",
    )
    # old-0 was claimed first and found superseded; it had coalesced old-1 and old-2.
    assert stored["old-0"].status == "skipped"
    assert stored["old-0"].last_error == f"superseded by head {new} (delivery new-1)"
    for coalesced in ("old-1", "old-2"):
        assert stored[coalesced].status == "skipped"
        assert stored[coalesced].last_error == "coalesced into delivery old-0 (same head)"


async def _all_settled(res: Resources) -> bool:
    return set((await statuses(res)).values()) <= {"done", "skipped"}


async def _all_done(res: Resources) -> bool:
    return set((await statuses(res)).values()) == {"done"}


# -- outcomes ------------------------------------------------------------------------------------


async def fail_with(error: Exception) -> worker.Pipeline:
    async def pipeline(res: Resources, job: Job) -> None:
        raise error

    return pipeline


async def claim_now(res: Resources) -> Job:
    job = await worker.claim(res)
    assert job is not None
    return job


async def test_success_marks_the_job_done(res: Resources) -> None:
    await enqueue(res, "a")
    before = now()
    await run_job(res, await claim_now(res), succeed)
    stored = await row(res, "a")
    assert (stored.status, stored.attempts, stored.last_error) == ("done", 1, None)
    assert stored.lease_expires_at is None
    assert stored.processed_at is not None and stored.processed_at >= before


async def test_failures_are_retried_with_backoff_then_fail(res: Resources) -> None:
    await enqueue(res, "a")
    for attempt in range(1, MAX_ATTEMPTS):
        before = now()
        await run_job(res, await claim_now(res), await fail_with(RuntimeError(f"boom {attempt}")))
        after = now()
        stored = await row(res, "a")
        assert stored.status == "queued"
        assert stored.attempts == attempt
        assert stored.last_error == f"RuntimeError: boom {attempt}"
        assert stored.lease_expires_at is None
        assert stored.processed_at is None
        window = timedelta(seconds=1 * 2 ** (attempt - 1))  # retry_base_seconds=1, doubling
        assert before + window / 2 <= stored.next_attempt_at <= after + window
        assert await worker.claim(res) is None  # not due yet
        await set_row(res, "a", next_attempt_at=now() - timedelta(milliseconds=1))
    await run_job(res, await claim_now(res), await fail_with(RuntimeError("boom 3")))
    stored = await row(res, "a")
    assert (stored.status, stored.attempts) == ("failed", MAX_ATTEMPTS)
    assert stored.last_error == "RuntimeError: boom 3"
    assert stored.processed_at is not None
    assert stored.lease_expires_at is None
    await set_row(res, "a", next_attempt_at=now() - timedelta(hours=1))
    assert await worker.claim(res) is None  # failed is final


async def test_rate_limit_requeues_at_the_reset_without_spending_an_attempt(
    res: Resources,
) -> None:
    await enqueue(res, "a")
    for _ in range(MAX_ATTEMPTS + 2):
        reset = now() + timedelta(minutes=7)
        limited = GitHubRateLimited("API rate limit exceeded", retry_at=reset)
        await run_job(res, await claim_now(res), await fail_with(limited))
        stored = await row(res, "a")
        assert (stored.status, stored.attempts) == ("queued", 0)
        assert stored.next_attempt_at == reset
        assert stored.last_error == "API rate limit exceeded"
        assert await worker.claim(res) is None
        await set_row(res, "a", next_attempt_at=now())
    await run_job(res, await claim_now(res), succeed)
    assert (await row(res, "a")).status == "done"


@pytest.mark.parametrize("status", [401, 403, 404, 422])
async def test_github_rejection_fails_at_once(res: Resources, status: int) -> None:
    await enqueue(res, "a")
    rejected = GitHubRejected("Not Found", status=status)
    await run_job(res, await claim_now(res), await fail_with(rejected))
    stored = await row(res, "a")
    assert (stored.status, stored.attempts, stored.last_error) == ("failed", 1, "Not Found")
    assert stored.processed_at is not None


@pytest.mark.parametrize(
    ("event", "action", "reason"),
    [
        ("pull_request", "synchronize", "names no pull request head"),
        ("issues", "opened", "no source reads issues opened"),
    ],
)
async def test_a_job_its_source_cannot_run_fails_at_once_without_calling_github(
    res: Resources, event: str, action: str, reason: str
) -> None:
    # Stored as queued with no head (say by an older version): nothing any attempt can do.
    info = DeliveryInfo(event=event, action=action, repository=REPO, pr_number=1)
    async with res.sessions.begin() as session:
        await record_delivery(session, "a", info, payload=b"{}", status="queued", now=now())
    await run_job(res, await claim_now(res), process_job)
    stored = await row(res, "a")
    assert (stored.status, stored.attempts) == ("failed", 1)
    assert stored.last_error is not None and reason in stored.last_error
    assert "422" not in stored.last_error


async def test_a_job_that_keeps_killing_its_worker_is_given_up(res: Resources) -> None:
    await enqueue(res, "a")
    await set_row(
        res,
        "a",
        status="processing",
        attempts=MAX_ATTEMPTS,
        lease_expires_at=now() - timedelta(seconds=1),
    )
    ran: list[str] = []

    async def record(res: Resources, job: Job) -> None:
        ran.append(job.id)

    job = await claim_now(res)
    assert job.attempts == MAX_ATTEMPTS + 1
    await run_job(res, job, record)
    stored = await row(res, "a")
    assert stored.status == "failed"
    assert stored.last_error == f"gave up after {MAX_ATTEMPTS} attempts"
    assert ran == []


async def test_heartbeat_keeps_a_long_job_leased(settings: Settings) -> None:
    short = dataclasses.replace(settings, job_lease_seconds=1)
    async with open_resources(short) as res:
        await enqueue(res, "long")
        job = await claim_now(res)
        first_lease = (await row(res, "long")).lease_expires_at
        assert first_lease is not None

        async def long_pipeline(res: Resources, job: Job) -> None:
            async def renewed() -> bool:
                lease = (await row(res, "long")).lease_expires_at
                return lease is not None and lease > first_lease + timedelta(milliseconds=200)

            await eventually(renewed, within=5)  # the heartbeat beats every lease/3
            # Past the first lease the job is still leased: no other worker may take it.
            async with res.sessions.begin() as session:
                past_first = first_lease + timedelta(milliseconds=1)
                lease = timedelta(seconds=1)
                assert await deliveries.claim_job(session, now=past_first, lease=lease) is None

        await run_job(res, job, long_pipeline)
        stored = await row(res, "long")
        assert (stored.status, stored.attempts) == ("done", 1)


async def test_a_job_whose_lease_was_taken_is_stopped_and_settles_nothing(
    settings: Settings,
) -> None:
    """Never twice at once: when another claim holds the job, the first worker stops its run."""
    short = dataclasses.replace(settings, job_lease_seconds=1)
    async with open_resources(short) as res:
        await enqueue(res, "taken")
        job = await claim_now(res)
        cancelled = asyncio.Event()

        async def stalled_pipeline(res: Resources, job: Job) -> None:
            # Meanwhile another worker claims the job (its lease ran out: a long GC pause, say).
            await set_row(res, "taken", attempts=job.attempts + 1)
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        async with asyncio.timeout(5):
            await run_job(res, job, stalled_pipeline)
        assert cancelled.is_set()
        stored = await row(res, "taken")
        # The other claim's state is untouched: still processing, its attempt, no release.
        assert (stored.status, stored.attempts) == ("processing", job.attempts + 1)


async def test_settling_needs_the_claim_that_holds_the_job(res: Resources) -> None:
    await enqueue(res, "fenced")
    job = await claim_now(res)
    async with res.sessions.begin() as session:
        await deliveries.finish_job(session, "fenced", now=now(), claim=job.attempts + 1)
        assert not await deliveries.extend_lease(
            session, "fenced", claim=job.attempts + 1, until=now()
        )
    assert (await row(res, "fenced")).status == "processing"
    async with res.sessions.begin() as session:
        await deliveries.finish_job(session, "fenced", now=now(), claim=job.attempts)
    assert (await row(res, "fenced")).status == "done"


async def test_a_failure_to_record_the_outcome_does_not_stop_the_worker(
    res: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    """A database outage while settling a job loses neither the job nor the job loop."""
    await enqueue(res, "a", pr=1)
    outage = asyncio.Event()

    async def pipeline(res: Resources, job: Job) -> None:
        if job.id == "a" and not outage.is_set():
            outage.set()
            await _rename(res, "deliveries", "deliveries_away")  # the outcome cannot be stored

    stop = asyncio.Event()
    runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=pipeline, concurrency=1))
    try:
        with caplog.at_level(logging.ERROR, logger="grimoire.worker"):
            await asyncio.wait_for(outage.wait(), TIMEOUT)
            await eventually(lambda: _logged(caplog, "a"))
        await _rename(res, "deliveries_away", "deliveries")
        await enqueue(res, "b", pr=2)
        res.jobs_ready.set()
        await eventually(lambda: _status_is(res, "b", "done"))
        # a is still leased to the loop that could not settle it; when the lease ends it runs again.
        assert (await row(res, "a")).status == "processing"
        await set_row(res, "a", lease_expires_at=now() - timedelta(seconds=1))
        res.jobs_ready.set()
        await eventually(lambda: _status_is(res, "a", "done"))
    finally:
        stop.set()
        await runner
    assert not runner.exception()


async def _rename(res: Resources, old: str, new: str) -> None:
    async with res.engine.begin() as connection:
        await connection.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")


async def _logged(caplog: pytest.LogCaptureFixture, job_id: str) -> bool:
    return any(
        record.name == "grimoire.worker" and job_id in record.getMessage()
        for record in caplog.records
    )


# -- shutdown ------------------------------------------------------------------------------------


async def test_stop_drains_the_job_in_flight_and_claims_no_more(res: Resources) -> None:
    start = now() - timedelta(minutes=1)
    await enqueue(res, "in-flight", pr=1, at=start)
    await enqueue(res, "next", pr=2, at=start + timedelta(seconds=1))
    started, stop = asyncio.Event(), asyncio.Event()

    async def pipeline(res: Resources, job: Job) -> None:
        started.set()
        await stop.wait()
        await asyncio.sleep(0.05)  # still working after the stop: it must be let finish

    runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=pipeline, concurrency=1))
    await asyncio.wait_for(started.wait(), TIMEOUT)
    stop.set()
    await asyncio.wait_for(runner, TIMEOUT)
    assert await statuses(res) == {"in-flight": "done", "next": "queued"}
    assert (await row(res, "next")).attempts == 0


async def test_stop_releases_a_job_that_does_not_finish_in_time(
    res: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The drain bound is 10 s in production; a tenth of a second shows the same path.
    monkeypatch.setattr(worker, "DRAIN_SECONDS", 0.1)
    await enqueue(res, "stuck")
    started, never = asyncio.Event(), asyncio.Event()

    async def pipeline(res: Resources, job: Job) -> None:
        started.set()
        await never.wait()

    stop = asyncio.Event()
    runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=pipeline, concurrency=2))
    await asyncio.wait_for(started.wait(), TIMEOUT)
    stop.set()
    await asyncio.wait_for(runner, TIMEOUT)
    stored = await row(res, "stuck")
    # Back in the queue, due now, its attempt given back: the next worker starts it afresh.
    assert (stored.status, stored.attempts, stored.lease_expires_at) == ("queued", 0, None)
    assert stored.next_attempt_at <= now()
    assert await worker.claim(res) is not None


# -- retry_delay ---------------------------------------------------------------------------------

attempts = st.integers(min_value=-3, max_value=10**6)
bases = st.floats(min_value=0.001, max_value=3600)
jitters = st.floats(min_value=0, max_value=1)


def window(attempt: int, base: float) -> float:
    """The backoff window: the base, doubled per attempt after the first, capped."""
    return min(MAX_BACKOFF_SECONDS, base * 2.0 ** min(max(attempt - 1, 0), 64))


# Property: the delay is positive and never more than the cap, for any attempt number.
@given(attempt=attempts, base=bases, jitter=jitters)
def test_retry_delay_is_bounded(attempt: int, base: float, jitter: float) -> None:
    assert 0 < retry_delay(attempt, base=base, jitter=jitter) <= MAX_BACKOFF_SECONDS


# Property: "equal jitter": the delay lies in [window/2, window], at the ends for jitter 0 and 1.
@given(attempt=attempts, base=bases, jitter=jitters)
def test_retry_delay_jitter_stays_in_the_upper_half_of_the_window(
    attempt: int, base: float, jitter: float
) -> None:
    full = window(attempt, base)
    delay = retry_delay(attempt, base=base, jitter=jitter)
    assert full / 2 <= delay <= full * (1 + 1e-12)
    assert retry_delay(attempt, base=base, jitter=0) == pytest.approx(full / 2)
    assert retry_delay(attempt, base=base, jitter=1) == pytest.approx(full)


# Property: the delay grows with the attempt (for the same jitter), doubling until the cap.
@given(attempt=st.integers(1, 200), base=bases, jitter=jitters)
def test_retry_delay_grows(attempt: int, base: float, jitter: float) -> None:
    delay = retry_delay(attempt, base=base, jitter=jitter)
    following = retry_delay(attempt + 1, base=base, jitter=jitter)
    assert following >= delay
    if window(attempt + 1, base) < MAX_BACKOFF_SECONDS:
        assert following == pytest.approx(2 * delay)


def test_retry_delay_examples() -> None:
    assert retry_delay(1, base=5, jitter=1) == 5
    assert retry_delay(1, base=5, jitter=0) == 2.5
    assert retry_delay(4, base=5, jitter=1) == 40
    assert retry_delay(30, base=5, jitter=1) == MAX_BACKOFF_SECONDS
    assert retry_delay(30, base=5, jitter=0) == MAX_BACKOFF_SECONDS / 2


async def test_concurrent_intakes_of_one_new_id_queue_it_once(res: Resources) -> None:
    # Two service processes receiving the same delivery at once (GitHub retrying a slow
    # answer): each checks the id, then inserts. Exactly one may say "queued".
    info = DeliveryInfo(event="pull_request", action="opened", repository=REPO, pr_number=1)

    async def intake() -> str:
        async with res.sessions.begin() as session:
            return await record_delivery(
                session, "same-id", info, payload=b"{}", status="queued", now=now()
            )

    outcomes = await asyncio.gather(*(intake() for _ in range(20)))
    assert sorted(outcomes) == ["duplicate"] * 19 + ["queued"]
    async with res.sessions.begin() as session:
        count = await session.scalar(select(func.count()).select_from(Delivery))
    assert count == 1


async def test_a_plain_connection_failure_is_one_log_line(
    res: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    """GitHub or the database out of reach is not a bug: one line each time, no traceback."""
    unreachable = GitHubUnavailable(
        "GitHub API unreachable for GET /repos/o/r/pulls/1: ConnectError [Errno 111] Connection "
        "refused (gave up after 3 attempts)"
    )
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    await enqueue(res, "a")
    with caplog.at_level(logging.INFO, logger="grimoire.worker"):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            error = unreachable if attempt % 2 else refused
            await run_job(res, await claim_now(res), await fail_with(error))
            await set_row(res, "a", next_attempt_at=now() - timedelta(milliseconds=1))
    assert (await row(res, "a")).status == "failed"
    records = [r for r in caplog.records if r.name == "grimoire.worker"]
    assert len(records) == MAX_ATTEMPTS
    for record in records:
        assert record.exc_info is None
        assert "\n" not in record.getMessage()
    assert "job a failed after 3 attempts: GitHubUnavailable: GitHub API unreachable" in (
        records[-1].getMessage()
    )
    # A bug is another matter: its traceback is what the reader needs.
    await enqueue(res, "b", pr=2)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="grimoire.worker"):
        for _ in range(MAX_ATTEMPTS):
            await run_job(res, await claim_now(res), await fail_with(KeyError("oops")))
            await set_row(res, "b", next_attempt_at=now() - timedelta(milliseconds=1))
    [record] = [r for r in caplog.records if r.name == "grimoire.worker"]
    assert record.exc_info is not None


async def test_a_long_run_of_one_head_is_coalesced_a_chunk_per_transaction(
    res: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim skips the first chunk; the rest go in short transactions of their own, so
    intake's commits can get in between; none is left queued, whatever the run's length."""
    monkeypatch.setattr(deliveries, "COALESCE_CHUNK", 2)
    start = now() - timedelta(minutes=1)
    for n in range(7):
        await enqueue(res, f"burst-{n}", at=start + timedelta(seconds=n), head="c" * 40)
    job = await worker.claim(res)
    assert job is not None and job.id == "burst-0"
    assert job.coalesced == 2  # in the claim's own transaction
    found = await statuses(res)
    assert found["burst-0"] == "processing"
    assert [found[f"burst-{n}"] for n in range(1, 7)] == ["skipped"] * 6
