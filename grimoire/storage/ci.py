"""The CI tables: failed runs and their jobs (``ci_analyses``, ``ci_jobs``), and where each
failure was seen (``ci_sightings``), which classifies a pull request's failure.

One analysis per (repository, source, run, attempt): a redelivery or a retried job rewrites it in
place. Functions take the session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from grimoire.core.ci_analysis import JobResult, SpellHit, classify
from grimoire.core.ci_events import CiRun
from grimoire.core.ci_report import CiJobView, CiRunView
from grimoire.storage.tables import CiAnalysis, CiJob, CiSighting, Delivery, without_nul

PROCESSING, DONE, FAILED = "processing", "done", "failed"
WEEK = timedelta(days=7)


async def start_ci_analysis(
    session: AsyncSession,
    run: CiRun,
    *,
    pulls: Sequence[int],
    delivery_id: str,
    now: datetime,
) -> int:
    """Mark the analysis of this run attempt as processing, creating it the first time."""
    analysis = await session.scalar(
        select(CiAnalysis).where(
            CiAnalysis.repository == run.repository,
            CiAnalysis.source == run.source,
            CiAnalysis.run_id == run.run_id,
            CiAnalysis.run_attempt == run.run_attempt,
        )
    )
    if analysis is None:
        analysis = CiAnalysis(
            repository=run.repository,
            source=run.source,
            run_id=run.run_id,
            run_attempt=run.run_attempt,
            created_at=now,
            jobs_failed=0,
            findings_count=0,
        )
        session.add(analysis)
    analysis.delivery_id = delivery_id
    analysis.workflow = run.workflow[:255]
    analysis.name = run.name[:255]
    analysis.url = run.url
    analysis.conclusion = run.conclusion
    analysis.head_sha = run.head_sha
    analysis.head_branch = run.head_branch
    analysis.default_branch = run.on_default_branch
    analysis.pr_number = pulls[0] if pulls else None
    analysis.pull_requests = list(pulls)
    analysis.installation_id = run.installation_id
    analysis.status = PROCESSING
    analysis.error = None
    analysis.updated_at = now
    await session.flush()
    return analysis.id


async def save_ci_jobs(
    session: AsyncSession,
    analysis_id: int,
    run: CiRun,
    results: Sequence[JobResult],
    *,
    problem: str | None,
    now: datetime,
) -> None:
    """Store the failed jobs of a run, classify each failure and record where it was seen."""
    analysis = await _get(session, analysis_id)
    await session.execute(delete(CiJob).where(CiJob.ci_analysis_id == analysis_id))
    for position, result in enumerate(results):
        failure = result.failure
        job = CiJob(
            ci_analysis_id=analysis_id,
            position=position,
            job_id=result.job_id,
            name=result.name[:255],
            step=None if result.step is None else result.step[:255],
            url=result.url,
            outcome=result.outcome,
            reason=without_nul(result.reason),
            log_bytes=result.log_bytes,
            head_cut=result.head_cut,
            other_pulls=0,
            spells=[],
            errors=[],
        )
        if failure is not None:
            job.error_type = without_nul(failure.error_type[:255])
            job.root_cause = without_nul(failure.root_cause)
            job.excerpt = without_nul(failure.excerpt)
            job.fingerprint = failure.fingerprint
            job.spells = [_builtins(hit) for hit in failure.spells]
            job.errors = [_builtins(error) for error in failure.errors]
            await _classify(session, job, analysis, since=now - WEEK)
            await _record_sighting(session, analysis, run, job, now=now)
        session.add(job)
    analysis.status = DONE
    analysis.error = without_nul(problem)
    analysis.jobs_failed = len(results)
    analysis.findings_count = sum(1 for result in results if result.failure is not None)
    analysis.updated_at = now
    await session.flush()


async def fail_ci_analysis(
    session: AsyncSession, analysis_id: int, *, error: str, now: datetime
) -> None:
    """Record why reading a run failed (a retry of the job sets it back to processing)."""
    analysis = await _get(session, analysis_id)
    analysis.status = FAILED
    analysis.error = without_nul(error)
    analysis.updated_at = now


async def set_ci_report_status(
    session: AsyncSession, analysis_id: int, *, status: str, error: str | None, now: datetime
) -> None:
    """Record how reporting the run went."""
    analysis = await _get(session, analysis_id)
    analysis.report_status = status
    analysis.report_error = without_nul(error)
    analysis.updated_at = now


async def has_open_failures(
    session: AsyncSession, *, repository: str, head_sha: str, workflow: str, event: str
) -> bool:
    """Tell whether a success on this head has anything to resolve.

    Yes when the head has failures of this workflow that no success resolved yet, or a CI
    delivery of the same event for the head still waiting in the queue (a failure not analysed
    yet: the success, queued behind it, resolves it once it is).
    """
    found = await session.scalar(
        select(CiAnalysis.id)
        .where(
            CiAnalysis.repository == repository,
            CiAnalysis.head_sha == head_sha,
            CiAnalysis.workflow == workflow,
            CiAnalysis.resolved_at.is_(None),
        )
        .limit(1)
    )
    if found is not None:
        return True
    waiting = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.repository == repository,
            Delivery.head_sha == head_sha,
            Delivery.event == event,
            Delivery.status.in_(("queued", "processing")),
        )
        .limit(1)
    )
    return waiting is not None


async def resolve_failures(
    session: AsyncSession,
    *,
    repository: str,
    head_sha: str,
    workflow: str,
    by: str,
    now: datetime,
) -> list[int]:
    """Mark this head's open failures of this workflow resolved; return their pull requests."""
    rows = await session.scalars(
        select(CiAnalysis).where(
            CiAnalysis.repository == repository,
            CiAnalysis.head_sha == head_sha,
            CiAnalysis.workflow == workflow,
            CiAnalysis.resolved_at.is_(None),
        )
    )
    pulls: set[int] = set()
    for analysis in rows:
        analysis.resolved_at = now
        analysis.resolved_by = by
        analysis.updated_at = now
        pulls.update(analysis.pull_requests)
    await session.flush()
    return sorted(pulls)


