"""The sticky comment channel: one comment per pull request, edited in place on every push.

Its id is stored (``pull_reports``); without one (first report, or an answer lost after GitHub
created the comment) it is found again by its hidden marker before any POST. A pull request that
never had findings gets no comment, and a job for a head pushed before the one last reported (a
retry that lost the race to a newer push, or an old body replayed under a new delivery id) leaves
the comment alone: pushes are ordered by the ``updated_at`` each signed body states.
https://docs.github.com/en/rest/issues/comments
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.config import Settings
from grimoire.core.ci_events import CiRun
from grimoire.core.ci_report import CiRunView, open_failures, render_pull_comment
from grimoire.core.events import pull_updated_at
from grimoire.core.findings import Finding
from grimoire.core.report import MARKER, Previous, ReportContext, web_url_for
from grimoire.errors import DeliveryNotFound, GitHubRejected
from grimoire.resources import Resources
from grimoire.sources.base import PullJob
from grimoire.storage import analyses, ci, deliveries, reports
from grimoire.storage.deliveries import Job
from grimoire.storage.tables import PullReport

log = logging.getLogger(__name__)


class StickyComment:
    """Reports an analysis as the pull request's one Grimoire comment."""

    name = "comment"

    def enabled(self, settings: Settings) -> bool:
        """On with ``REPORT_MODE`` comment or both (the default with a token)."""
        return self.name in settings.report_channels

    async def begin(self, res: Resources, job: PullJob, analysis_id: int) -> None:
        """Nothing to show before the analysis is done."""

    async def report(
        self,
        res: Resources,
        job: PullJob,
        analysis_id: int,
        ctx: ReportContext,
        findings: list[Finding],
    ) -> str | None:
        """Write or edit the PR's comment; return why nothing was written, if so."""
        async with res.sessions.begin() as session:
            last = await reports.get_pull_report(
                session, repository=job.repository, pr_number=job.pr_number
            )
        if last is not None and last.head_sha != job.head_sha and await _older(res, job, last):
            return f"comment left as it is: a newer push ({last.head_sha[:7]}) was reported already"
        previous = None if last is None else Previous(last.head_sha, last.findings_count)
        runs = await _ci_runs(res, job.repository, job.pr_number, job.head_sha)
        body = render_pull_comment(ctx, findings, runs, previous=previous)
        known = None if last is None else last.comment_id
        post = bool(findings) or open_failures(runs) > 0
        comment_id = await _write(res, job, known, body, post=post)
        async with res.sessions.begin() as session:
            await reports.record_pull_report(
                session,
                repository=job.repository,
                pr_number=job.pr_number,
                comment_id=comment_id,
                head_sha=job.head_sha,
                delivery_id=job.id,
                delivered_at=job.received_at,
                findings_count=len(findings),
                now=datetime.now(UTC),
            )
        return None if comment_id is not None else "no findings and no earlier comment: none posted"

    async def abandon(self, res: Resources, job: PullJob, analysis_id: int, detail: str) -> None:
        """The comment keeps the last report: a failed job has nothing new to say."""


async def _older(res: Resources, job: PullJob, last: PullReport) -> bool:
    """Tell whether ``job``'s head was pushed before the head ``last`` reported.

    By the pull request's ``updated_at`` in each delivery's signed body (GitHub's clock, moved
    on by every push): a delivery retried after a newer push, or an old body replayed under a
    new delivery id, is older however late it arrives. When the last report's body is gone
    (retention empties settled ones), its delivery time stands in for its push; without a
    stated time at all, the order the deliveries were received in decides.
    """
    async with res.sessions.begin() as session:
        mine = await _updated_at(session, job.id)
        theirs = None if last.delivery_id is None else await _updated_at(session, last.delivery_id)
    if mine is None or (theirs is not None and theirs == mine):
        return last.delivered_at > job.received_at  # no order stated: the order received
    if theirs is not None:
        return theirs > mine
    return last.delivered_at > mine


async def _updated_at(session: AsyncSession, delivery_id: str) -> datetime | None:
    """The ``updated_at`` a stored delivery's body states (``None`` if gone or unstated)."""
    try:
        body = await deliveries.load_payload(session, delivery_id)
    except DeliveryNotFound:
        return None
    return pull_updated_at(body)


