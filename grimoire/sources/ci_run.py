"""Failed CI runs: the source of ``workflow_run`` and ``check_run`` deliveries.

For a GitHub Actions run that failed: list the attempt's jobs, and for each failed job read the
end of its log (through the 302 to the storage host, without the token), narrowed to the failed
step's lines, then find its root cause and the spells that explain it. For another CI app's
failed check run: its output and annotations are the log. Then store the analysis (one per run
attempt), classify each failure by where else it was seen, and report on each pull request the
run belongs to — from the payload, or for a fork's run from the commit's pull requests. A
success of the same workflow on the head marks the earlier failures resolved.

Expired logs (410) and missing jobs (404) are recorded on the job, never a crash; rate limits and
5xx propagate, so the queue retries the delivery as it does for diffs.
https://docs.github.com/en/rest/actions/workflow-jobs
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import msgspec

from grimoire.channels import check_run, comment
from grimoire.core.ci_analysis import JobResult, check_run_text, read_job_failure
from grimoire.core.ci_events import FAILED_CONCLUSIONS, CiRun, ci_intent, decode_ci_run
from grimoire.core.matching import Spellbook
from grimoire.core.report import CHECK_NAME
from grimoire.core.steps import step_section
from grimoire.errors import GitHubRejected, UnusableJob
from grimoire.github.actions import DEFAULT_MAX_LOG_BYTES, ActionsJob
from grimoire.resources import Resources
from grimoire.storage import ci, deliveries
from grimoire.storage.deliveries import Job

log = logging.getLogger(__name__)

UNREADABLE = {410: "log_expired", 404: "log_missing"}


class CiRunSource:
    """Reads the failed jobs of a CI run."""

    name = "ci_run"
    events = frozenset({("workflow_run", "completed"), ("check_run", "completed")})

    async def run(self, res: Resources, claimed: Job) -> None:
        """Analyse a failed run and report it, or resolve earlier failures on a success."""
        run = await load_run(res, claimed)
        intent = ci_intent(run, own_app_id=res.settings.github_app_id, own_check_name=CHECK_NAME)
        if intent == "resolve":
            await resolve(res, claimed, run)
        elif intent == "analyse":
            await analyse(res, claimed, run)


async def load_run(res: Resources, claimed: Job) -> CiRun:
    """Decode the delivery's stored payload."""
    async with res.readers() as session:
        payload = await deliveries.load_payload(session, claimed.id)
    try:
        return decode_ci_run(claimed.event, payload)
    except Exception as exc:
        raise UnusableJob(f"delivery {claimed.id}: {exc}") from exc


async def analyse(res: Resources, claimed: Job, run: CiRun) -> None:
    """Read the run's failures, store them, and report them on the run's pull requests."""
    pulls = await find_pulls(res, run)
    async with res.sessions.begin() as session:
        analysis_id = await ci.start_ci_analysis(
            session, run, pulls=pulls, delivery_id=claimed.id, now=datetime.now(UTC)
        )
    try:
        book = await res.spell_index.current(res.readers)
        results, problem = await read_failures(res, run, book)
        async with res.sessions.begin() as session:
            await ci.save_ci_jobs(
                session, analysis_id, run, results, problem=problem, now=datetime.now(UTC)
            )
    except Exception as exc:
        await _record_failure(res, analysis_id, exc)
        raise
    log.info(
        "analysed %s run %s attempt %s at %s: %d failed jobs, pull requests %s",
        run.repository,
        run.run_id,
        run.run_attempt,
        run.head_sha[:12],
        len(results),
        pulls or "none",
    )
    await report(res, claimed, run, pulls, analysis_id)


async def resolve(res: Resources, claimed: Job, run: CiRun) -> None:
    """Mark the head's failures of this workflow resolved, and say so on their pull requests."""
    by = f"{run.name} run {run.run_id} (attempt {run.run_attempt}), which passed"
    async with res.sessions.begin() as session:
        pulls = await ci.resolve_failures(
            session,
            repository=run.repository,
            head_sha=run.head_sha,
            workflow=run.workflow,
            by=by,
            now=datetime.now(UTC),
        )
    for pr_number in pulls:
        await comment.report_ci(res, claimed, run, pr_number)
    if pulls:
        await check_run.report_ci(res, run)


async def find_pulls(res: Resources, run: CiRun) -> list[int]:
    """Return the run's pull requests: the payload's, else (a fork's run) the commit's."""
    if run.pull_requests or run.on_default_branch:
        return list(run.pull_requests)
    return await res.github.commit_pulls(
        run.repository, run.head_sha, installation_id=run.installation_id
    )


