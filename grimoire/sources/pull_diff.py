"""The pull request's diff: the source of ``pull_request`` deliveries that change its head.

The diff comes from GitHub as one document; past GitHub's limits for rendering it (or ours for
reading it), the pull request's files list gives the same patches file by file.
https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
"""

from __future__ import annotations

import asyncio

from grimoire.core.diff import ParsedDiff, parse_diff, parse_file_patches
from grimoire.core.findings import Finding, find_errors
from grimoire.core.matching import Spellbook
from grimoire.errors import DiffTooLarge
from grimoire.github.client import GitHubClient
from grimoire.sources.base import PullJob, Reading, pull_job
from grimoire.storage.deliveries import Job

# https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request: the actions
# after which the head holds changes nobody has analysed yet.
ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})


class PullRequestDiff:
    """Reads the lines a pull request adds."""

    name = "pull_request_diff"
    events = frozenset(("pull_request", action) for action in ACTIONS)

    def job(self, claimed: Job) -> PullJob:
        """Return the job's pull request head."""
        return pull_job(claimed)

    async def read(self, github: GitHubClient, job: PullJob) -> Reading:
        """Fetch and parse the diff; past GitHub's diff limits, build it from the files list."""
        diff, how = await fetch_changes(github, job)
        return Reading(files=diff.files, problems=diff.errors, how=how)

    def find(self, reading: Reading, book: Spellbook) -> tuple[list[Finding], bool]:
        """Find errors in the added lines."""
        return find_errors(reading.files, book)


async def fetch_changes(github: GitHubClient, job: PullJob) -> tuple[ParsedDiff, str]:
    """Fetch and parse the PR's diff, or its files list; say which (``diff`` or ``files``)."""
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


SOURCE = PullRequestDiff()