async def report_ci(res: Resources, claimed: Job, run: CiRun, pr_number: int) -> str | None:
    """Rewrite the PR's comment with the CI failures of ``run``'s head; say why not, if so.

    The comment is rendered from what is stored for the head — the diff's findings and every
    CI run's failures — so CI runs reported in any order give the same comment. A run of a head
    the pull request has moved on from leaves the comment alone.
    """
    if "comment" not in res.settings.report_channels:
        return "REPORT_MODE does not include the comment"
    job = PullJob(
        id=claimed.id,
        repository=run.repository,
        pr_number=pr_number,
        head_sha=run.head_sha,
        base_sha=None,
        installation_id=run.installation_id,
        attempts=claimed.attempts,
        received_at=claimed.received_at,
    )
    async with res.readers() as session:
        last = await reports.get_pull_report(
            session, repository=job.repository, pr_number=pr_number
        )
        diff_id, findings = await analyses.head_findings(
            session, repository=job.repository, pr_number=pr_number, head_sha=job.head_sha
        )
    if (
        last is not None
        and last.head_sha != job.head_sha
        and last.delivered_at > claimed.received_at
    ):
        return f"comment left as it is: the pull request moved on to {last.head_sha[:7]}"
    runs = await _ci_runs(res, job.repository, pr_number, job.head_sha)
    ctx = ReportContext(
        repository=job.repository,
        pr_number=pr_number,
        head_sha=job.head_sha,
        analysis_id=diff_id or 0,
        web_url=web_url_for(res.settings.github_api_url),
        details_url=(
            f"{res.settings.public_url}/api/analyses/{diff_id}"
            if res.settings.public_url and diff_id
            else None
        ),
    )
    previous = None if last is None else Previous(last.head_sha, last.findings_count)
    body = render_pull_comment(ctx, findings, runs, previous=previous)
    known = None if last is None else last.comment_id
    comment_id = await _write(res, job, known, body, post=bool(findings) or open_failures(runs) > 0)
    # Same head: keep the delivery time the diff's report is ordered by.
    delivered = claimed.received_at
    if last is not None and last.head_sha == job.head_sha:
        delivered = max(last.delivered_at, delivered)
    async with res.sessions.begin() as session:
        await reports.record_pull_report(
            session,
            repository=job.repository,
            pr_number=pr_number,
            comment_id=comment_id,
            head_sha=job.head_sha,
            delivery_id=claimed.id,
            delivered_at=delivered,
            findings_count=len(findings),
            now=datetime.now(UTC),
        )
    return None if comment_id is not None else "nothing failed and no earlier comment: none posted"


async def _ci_runs(
    res: Resources, repository: str, pr_number: int, head_sha: str
) -> list[CiRunView]:
    async with res.readers() as session:
        rows = await ci.runs_for_head(
            session, repository=repository, pr_number=pr_number, head_sha=head_sha
        )
        return ci.run_views(rows)


async def _write(
    res: Resources, job: PullJob, known: int | None, body: str, *, post: bool
) -> int | None:
    """Edit the known comment, else the one carrying the marker, else (``post``) create one."""
    github, repository, installation = res.github, job.repository, job.installation_id
    if known is not None:
        try:
            await github.update_comment(repository, known, body, installation_id=installation)
            log.info("updated comment %s on %s#%s", known, repository, job.pr_number)
            return known
        except GitHubRejected as exc:
            if exc.status != 404:
                raise
            log.info("comment %s on %s#%s is gone", known, repository, job.pr_number)
    # Also where an earlier attempt's comment is found when GitHub's answer to it was lost.
    found = await github.find_comment(
        repository, job.pr_number, marker=MARKER, installation_id=installation
    )
    if found is not None:
        comment_id, old_body = found
        if old_body != body:
            await github.update_comment(repository, comment_id, body, installation_id=installation)
        return comment_id
    if not post:
        return None
    comment_id = await github.create_comment(
        repository, job.pr_number, body, installation_id=installation
    )
    log.info("created comment %s on %s#%s", comment_id, repository, job.pr_number)
    return comment_id


CHANNEL = StickyComment()