async def runs_for_head(
    session: AsyncSession, *, repository: str, pr_number: int, head_sha: str
) -> list[CiAnalysis]:
    """Return the head's analysed CI runs for a pull request: each run's latest attempt."""
    rows = await _done_runs(session, repository=repository, head_sha=head_sha)
    return _latest_attempts([row for row in rows if pr_number in row.pull_requests])


async def runs_on_head(
    session: AsyncSession, *, repository: str, head_sha: str
) -> list[CiAnalysis]:
    """Return the head's analysed CI runs, whatever their pull requests (latest attempts)."""
    return _latest_attempts(await _done_runs(session, repository=repository, head_sha=head_sha))


async def _done_runs(
    session: AsyncSession, *, repository: str, head_sha: str
) -> Sequence[CiAnalysis]:
    return (
        await session.scalars(
            select(CiAnalysis)
            .where(
                CiAnalysis.repository == repository,
                CiAnalysis.head_sha == head_sha,
                CiAnalysis.status == DONE,
            )
            .options(selectinload(CiAnalysis.jobs))
            .order_by(CiAnalysis.created_at, CiAnalysis.id)
        )
    ).all()


def _latest_attempts(rows: Sequence[CiAnalysis]) -> list[CiAnalysis]:
    latest: dict[tuple[str, int], CiAnalysis] = {}
    for row in rows:
        key = (row.source, row.run_id)
        if key not in latest or latest[key].run_attempt < row.run_attempt:
            latest[key] = row
    return list(latest.values())


async def list_ci_analyses(
    session: AsyncSession,
    *,
    skip: int,
    limit: int,
    repository: str | None = None,
    pr_number: int | None = None,
) -> tuple[Sequence[CiAnalysis], int]:
    """Return one page of CI analyses with their jobs, newest first, and how many in all."""
    conditions = []
    if repository is not None:
        conditions.append(CiAnalysis.repository == repository)
    if pr_number is not None:
        conditions.append(CiAnalysis.pr_number == pr_number)
    total = await session.scalar(select(func.count()).select_from(CiAnalysis).where(*conditions))
    page = await session.scalars(
        select(CiAnalysis)
        .where(*conditions)
        .options(selectinload(CiAnalysis.jobs))
        .order_by(CiAnalysis.created_at.desc(), CiAnalysis.id.desc())
        .offset(skip)
        .limit(limit)
    )
    return page.all(), total or 0