async def read_failures(
    res: Resources, run: CiRun, book: Spellbook
) -> tuple[list[JobResult], str | None]:
    """Read each failed job of the run; say why there is nothing to read, if so."""
    if run.source == "check_run":
        return [await read_check_run(res, run, book)], None
    jobs = await res.github.run_jobs(
        run.repository, run.run_id, attempt=run.run_attempt, installation_id=run.installation_id
    )
    failed = [job for job in jobs if job.conclusion in FAILED_CONCLUSIONS]
    if not failed:
        return [], f"attempt {run.run_attempt} lists no failed job ({len(jobs)} jobs)"
    return [await read_job(res, run, job, book) for job in failed], None


async def read_job(res: Resources, run: CiRun, job: ActionsJob, book: Spellbook) -> JobResult:
    """Read the end of one job's log, narrowed to its failed step, for its root cause."""
    step = job.failed_step()
    where = JobResult(
        name=job.name, job_id=job.id, step=step.name if step else None, url=job.html_url, outcome=""
    )
    try:
        joblog = await res.github.job_log(
            run.repository,
            job.id,
            max_bytes=DEFAULT_MAX_LOG_BYTES,
            installation_id=run.installation_id,
        )
    except GitHubRejected as exc:
        if exc.status not in UNREADABLE:
            raise
        return _with(where, outcome=UNREADABLE[exc.status], reason=exc.detail)
    text = joblog.text
    if step is not None and step.started_at is not None:
        text = (
            step_section(text, started_at=step.started_at, completed_at=step.completed_at) or text
        )
    failure = await asyncio.to_thread(read_job_failure, text, book)
    return _with(
        where,
        outcome="analysed" if failure else "no_errors",
        log_bytes=joblog.total_bytes,
        head_cut=joblog.head_cut,
        failure=failure,
    )


async def read_check_run(res: Resources, run: CiRun, book: Spellbook) -> JobResult:
    """Read another CI app's check run: its output texts and its annotations."""
    try:
        annotations = await res.github.check_run_annotations(
            run.repository, run.run_id, installation_id=run.installation_id
        )
    except GitHubRejected as exc:
        if exc.status != 404:
            raise
        annotations = []
    text = check_run_text(
        title=run.title,
        summary=run.summary,
        text=run.text,
        annotations=[(a.path, a.start_line, a.message, a.title) for a in annotations],
    )
    failure = await asyncio.to_thread(read_job_failure, text, book)
    return JobResult(
        name=run.name,
        job_id=run.run_id,
        step=None,
        url=run.url,
        outcome="analysed" if failure else "no_errors",
        log_bytes=len(text.encode()),
        failure=failure,
    )


async def report(
    res: Resources, claimed: Job, run: CiRun, pulls: list[int], analysis_id: int
) -> None:
    """Report the run on each of its pull requests; record how it went on the analysis."""
    notes: list[str] = []
    try:
        for pr_number in pulls:
            if note := await comment.report_ci(res, claimed, run, pr_number):
                notes.append(f"#{pr_number}: {note}")
        if pulls:
            await check_run.report_ci(res, run)
    except GitHubRejected as exc:
        await _set_report(res, analysis_id, "failed", exc.detail)
        raise
    except Exception as exc:
        await _set_report(res, analysis_id, "retrying", getattr(exc, "detail", str(exc)))
        raise
    checks = "check_run" in res.settings.report_channels
    status = "reported" if pulls and (checks or len(notes) < len(pulls)) else "skipped"
    note = "; ".join(notes) or (None if pulls else "the run belongs to no open pull request")
    await _set_report(res, analysis_id, status, note)


async def _set_report(res: Resources, analysis_id: int, status: str, note: str | None) -> None:
    async with res.sessions.begin() as session:
        await ci.set_ci_report_status(
            session, analysis_id, status=status, error=note, now=datetime.now(UTC)
        )


async def _record_failure(res: Resources, analysis_id: int, exc: Exception) -> None:
    detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
    try:
        async with res.sessions.begin() as session:
            await ci.fail_ci_analysis(
                session, analysis_id, error=str(detail), now=datetime.now(UTC)
            )
    except Exception:  # the job's own failure is what matters; this is bookkeeping
        log.exception("could not record the failure of CI analysis %s", analysis_id)


def _with(result: JobResult, **changes: object) -> JobResult:
    return msgspec.structs.replace(result, **changes)


SOURCE = CiRunSource()
