"""pull_reports and check_run_reports: what Grimoire has told each pull request, and where.

One row per pull request holds its sticky comment's id and the delivery last reported on it;
one row per analysis holds its check run and how far its completion got. Reporting reads them
before calling GitHub and records what GitHub answered right after, each in its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.storage.tables import CheckRunReport, PullReport


async def get_pull_report(
    session: AsyncSession, *, repository: str, pr_number: int
) -> PullReport | None:
    """Return what was last reported on a pull request, if anything."""
    return await session.scalar(
        select(PullReport).where(
            PullReport.repository == repository, PullReport.pr_number == pr_number
        )
    )


async def record_pull_report(
    session: AsyncSession,
    *,
    repository: str,
    pr_number: int,
    comment_id: int | None,
    head_sha: str,
    delivery_id: str,
    delivered_at: datetime,
    findings_count: int,
    now: datetime,
) -> None:
    """Record the report just made on a pull request (its comment, if any, and its delivery)."""
    report = await get_pull_report(session, repository=repository, pr_number=pr_number)
    if report is None:
        # Jobs for one pull request never run at once (claim_job), and the unique constraint
        # turns a lost race into an error the queue retries, never into a second row.
        report = PullReport(repository=repository, pr_number=pr_number)
        session.add(report)
    report.comment_id = comment_id
    report.head_sha = head_sha
    report.delivery_id = delivery_id
    report.delivered_at = delivered_at
    report.findings_count = findings_count
    report.updated_at = now
    await session.flush()


async def get_check_run(session: AsyncSession, analysis_id: int) -> CheckRunReport | None:
    """Return the check run of an analysis, if one was created."""
    return await session.get(CheckRunReport, analysis_id)


async def record_check_run(
    session: AsyncSession,
    analysis_id: int,
    *,
    check_run_id: int,
    delivery_id: str,
    head_sha: str,
    now: datetime,
) -> None:
    """Record a check run just created for an analysis (replacing an earlier, finished one)."""
    run = await get_check_run(session, analysis_id)
    if run is None:
        run = CheckRunReport(analysis_id=analysis_id)
        session.add(run)
    run.check_run_id = check_run_id
    run.delivery_id = delivery_id
    run.head_sha = head_sha
    run.annotations_sent = 0
    run.conclusion = None
    run.created_at = now
    run.completed_at = None
    await session.flush()


async def record_check_progress(
    session: AsyncSession,
    analysis_id: int,
    *,
    annotations_sent: int,
    conclusion: str,
    completed_at: datetime | None,
) -> None:
    """Record how many annotations the check run has, and whether it is complete."""
    run = await get_check_run(session, analysis_id)
    if run is None:
        return
    run.annotations_sent = annotations_sent
    run.conclusion = conclusion
    run.completed_at = completed_at
    await session.flush()
