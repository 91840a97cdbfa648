"""The worker: claims queued deliveries, runs the pipeline on each, settles the outcome.

Each claimed job is leased; a heartbeat renews the lease while the job runs, so a job whose
process died (``kill -9``) is claimed again once its lease expires and nothing is lost. Failures
are retried with exponential backoff and jitter, up to ``DELIVERY_MAX_ATTEMPTS``; rate limits
wait for the reset without spending an attempt; permanent GitHub refusals fail at once. On
shutdown, in-flight jobs get a bounded time to finish, then go back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from grimoire.core.failures import failure_outcome
from grimoire.errors import GitHubRateLimited, GrimoireError
from grimoire.logs import logging_delivery
from grimoire.reconcile import reconcile_every
from grimoire.resources import Resources
from grimoire.storage import deliveries
from grimoire.storage.db import is_database_outage
from grimoire.storage.deliveries import Job

log = logging.getLogger(__name__)

Pipeline = Callable[[Resources, Job], Coroutine[Any, Any, None]]

POLL_SECONDS = 1.0
OUTAGE_MAX_WAIT = 30.0
"""The longest wait between two claims while the database fails them."""
CLAIM_TRIES = 3
DRAIN_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 15 * 60.0


def retry_delay(attempt: int, *, base: float, jitter: float) -> float:
    """Return seconds to wait before attempt ``attempt + 1``: doubling, capped, with jitter.

    ``jitter`` in [0, 1] picks a point in the upper half of the window ("equal jitter"), so
    retries from many jobs spread out but none comes back sooner than half the backoff.
    """
    # Clamp the exponent: 2.0 ** 1024 raises OverflowError, and the cap is reached long before.
    window = min(MAX_BACKOFF_SECONDS, base * 2.0 ** min(max(0, attempt - 1), 64))
    return window / 2 + window / 2 * jitter


async def run_workers(
    res: Resources, *, stop: asyncio.Event, pipeline: Pipeline, concurrency: int
) -> None:
    """Run ``concurrency`` job loops until ``stop`` is set, then drain within a bound."""
    loops = [
        asyncio.create_task(_job_loop(res, stop, pipeline), name=f"grimoire-worker-{n}")
        for n in range(concurrency)
    ]
    every = res.settings.reconcile_every
    if every is not None and res.settings.has_app:
        loops.append(
            asyncio.create_task(
                reconcile_every(every, res.github, res.sessions, stop=stop),
                name="grimoire-reconcile",
            )
        )
    elif every is not None:
        log.warning("RECONCILE_EVERY is set but no GitHub App is configured: not reconciling")
    await stop.wait()
    res.jobs_ready.set()  # wake idle loops so they notice the stop
    _, pending = await asyncio.wait(loops, timeout=DRAIN_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if pending:
        log.warning("%d job(s) did not finish within %ss; requeued", len(pending), DRAIN_SECONDS)


async def _job_loop(res: Resources, stop: asyncio.Event, pipeline: Pipeline) -> None:
    outage = _Outage()
    while not stop.is_set():
        try:
            job = await claim(res)
        except Exception as exc:  # a database outage must not kill the loop: wait and retry
            if not is_database_outage(exc):
                log.exception("could not claim a job")
            await outage.wait(exc, stop)
            continue
        outage.over()
        if job is None:
            await _wait_for_work(res, stop)
            continue
        try:
            await run_job(res, job, pipeline)
        except Exception as exc:  # recording the outcome failed: the lease expires, the job reruns
            if not is_database_outage(exc):
                log.exception("could not record the outcome of job %s", job.id)
            else:  # not a bug: one line, no traceback
                log.error("could not record the outcome of job %s: %s", job.id, one_line(exc))


class _Outage:
    """Back off while the database is out of reach or unusable, and say so once, not per poll.

    Dropped, unmigrated or unreachable, the database fails every claim: one warning line when
    it starts, waits doubling from ``POLL_SECONDS`` to ``OUTAGE_MAX_WAIT``, one line when over.
    """

    def __init__(self) -> None:
        self.failures = 0

    async def wait(self, exc: Exception, stop: asyncio.Event) -> None:
        self.failures += 1
        delay = min(POLL_SECONDS * 2 ** min(self.failures - 1, 10), OUTAGE_MAX_WAIT)
        if self.failures == 1:
            log.warning(
                "could not claim a job: %s; retrying with backoff up to %ss",
                one_line(exc),
                OUTAGE_MAX_WAIT,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)

    def over(self) -> None:
        if self.failures:
            log.info("the database answers again after %d failed claims", self.failures)
        self.failures = 0


def one_line(exc: BaseException) -> str:
    """Say what failed in one line: the type and the first line of the message.

    Driver errors span lines (SQLAlchemy appends the statement and a documentation link).
    """
    first = next((line for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


async def claim(res: Resources) -> Job | None:
    """Claim the next due job, if any.

    On SQLite the queue is scanned in a read transaction and only the chosen job is claimed
    under the write lock (``deliveries.next_due``); another worker may take it in between, so
    a few candidates are tried.
    """
    job = await _claim(res)
    if job is not None:
        await _coalesce_rest(res, job)
    return job


async def _claim(res: Resources) -> Job | None:
    lease = timedelta(seconds=res.settings.job_lease_seconds)
    if res.engine.dialect.name != "sqlite":
        async with res.sessions.begin() as session:
            return await deliveries.claim_job(session, now=datetime.now(UTC), lease=lease)
    for _ in range(CLAIM_TRIES):
        now = datetime.now(UTC)
        async with res.readers() as session:
            candidate = await deliveries.next_due(session, now=now)
        if candidate is None:
            return None
        async with res.sessions.begin() as session:
            job = await deliveries.claim_job(session, now=now, lease=lease, candidate=candidate)
        if job is not None:
            return job
    return None


async def _coalesce_rest(res: Resources, job: Job) -> None:
    """Skip the rest of a long run of same-head jobs, a chunk per transaction."""
    skipped = job.coalesced
    while skipped == deliveries.COALESCE_CHUNK:
        async with res.sessions.begin() as session:
            skipped = await deliveries.coalesce(session, job, now=datetime.now(UTC))


async def run_job(res: Resources, job: Job, pipeline: Pipeline) -> None:
    """Run the pipeline on one claimed job, record what happened, and time it."""
    started = time.perf_counter()
    outcome = "interrupted"
    try:
        with logging_delivery(job.id):
            outcome = await _run_job(res, job, pipeline)
    finally:
        elapsed = time.perf_counter() - started
        res.metrics.jobs.labels(job.event, outcome).observe(elapsed)


async def _run_job(res: Resources, job: Job, pipeline: Pipeline) -> str:
    """Run one job; return its outcome (done, retry, rate_limited, failed, lease_lost)."""
    if job.attempts > res.settings.delivery_max_attempts:
        # Claimed again after its lease expired that many times: its process keeps dying on it.
        await _settle(
            res, deliveries.fail_job, job, error=f"gave up after {job.attempts - 1} attempts"
        )
        return "failed"
    async with res.readers() as session:
        superseded = await deliveries.superseded_by(session, job)
    if superseded is not None:
        log.info("job %s skipped: %s", job.id, superseded)
        await _settle(res, deliveries.skip_job, job, reason=superseded)
        return "superseded"
    work = asyncio.create_task(pipeline(res, job), name=f"grimoire-job-{job.id}")
    lost = asyncio.Event()
    heartbeat = asyncio.create_task(_heartbeat(res, job, work, lost))
    try:
        await work
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if lost.is_set() and current is not None and not current.cancelling():
            # Stopped by the heartbeat: another worker may own the job now; leave it to it.
            return "lease_lost"
        await asyncio.shield(_release(res, job))
        raise
    except Exception as exc:
        return await _handle_failure(res, job, exc)
    else:
        await _settle(res, deliveries.finish_job, job)
        return "done"
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat


async def _handle_failure(res: Resources, job: Job, exc: Exception) -> str:
    """Wait out a rate limit, retry after a backoff, or fail for good (``failure_outcome``)."""
    outcome = failure_outcome(
        exc, attempts=job.attempts, max_attempts=res.settings.delivery_max_attempts
    )
    if isinstance(exc, GitHubRateLimited) and outcome == "wait":
        log.info("job %s rate limited until %s", job.id, exc.retry_at.isoformat())
        await _retry(res, job, at=exc.retry_at, error=exc.detail, count_attempt=False)
        return "rate_limited"
    if isinstance(exc, GrimoireError) and outcome == "refused":
        log.warning("job %s failed for good: %s", job.id, exc.detail)
        await _settle(res, deliveries.fail_job, job, error=exc.detail)
        return "failed"
    error = f"{type(exc).__name__}: {exc}"
    if outcome == "exhausted":
        # GitHub or the database out of reach is said in one line; anything else is a bug, and
        # its traceback is what a reader needs.
        expected = isinstance(exc, GrimoireError) or is_database_outage(exc)
        log.error(
            "job %s failed after %d attempts: %s",
            job.id,
            job.attempts,
            one_line(exc),
            exc_info=None if expected else exc,
        )
        await _settle(res, deliveries.fail_job, job, error=error)
        return "failed"
    delay = retry_delay(job.attempts, base=res.settings.retry_base_seconds, jitter=random.random())
    log.warning(
        "job %s attempt %d failed, retrying in %.0fs: %s",
        job.id,
        job.attempts,
        delay,
        one_line(exc),
    )
    await _retry(res, job, at=datetime.now(UTC) + timedelta(seconds=delay), error=error)
    return "retry"


async def _retry(
    res: Resources, job: Job, *, at: datetime, error: str | None, count_attempt: bool = True
) -> None:
    async with res.sessions.begin() as session:
        await deliveries.retry_job(
            session,
            job.id,
            now=datetime.now(UTC),
            at=at,
            error=error,
            count_attempt=count_attempt,
            claim=job.attempts,
        )


async def _release(res: Resources, job: Job) -> None:
    """Give an interrupted job back to the queue, due now, without spending its attempt."""
    try:
        await _retry(res, job, at=datetime.now(UTC), error=None, count_attempt=False)
    except Exception:  # the lease still expires, and the job is claimed again then
        log.exception("could not release job %s; it runs again when its lease expires", job.id)


async def _settle(
    res: Resources, settle: Callable[..., Awaitable[None]], job: Job, **extra: str
) -> None:
    async with res.sessions.begin() as session:
        await settle(session, job.id, now=datetime.now(UTC), claim=job.attempts, **extra)


async def _heartbeat(
    res: Resources, job: Job, work: asyncio.Task[None], lost: asyncio.Event
) -> None:
    """Renew the job's lease every third of it; stop the job the moment the lease may be lost.

    Leases are short (JOB_LEASE_SECONDS, 30 s by default) so that a killed worker's jobs are
    claimed again within seconds. The price is this rule: a job whose lease another worker
    may have taken (the renewal found another claim, or no renewal got through for two thirds
    of a lease) is cancelled here, so one job never runs twice at the same time.
    """
    lease = res.settings.job_lease_seconds
    loop = asyncio.get_running_loop()
    renewed = loop.time()
    while True:
        await asyncio.sleep(lease / 3)
        held: bool | None = None
        try:
            async with res.sessions.begin() as session:
                until = datetime.now(UTC) + timedelta(seconds=lease)
                held = await deliveries.extend_lease(
                    session, job.id, claim=job.attempts, until=until
                )
        except Exception as exc:
            log.warning("could not renew the lease of job %s: %s", job.id, exc)
        if held:
            renewed = loop.time()
            continue
        if held is False or loop.time() - renewed > lease * 2 / 3:
            log.error("job %s lost its lease; stopping it so that it never runs twice", job.id)
            lost.set()
            work.cancel()
            return


async def _wait_for_work(res: Resources, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(res.jobs_ready.wait(), timeout=POLL_SECONDS)
    if not stop.is_set():
        res.jobs_ready.clear()