async def sightings_of(session: AsyncSession, fingerprint: str, *, limit: int) -> list[CiSighting]:
    """Return where a fingerprint was seen, newest first."""
    rows = await session.scalars(
        select(CiSighting)
        .where(CiSighting.fingerprint == fingerprint)
        .order_by(CiSighting.seen_at.desc(), CiSighting.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def _classify(
    session: AsyncSession, job: CiJob, analysis: CiAnalysis, *, since: datetime
) -> None:
    """Set the job's classification from the sightings of its fingerprint in the last week."""
    other_run = or_(
        CiSighting.repository != analysis.repository,
        CiSighting.source != analysis.source,
        CiSighting.run_id != analysis.run_id,
    )
    seen = and_(CiSighting.fingerprint == job.fingerprint, CiSighting.seen_at >= since, other_run)
    on_default = await session.scalar(
        select(CiSighting.id).where(seen, CiSighting.default_branch.is_(True)).limit(1)
    )
    other_pulls = 0
    if analysis.pr_number is not None:
        others = select(CiSighting.repository, CiSighting.pr_number).where(
            seen,
            CiSighting.pr_number.is_not(None),
            or_(
                CiSighting.repository != analysis.repository,
                CiSighting.pr_number.not_in(analysis.pull_requests or [0]),
            ),
        )
        other_pulls = (
            await session.scalar(select(func.count()).select_from(others.distinct().subquery()))
            or 0
        )
    job.classification = classify(on_default_branch=on_default is not None, other_pulls=other_pulls)
    job.other_pulls = other_pulls


async def _record_sighting(
    session: AsyncSession, analysis: CiAnalysis, run: CiRun, job: CiJob, *, now: datetime
) -> None:
    """Remember that this failure was seen in this run's job (once per run attempt and job)."""
    assert job.fingerprint is not None
    known = await session.scalar(
        select(CiSighting).where(
            CiSighting.repository == analysis.repository,
            CiSighting.source == analysis.source,
            CiSighting.run_id == analysis.run_id,
            CiSighting.run_attempt == analysis.run_attempt,
            CiSighting.job_name == job.name,
            CiSighting.fingerprint == job.fingerprint,
        )
    )
    if known is not None:
        return
    session.add(
        CiSighting(
            fingerprint=job.fingerprint,
            repository=analysis.repository,
            pr_number=analysis.pr_number,
            head_sha=analysis.head_sha,
            branch=run.head_branch,
            default_branch=run.on_default_branch,
            source=analysis.source,
            run_id=analysis.run_id,
            run_attempt=analysis.run_attempt,
            job_name=job.name,
            job_url=job.url,
            seen_at=now,
        )
    )
    await session.flush()


async def _get(session: AsyncSession, analysis_id: int) -> CiAnalysis:
    analysis = await session.get(CiAnalysis, analysis_id)
    if analysis is None:
        raise LookupError(f"CI analysis {analysis_id} is gone")
    return analysis


def _builtins(value: object) -> dict[str, object]:
    built = msgspec.to_builtins(value)
    assert isinstance(built, dict)
    return built


def run_views(rows: Sequence[CiAnalysis]) -> list[CiRunView]:
    """Return stored runs (their jobs loaded) as the report shows them."""
    return [
        CiRunView(
            name=row.name,
            url=row.url,
            run_attempt=row.run_attempt,
            resolved_by=row.resolved_by if row.resolved_at is not None else None,
            jobs=tuple(_job_view(job) for job in row.jobs),
        )
        for row in rows
    ]


def _job_view(job: CiJob) -> CiJobView:
    return CiJobView(
        name=job.name,
        step=job.step,
        url=job.url,
        outcome=job.outcome,
        reason=job.reason,
        error_type=job.error_type,
        root_cause=job.root_cause,
        classification=job.classification,
        other_pulls=job.other_pulls,
        head_cut=job.head_cut,
        spells=tuple(msgspec.convert(hit, SpellHit) for hit in job.spells),
    )
