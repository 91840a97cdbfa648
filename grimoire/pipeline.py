"""The job a worker runs for a delivery: source → read → find → save → report.

The event table (``grimoire.sources``) picks the source; each step is one line below. The work
is in the pure core (run in a thread, so a 50,000-line diff does not stall the event loop that
acknowledges webhooks) and in the storage, GitHub and channel edges. The effect is idempotent:
one analysis per (repository, PR, head SHA), rewritten in place when the same head is processed
again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from grimoire import reporting
from grimoire.core.findings import MAX_FINDINGS, Finding
from grimoire.resources import Resources
from grimoire.sources import PullJob, Reading, RunSource, source_for
from grimoire.storage import analyses
from grimoire.storage.deliveries import Job

log = logging.getLogger(__name__)

# Among a saved analysis's problems when the findings were capped (a stored report says so again).
CAPPED_NOTE = f"more than {MAX_FINDINGS} findings"


async def process_job(res: Resources, claimed: Job) -> None:
    """Run the pipeline for one claimed delivery with the source that reads it."""
    source = source_for(claimed)
    if isinstance(source, RunSource):
        await source.run(res, claimed)  # its own steps: a CI run is not one PR head
        return
    job = source.job(claimed)
    if await report_stored(res, job):
        return
    analysis_id = await start(res, job)
    await reporting.begin(res, job, analysis_id)
    try:
        reading = await source.read(res.github, job)
        book = await res.spell_index.current(res.readers)
        with res.metrics.match_latency.labels("job").time():
            findings, capped = await asyncio.to_thread(source.find, reading, book)
        await save(res, analysis_id, reading, findings, capped=capped)
    except Exception as exc:
        await record_failure(res, analysis_id, exc)
        await reporting.abandon(res, job, analysis_id, exc)
        raise
    # Outside the try: a reporting failure keeps the saved analysis (report_status says why).
    await reporting.finish(res, job, analysis_id, findings, capped=capped)
    log.info(
        "analysed %s#%s at %s (%s): %d files, %d findings",
        job.repository,
        job.pr_number,
        job.head_sha[:12],
        source.name,
        len(reading.files),
        len(findings),
    )


async def report_stored(res: Resources, job: PullJob) -> bool:
    """Report the head's saved analysis again if only its report failed; say if it did.

    A retry after a GitHub failure while reporting must not fetch and analyse the diff again:
    the findings are stored, and re-reading would spend rate limit and could differ (a spell
    edited since). The channels edit what they sent, so reporting again adds nothing twice.
    """
    async with res.readers() as session:  # a read: no write lock for the common "nothing"
        stored = await analyses.unreported_findings(
            session, repository=job.repository, pr_number=job.pr_number, head_sha=job.head_sha
        )
    if stored is None:
        return False
    analysis_id, findings, problems = stored
    capped = CAPPED_NOTE in (problems or "")
    await reporting.finish(res, job, analysis_id, findings, capped=capped)
    log.info(
        "reported the stored analysis %s of %s#%s at %s again: %d findings",
        analysis_id,
        job.repository,
        job.pr_number,
        job.head_sha[:12],
        len(findings),
    )
    return True


async def start(res: Resources, job: PullJob) -> int:
    """Create or reset the analysis of the job's head, marked processing."""
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


async def save(
    res: Resources, analysis_id: int, reading: Reading, findings: list[Finding], *, capped: bool
) -> None:
    """Store the files and findings of a finished analysis."""
    problems = list(reading.problems)
    if capped:
        problems.append(f"{CAPPED_NOTE}: only the first {MAX_FINDINGS} kept")
    async with res.sessions.begin() as session:
        await analyses.save_results(
            session,
            analysis_id,
            files=reading.files,
            findings=findings,
            problems=problems,
            source=reading.how,
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
