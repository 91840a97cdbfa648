"""The check run channel: one check run per head, in progress while the job runs, then complete.

Only GitHub Apps create check runs (https://docs.github.com/en/rest/checks/runs#create-a-check-run),
so ``REPORT_MODE`` turns this channel on only with an App's credentials. The run's id, how many
annotations went out and whether it is complete are stored (``check_run_reports``), so a retry
resumes after the last batch sent instead of sending the annotations twice, and a create whose
answer was lost is found again by its external id instead of leaving a second run spinning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from grimoire.channels.base import report_context
from grimoire.config import Settings
from grimoire.core.ci_events import CiRun
from grimoire.core.ci_report import CI_CHECK_NAME, render_ci_check
from grimoire.core.findings import Finding
from grimoire.core.report import CHECK_NAME, LineNote, ReportContext, render_check
from grimoire.github.checks import Annotation
from grimoire.resources import Resources
from grimoire.sources.base import PullJob
from grimoire.storage import ci, reports

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Run:
    """A check run as stored: its id, the annotations it has, whether it is complete."""

    check_run_id: int
    annotations_sent: int
    completed: bool


class CheckRun:
    """Reports an analysis as the conclusion, texts and line annotations of a check run."""

    name = "check_run"

    def enabled(self, settings: Settings) -> bool:
        """On with ``REPORT_MODE`` check or both (the default for a GitHub App)."""
        return self.name in settings.report_channels

    async def begin(self, res: Resources, job: PullJob, analysis_id: int) -> None:
        """Start the head's check run, in progress."""
        # A job tried before may have created its run without learning it (see _ensure).
        await _ensure(res, job, analysis_id, look_first=job.attempts > 1)

    async def report(
        self,
        res: Resources,
        job: PullJob,
        analysis_id: int,
        ctx: ReportContext,
        findings: list[Finding],
    ) -> str | None:
        """Complete the check run with its annotations, resuming after the last batch sent."""
        # Not stored yet means begin() did not get it: its create may have reached GitHub anyway.
        run = await _ensure(res, job, analysis_id, look_first=True)
        if run.completed:
            return None
        report = render_check(ctx, findings, on_findings=res.settings.findings_conclusion)
        annotations = [_annotation(note) for note in report.notes]
        already = min(run.annotations_sent, len(annotations))

        async def record(sent: int) -> None:
            total = already + sent
            done = total >= len(annotations)
            await _record_progress(res, analysis_id, total, report.conclusion, completed=done)

        await res.github.complete_check_run(
            job.repository,
            run.check_run_id,
            conclusion=report.conclusion,
            title=report.title,
            summary=report.summary,
            text=report.text,
            annotations=annotations[already:],
            installation_id=job.installation_id,
            on_sent=record,
        )
        log.info("completed check run %s (%s)", run.check_run_id, report.conclusion)
        return None

    async def abandon(self, res: Resources, job: PullJob, analysis_id: int, detail: str) -> None:
        """Complete this delivery's run as neutral, saying why, so it does not spin forever."""
        async with res.sessions.begin() as session:
            run = await reports.get_check_run(session, analysis_id)
        if run is None or run.delivery_id != job.id or run.completed_at is not None:
            return
        await res.github.complete_check_run(
            job.repository,
            run.check_run_id,
            conclusion="neutral",
            title="Grimoire could not analyse this head",
            summary=f"The analysis failed: {detail}",
            installation_id=job.installation_id,
        )
        await _record_progress(res, analysis_id, 0, "neutral", completed=True)


async def _ensure(res: Resources, job: PullJob, analysis_id: int, *, look_first: bool) -> _Run:
    """Return this delivery's check run for the analysis, creating it (in progress) if needed.

    ``look_first``: an earlier create may have reached GitHub with its answer lost (a timeout, a
    502, a crash before the id was stored); find that run by its external id instead of leaving
    it in progress forever beside a second one.
    """
    async with res.sessions.begin() as session:
        run = await reports.get_check_run(session, analysis_id)
    if run is not None and run.delivery_id == job.id:
        completed = run.completed_at is not None
        return _Run(run.check_run_id, run.annotations_sent, completed)
    # A new delivery for the head (or the first): a fresh run, since a completed run's
    # annotations can only be appended to. https://docs.github.com/en/rest/checks/runs
    external_id = f"{analysis_id}/{job.id}"
    found = None
    if look_first:
        found = await res.github.find_check_run(
            job.repository,
            head_sha=job.head_sha,
            name=CHECK_NAME,
            external_id=external_id,
            installation_id=job.installation_id,
        )
    check_run_id = found or await res.github.create_check_run(
        job.repository,
        head_sha=job.head_sha,
        name=CHECK_NAME,
        details_url=report_context(res.settings, job, analysis_id).details_url,
        external_id=external_id,
        installation_id=job.installation_id,
    )
    async with res.sessions.begin() as session:
        await reports.record_check_run(
            session,
            analysis_id,
            check_run_id=check_run_id,
            delivery_id=job.id,
            head_sha=job.head_sha,
            now=datetime.now(UTC),
        )
    return _Run(check_run_id, 0, completed=False)


async def _record_progress(
    res: Resources, analysis_id: int, sent: int, conclusion: str, *, completed: bool
) -> None:
    async with res.sessions.begin() as session:
        await reports.record_check_progress(
            session,
            analysis_id,
            annotations_sent=sent,
            conclusion=conclusion,
            completed_at=datetime.now(UTC) if completed else None,
        )


def _annotation(note: LineNote) -> Annotation:
    return Annotation(
        path=note.path,
        start_line=note.line,
        end_line=note.line,
        annotation_level=note.level,
        message=note.message,
        title=note.title,
        raw_details=note.details,
    )


async def report_ci(res: Resources, run: CiRun) -> None:
    """Show the head's CI failures in one check run of their own, created or edited in place.

    Rendered from what is stored for the head, like the comment's section. It is found again by
    its external id (one per head), so every CI run of the head edits the same check run.
    """
    if "check_run" not in res.settings.report_channels:
        return
    async with res.readers() as session:
        rows = await ci.runs_on_head(session, repository=run.repository, head_sha=run.head_sha)
        views = ci.run_views(rows)
    conclusion, title, summary = render_ci_check(views)
    external_id = f"ci/{run.head_sha}"
    github, installation = res.github, run.installation_id
    check_run_id = await github.find_check_run(
        run.repository,
        head_sha=run.head_sha,
        name=CI_CHECK_NAME,
        external_id=external_id,
        installation_id=installation,
    ) or await github.create_check_run(
        run.repository,
        head_sha=run.head_sha,
        name=CI_CHECK_NAME,
        external_id=external_id,
        installation_id=installation,
    )
    await github.complete_check_run(
        run.repository,
        check_run_id,
        conclusion=conclusion,
        title=title,
        summary=summary,
        installation_id=installation,
    )
    log.info("CI check run %s on %s: %s", check_run_id, run.head_sha[:12], conclusion)


CHANNEL = CheckRun()
