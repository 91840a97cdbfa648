"""Report an analysis back on its pull request, through every enabled channel.

The pipeline calls ``begin`` when it starts a job, ``finish`` once the analysis is saved, and
``abandon`` when the job failed for good. What each channel shows, and what it keeps of GitHub's
answers so that retries and later pushes edit instead of adding, is in ``grimoire.channels``;
this module drives them in order and keeps the analysis's ``report_status``. Reporting failures
never touch the saved analysis: ``report_status`` / ``report_error`` say what happened, and the
GitHub error propagates so the queue retries the job (rate limits wait for their reset without
spending an attempt).

``report_status``: ``pending`` → ``reported`` | ``skipped`` (nothing to send, or a newer report
exists; ``report_error`` says why) | ``retrying`` (GitHub failed, the job runs again) |
``failed`` (GitHub refused for good, or the job is out of attempts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from grimoire.channels import Channel, enabled_channels, report_context
from grimoire.core.failures import FINAL, failure_outcome
from grimoire.core.findings import Finding
from grimoire.core.report import ReportContext
from grimoire.core.statuses import ReportStatus
from grimoire.errors import GitHubError, GitHubRejected
from grimoire.resources import Resources
from grimoire.sources.base import PullJob
from grimoire.storage import analyses

log = logging.getLogger(__name__)


async def begin(res: Resources, job: PullJob, analysis_id: int) -> None:
    """Let each channel show that the analysis started (its report is pending already:
    ``analyses.start_analysis``)."""
    for channel in enabled_channels(res.settings):
        try:
            await channel.begin(res, job, analysis_id)
        except GitHubError as exc:
            # The analysis matters more than a progress indicator: carry on; finish() tries again.
            log.warning(
                "%s: could not start analysis %s: %s", channel.name, analysis_id, exc.detail
            )
            note = f"{channel.name.replace('_', ' ')} not started yet: {exc.detail}"
            await _set_status(res, analysis_id, "pending", note)


async def finish(
    res: Resources, job: PullJob, analysis_id: int, findings: list[Finding], *, capped: bool
) -> None:
    """Report a saved analysis through every enabled channel.

    A GitHub error is recorded on the analysis and raised again, for the queue to retry the job.
    """
    channels = enabled_channels(res.settings)
    if not channels:
        await _set_status(res, analysis_id, "skipped", "REPORT_MODE is none (or no credentials)")
        return
    ctx = report_context(res.settings, job, analysis_id, capped=capped)
    try:
        notes = await _send_reports(res, job, analysis_id, ctx, findings, channels)
    except GitHubError as exc:
        await _set_status(res, analysis_id, _failure_status(res, job, exc), exc.detail)
        raise
    nothing_sent = len(notes) == len(channels)
    await _set_status(res, analysis_id, "skipped" if nothing_sent else "reported", "; ".join(notes))


async def _send_reports(
    res: Resources,
    job: PullJob,
    analysis_id: int,
    ctx: ReportContext,
    findings: list[Finding],
    channels: tuple[Channel, ...],
) -> list[str]:
    """Report through each channel in turn; return why any of them sent nothing.

    A permanent refusal of one (say the App lacks the checks permission) does not keep the
    others from reporting; it is raised afterwards. A transient failure is raised at once: the
    retry reports through every channel again, and none duplicates (each edits what it sent).
    """
    notes: list[str] = []
    refused: GitHubRejected | None = None
    for channel in channels:
        try:
            note = await channel.report(res, job, analysis_id, ctx, findings)
        except GitHubRejected as exc:
            refused = refused or exc
            continue
        if note:
            notes.append(note)
    if refused is not None:
        raise refused
    return notes


async def abandon(res: Resources, job: PullJob, analysis_id: int, exc: Exception) -> None:
    """After a failed attempt, say on the analysis why no report came; after the last attempt,
    let each channel say so too (a check run must not spin).

    ``report_status`` becomes ``retrying`` (the job runs again) or ``failed``, never stays
    ``pending``. Best effort: never raises (the job's own failure is what the worker records).
    """
    status = _failure_status(res, job, exc)
    detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
    try:
        await _set_status(res, analysis_id, status, f"the analysis failed: {detail}")
    except Exception as failure:  # the database may be what failed; the worker logs the job's
        log.warning("could not record the report status of analysis %s: %s", analysis_id, failure)
    if status != "failed":
        return
    for channel in enabled_channels(res.settings):
        try:
            await channel.abandon(res, job, analysis_id, detail)
        except Exception:  # bookkeeping on a path that is already failing
            log.exception("%s: could not report failed analysis %s", channel.name, analysis_id)


def _failure_status(res: Resources, job: PullJob, exc: Exception) -> ReportStatus:
    outcome = failure_outcome(
        exc, attempts=job.attempts, max_attempts=res.settings.delivery_max_attempts
    )
    return "failed" if outcome in FINAL else "retrying"


async def _set_status(
    res: Resources, analysis_id: int, status: ReportStatus, note: str | None
) -> None:
    async with res.sessions.begin() as session:
        await analyses.set_report_status(
            session, analysis_id, status=status, error=note or None, now=datetime.now(UTC)
        )
