"""What every channel shares: the ``Channel`` protocol and the context a report is rendered in.

A channel is a place a pull request shows an analysis: today the sticky comment and the check
run. ``grimoire.reporting`` drives every enabled channel through the same three steps and keeps
the analysis's ``report_status``; each channel keeps its own record of what GitHub answered.
"""

from __future__ import annotations

from typing import Protocol

from grimoire.config import Settings
from grimoire.core.findings import Finding
from grimoire.core.report import ReportContext, web_url_for
from grimoire.resources import Resources
from grimoire.sources.base import PullJob


class Channel(Protocol):
    """Something that shows an analysis on its pull request."""

    @property
    def name(self) -> str:
        """A short name, as ``REPORT_MODE`` enables it (``comment``, ``check_run``)."""

    def enabled(self, settings: Settings) -> bool:
        """Tell whether the settings turn this channel on."""

    async def begin(self, res: Resources, job: PullJob, analysis_id: int) -> None:
        """Show that the analysis started, if the channel can; a GitHub error is not fatal."""

    async def report(
        self,
        res: Resources,
        job: PullJob,
        analysis_id: int,
        ctx: ReportContext,
        findings: list[Finding],
    ) -> str | None:
        """Report a saved analysis; return why nothing was sent, if so.

        Raise ``GitHubError`` when GitHub fails (a ``GitHubRejected`` does not keep the other
        channels from reporting; anything else stops them, and the job is retried).
        """

    async def abandon(self, res: Resources, job: PullJob, analysis_id: int, detail: str) -> None:
        """Say the analysis failed for good, so nothing shows it in progress forever."""


def report_context(
    settings: Settings, job: PullJob, analysis_id: int, *, capped: bool = False
) -> ReportContext:
    """Describe where the report goes and what it links to."""
    details = f"{settings.public_url}/analyses/{analysis_id}" if settings.public_url else None
    return ReportContext(
        repository=job.repository,
        pr_number=job.pr_number,
        head_sha=job.head_sha,
        analysis_id=analysis_id,
        web_url=web_url_for(settings.github_api_url),
        details_url=details,
        capped=capped,
    )
