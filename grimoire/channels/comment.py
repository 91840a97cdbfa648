"""The sticky comment channel: one comment per pull request, edited in place on every push.

Its id is stored (``pull_reports``); without one (first report, or an answer lost after GitHub
created the comment) it is found again by its hidden marker before any POST. A pull request that
never had findings gets no comment, and a job for an older delivery than the one last reported (a
retry that lost the race to a newer push) leaves the comment alone.
https://docs.github.com/en/rest/issues/comments
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from grimoire.config import Settings
from grimoire.core.findings import Finding
from grimoire.core.report import MARKER, Previous, ReportContext, render_comment
from grimoire.errors import GitHubRejected
from grimoire.resources import Resources
from grimoire.sources.base import PullJob
from grimoire.storage import reports

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
        if last is not None and last.delivered_at > job.received_at:
            return f"comment left as it is: a newer push ({last.head_sha[:7]}) was reported already"
        previous = None if last is None else Previous(last.head_sha, last.findings_count)
        body = render_comment(ctx, findings, previous=previous)
        known = None if last is None else last.comment_id
        comment_id = await _write(res, job, known, body, post=bool(findings))
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
