"""Report an analysis back on its pull request: one sticky comment, and a check run per head.

The pipeline calls ``begin`` when it starts a job (the check run appears, in progress) and
``finish`` once the analysis is saved (the check run completes; the comment is written or edited
in place). What to say is rendered by the pure ``grimoire.core.report``; this module decides when
and where, and keeps what GitHub answered (comment id, check run id, how many annotations went
out) so that retries and later pushes edit instead of adding:

- one comment per pull request: its id is stored; without one (first report, or an answer lost
  after GitHub created the comment) it is found again by its hidden marker before any POST; a
  pull request that never had findings gets no comment;
- a job for an older delivery than the one last reported (a retry that lost the race to a newer
  push) leaves the comment alone;
- reporting failures never touch the saved analysis: ``report_status`` / ``report_error`` say what
  happened, and the GitHub error propagates so the queue retries the job (rate limits wait for
  their reset without spending an attempt).

``report_status``: ``pending`` → ``reported`` | ``skipped`` (nothing to send, or a newer report
exists; ``report_error`` says why) | ``retrying`` (GitHub failed, the job runs again) |
``failed`` (GitHub refused for good, or the job is out of attempts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from grimoire.config import ReportMode, Settings
from grimoire.core.findings import Finding
from grimoire.core.report import (
    CHECK_NAME,
    MARKER,
    CheckReport,
    LineNote,
    Previous,
    ReportContext,
    render_check,
    render_comment,
    web_url_for,
)
from grimoire.errors import GitHubError, GitHubRateLimited, GitHubRejected
from grimoire.github.checks import MAX_ANNOTATIONS_PER_REQUEST, Annotation
from grimoire.resources import Resources
from grimoire.storage import analyses, reports
from grimoire.storage.deliveries import Job

log = logging.getLogger(__name__)

PENDING: Final = "pending"
REPORTED: Final = "reported"
SKIPPED: Final = "skipped"
RETRYING: Final = "retrying"
FAILED: Final = "failed"


@dataclass(frozen=True)
class _Pull:
    """The pull request a job reports on."""

    repository: str
    number: int
    head_sha: str
    installation_id: int | None


@dataclass(frozen=True)
class _Run:
    """A check run as stored: its id, the annotations it has, whether it is complete."""

    check_run_id: int
    annotations_sent: int
    completed: bool


def has_app(settings: Settings) -> bool:
    """Tell whether Grimoire authenticates as a GitHub App (which may create check runs)."""
    return settings.github_app_id is not None and settings.github_app_private_key is not None


def resolve_report_mode(settings: Settings) -> ReportMode:
    """Return how analyses are reported: ``REPORT_MODE``, else what the credentials allow.

    Default: ``both`` as a GitHub App, ``comment`` with a token, ``none`` without credentials.
    (``Settings`` refuses ``check``/``both`` without an App at start: GitHub lets only Apps
    create check runs, https://docs.github.com/en/rest/checks/runs#create-a-check-run.)
    """
    if settings.report_mode is not None:
        return settings.report_mode
    if has_app(settings):
        return "both"
    return "comment" if settings.github_api_token else "none"


async def begin(res: Resources, job: Job, analysis_id: int) -> None:
    """Mark the report pending and start the head's check run (in progress) if checks are on."""
    await _set_status(res, analysis_id, PENDING, None)
    if resolve_report_mode(res.settings) not in ("check", "both"):
        return
    try:
        # A job tried before may have created its run without learning it (see below).
        await _ensure_check_run(res, job, analysis_id, look_first=job.attempts > 1)
    except GitHubError as exc:
        # The analysis matters more than a progress indicator: carry on; finish() tries again.
        log.warning("could not start the check run of analysis %s: %s", analysis_id, exc.detail)
        await _set_status(res, analysis_id, PENDING, f"check run not started yet: {exc.detail}")


async def finish(
    res: Resources, job: Job, analysis_id: int, findings: list[Finding], *, capped: bool
) -> None:
    """Report a saved analysis: complete its check run, write or edit the sticky comment.

    A GitHub error is recorded on the analysis and raised again, for the queue to retry the job.
    """
    mode = resolve_report_mode(res.settings)
    if mode == "none":
        await _set_status(res, analysis_id, SKIPPED, "REPORT_MODE is none (or no credentials)")
        return
    ctx = report_context(res.settings, job, analysis_id, capped=capped)
    try:
        notes = await _send_reports(res, job, analysis_id, ctx, findings, mode=mode)
    except GitHubError as exc:
        await _set_status(res, analysis_id, _failure_status(res, job, exc), exc.detail)
        raise
    nothing_sent = mode == "comment" and bool(notes)
    await _set_status(res, analysis_id, SKIPPED if nothing_sent else REPORTED, "; ".join(notes))


async def _send_reports(
    res: Resources,
    job: Job,
    analysis_id: int,
    ctx: ReportContext,
    findings: list[Finding],
    *,
    mode: ReportMode,
) -> list[str]:
    """Complete the check run and write the comment; return why anything was left unsent.

    A permanent refusal of one (say the App lacks the checks permission) does not keep the
    other from being sent; it is raised afterwards. A transient failure is raised at once: the
    retry sends both again, and neither is duplicated (the comment is edited, the check run's
    annotations resume after the last batch sent).
    """
    notes: list[str] = []
    refused: GitHubRejected | None = None
    if mode in ("check", "both"):
        try:
            await _complete_check_run(res, job, analysis_id, ctx, findings)
        except GitHubRejected as exc:
            refused = exc
    if mode in ("comment", "both") and (why := await _comment(res, job, ctx, findings)):
        notes.append(why)
    if refused is not None:
        raise refused
    return notes


async def abandon(res: Resources, job: Job, analysis_id: int, exc: Exception) -> None:
    """After a job's last failed attempt, complete its check run so it does not spin forever.

    Best effort: never raises (the job's own failure is what the worker records).
    """
    if not _is_final(res, job, exc) or resolve_report_mode(res.settings) not in ("check", "both"):
        return
    try:
        async with res.sessions.begin() as session:
            run = await reports.get_check_run(session, analysis_id)
        if run is None or run.delivery_id != job.id or run.completed_at is not None:
            return
        pull = _pull(job)
        detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
        await res.github.complete_check_run(
            pull.repository,
            run.check_run_id,
            conclusion="neutral",
            title="Grimoire could not analyse this head",
            summary=f"The analysis failed: {detail}",
            installation_id=pull.installation_id,
        )
        await _record_progress(res, analysis_id, 0, "neutral", completed=True)
    except Exception:  # bookkeeping on a path that is already failing
        log.exception("could not complete the check run of failed analysis %s", analysis_id)


def report_context(
    settings: Settings, job: Job, analysis_id: int, *, capped: bool = False
) -> ReportContext:
    """Describe where the report goes and what it links to."""
    pull = _pull(job)
    details = f"{settings.public_url}/api/analyses/{analysis_id}" if settings.public_url else None
    return ReportContext(
        repository=pull.repository,
        pr_number=pull.number,
        head_sha=pull.head_sha,
        analysis_id=analysis_id,
        web_url=web_url_for(settings.github_api_url),
        details_url=details,
        capped=capped,
    )


# -- the check run -------------------------------------------------------------------------------


async def _ensure_check_run(
    res: Resources, job: Job, analysis_id: int, *, look_first: bool
) -> _Run:
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
    pull = _pull(job)
    external_id = f"{analysis_id}/{job.id}"
    found = None
    if look_first:
        found = await res.github.find_check_run(
            pull.repository,
            head_sha=pull.head_sha,
            name=CHECK_NAME,
            external_id=external_id,
            installation_id=pull.installation_id,
        )
    check_run_id = found or await res.github.create_check_run(
        pull.repository,
        head_sha=pull.head_sha,
        name=CHECK_NAME,
        details_url=report_context(res.settings, job, analysis_id).details_url,
        external_id=external_id,
        installation_id=pull.installation_id,
    )
    async with res.sessions.begin() as session:
        await reports.record_check_run(
            session,
            analysis_id,
            check_run_id=check_run_id,
            delivery_id=job.id,
            head_sha=pull.head_sha,
            now=datetime.now(UTC),
        )
    return _Run(check_run_id, 0, completed=False)


async def _complete_check_run(
    res: Resources, job: Job, analysis_id: int, ctx: ReportContext, findings: list[Finding]
) -> None:
    """Complete the check run, 50 annotations per request, resuming after the last batch sent."""
    # Not stored yet means begin() did not get it: its create may have reached GitHub anyway.
    run = await _ensure_check_run(res, job, analysis_id, look_first=True)
    if run.completed:
        return
    report = render_check(ctx, findings, on_findings=res.settings.findings_conclusion)
    annotations = [_annotation(note) for note in report.notes]
    sent = min(run.annotations_sent, len(annotations))
    while True:
        batch = annotations[sent : sent + MAX_ANNOTATIONS_PER_REQUEST]
        await _send_check_batch(res, job, run.check_run_id, report, batch)
        sent += len(batch)
        done = sent >= len(annotations)
        await _record_progress(res, analysis_id, sent, report.conclusion, completed=done)
        if done:
            break
    log.info("completed check run %s (%s)", run.check_run_id, report.conclusion)


async def _send_check_batch(
    res: Resources, job: Job, check_run_id: int, report: CheckReport, batch: list[Annotation]
) -> None:
    """Send one completion request; GitHub appends its annotations to the run's earlier ones."""
    # https://docs.github.com/en/rest/checks/runs#update-a-check-run: "title" and "summary" are
    # required in every "output"; at most 50 annotations per request.
    await res.github.complete_check_run(
        _pull(job).repository,
        check_run_id,
        conclusion=report.conclusion,
        title=report.title,
        summary=report.summary,
        text=report.text,
        annotations=batch,
        installation_id=job.installation_id,
    )


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


# -- the sticky comment --------------------------------------------------------------------------


async def _comment(
    res: Resources, job: Job, ctx: ReportContext, findings: list[Finding]
) -> str | None:
    """Write or edit the PR's comment; return why nothing was written, if so."""
    pull = _pull(job)
    async with res.sessions.begin() as session:
        last = await reports.get_pull_report(
            session, repository=pull.repository, pr_number=pull.number
        )
    if last is not None and last.delivered_at > job.received_at:
        return f"comment left as it is: a newer push ({last.head_sha[:7]}) was reported already"
    previous = None if last is None else Previous(last.head_sha, last.findings_count)
    body = render_comment(ctx, findings, previous=previous)
    known = None if last is None else last.comment_id
    comment_id = await _write_comment(res, pull, known, body, post=bool(findings))
    async with res.sessions.begin() as session:
        await reports.record_pull_report(
            session,
            repository=pull.repository,
            pr_number=pull.number,
            comment_id=comment_id,
            head_sha=pull.head_sha,
            delivery_id=job.id,
            delivered_at=job.received_at,
            findings_count=len(findings),
            now=datetime.now(UTC),
        )
    return None if comment_id is not None else "no findings and no earlier comment: none posted"


async def _write_comment(
    res: Resources, pull: _Pull, known: int | None, body: str, *, post: bool
) -> int | None:
    """Edit the known comment, else the one carrying the marker, else (``post``) create one."""
    github, installation = res.github, pull.installation_id
    if known is not None:
        try:
            await github.update_comment(pull.repository, known, body, installation_id=installation)
            log.info("updated comment %s on %s#%s", known, pull.repository, pull.number)
            return known
        except GitHubRejected as exc:
            if exc.status != 404:
                raise
            log.info("comment %s on %s#%s is gone", known, pull.repository, pull.number)
    # Also where an earlier attempt's comment is found when GitHub's answer to it was lost.
    found = await github.find_comment(
        pull.repository, pull.number, marker=MARKER, installation_id=installation
    )
    if found is not None:
        comment_id, old_body = found
        if old_body != body:
            await github.update_comment(
                pull.repository, comment_id, body, installation_id=installation
            )
        return comment_id
    if not post:
        return None
    comment_id = await github.create_comment(
        pull.repository, pull.number, body, installation_id=installation
    )
    log.info("created comment %s on %s#%s", comment_id, pull.repository, pull.number)
    return comment_id


# -- status ----------------------------------------------------------------------------------------


def _is_final(res: Resources, job: Job, exc: Exception) -> bool:
    """Tell whether the worker gives up on the job after this failure."""
    if isinstance(exc, GitHubRateLimited):
        return False
    return isinstance(exc, GitHubRejected) or job.attempts >= res.settings.delivery_max_attempts


def _failure_status(res: Resources, job: Job, exc: GitHubError) -> str:
    return FAILED if _is_final(res, job, exc) else RETRYING


async def _set_status(res: Resources, analysis_id: int, status: str, note: str | None) -> None:
    async with res.sessions.begin() as session:
        await analyses.set_report_status(
            session, analysis_id, status=status, error=note or None, now=datetime.now(UTC)
        )


def _pull(job: Job) -> _Pull:
    if job.repository is None or job.pr_number is None or job.head_sha is None:
        raise GitHubRejected(f"delivery {job.id} names no pull request", status=422)
    return _Pull(job.repository, job.pr_number, job.head_sha, job.installation_id)
