"""The job a worker runs for a pull-request delivery: diff → parse → extract → rank → save.

Each step is one line below; the work is in the pure core (run in a thread, so a 50,000-line
diff does not stall the event loop that acknowledges webhooks) and in the storage and GitHub
edges. The effect is idempotent: one analysis per (repository, PR, head SHA), rewritten in place
when the same head is processed again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from grimoire import reporting
from grimoire.core.diff import ParsedDiff, parse_diff, parse_file_patches
from grimoire.core.findings import MAX_FINDINGS, Finding, find_errors
from grimoire.errors import DiffTooLarge, GitHubRejected
from grimoire.github.client import GitHubClient
from grimoire.resources import Resources
from grimoire.storage import analyses
from grimoire.storage.deliveries import Job

log = logging.getLogger(__name__)


async def process_job(res: Resources, job: Job) -> None:
    """Run the pipeline for one claimed delivery (only pull_request deliveries are queued)."""
    if job.repository is None or job.pr_number is None or job.head_sha is None:
        raise GitHubRejected(f"delivery {job.id} names no pull request", status=422)
    analysis_id = await start(res, job)
    await reporting.begin(res, job, analysis_id)
    try:
        diff, source = await fetch_changes(res.github, job)
        book = await res.spell_index.current(res.readers)
        findings, capped = await asyncio.to_thread(find_errors, diff.files, book)
        await save(res, analysis_id, diff, findings, capped=capped, source=source)
    except Exception as exc:
        await record_failure(res, analysis_id, exc)
        await reporting.abandon(res, job, analysis_id, exc)
        raise
    # Outside the try: a reporting failure keeps the saved analysis (report_status says why).
    await reporting.finish(res, job, analysis_id, findings, capped=capped)
    log.info(
        "analysed %s#%s at %s: %d files, %d findings",
        job.repository,
        job.pr_number,
        job.head_sha[:12],
        len(diff.files),
        len(findings),
    )


async def start(res: Resources, job: Job) -> int:
    """Create or reset the analysis of the job's head, marked processing."""
    assert job.repository is not None
    assert job.pr_number is not None
    assert job.head_sha is not None
    async with res.sessions.begin() as session:
        return await analyses.start_analysis(
            session,
            repository=job.repository,
            pr_number=job.pr_number,
            head_sha=job.head_sha,
            base_sha=job.base_sha,
            installation_id=job.installation_id,
            delivery_id=job.id,
            now=datetime.now(UTC),
        )


async def fetch_changes(github: GitHubClient, job: Job) -> tuple[ParsedDiff, str]:
    """Fetch and parse the PR's diff; past GitHub's diff limits, build it from the files list."""
    assert job.repository is not None
    assert job.pr_number is not None
    try:
        raw = await github.pull_diff(
            job.repository, job.pr_number, installation_id=job.installation_id
        )
    except DiffTooLarge:
        files = await github.pull_files(
            job.repository, job.pr_number, installation_id=job.installation_id
        )
        return await asyncio.to_thread(parse_file_patches, files), "files"
    return await asyncio.to_thread(parse_diff, raw), "diff"


async def save(
    res: Resources,
    analysis_id: int,
    diff: ParsedDiff,
    findings: list[Finding],
    *,
    capped: bool,
    source: str,
) -> None:
    """Store the files and findings of a finished analysis."""
    problems = list(diff.errors)
    if capped:
        problems.append(f"more than {MAX_FINDINGS} findings: only the first {MAX_FINDINGS} kept")
    async with res.sessions.begin() as session:
        await analyses.save_results(
            session,
            analysis_id,
            files=diff.files,
            findings=findings,
            problems=problems,
            source=source,
            now=datetime.now(UTC),
        )


async def record_failure(res: Resources, analysis_id: int, exc: Exception) -> None:
    """Mark the analysis failed with the reason (a retry of the job resets it)."""
    detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
    try:
        async with res.sessions.begin() as session:
            await analyses.fail_analysis(
                session, analysis_id, error=str(detail), now=datetime.now(UTC)
            )
    except Exception:  # the job's own failure is what matters; this is bookkeeping
        log.exception("could not record the failure of analysis %s", analysis_id)
