"""The pull request's diff: the source of ``pull_request`` deliveries that change its head.

The diff analysed is the delivery's own: ``base...head`` for the base and head commits its payload
names, not the pull request's diff as it is now. A delivery retried after a newer push still
analyses (and links into) the head it was sent for.
https://docs.github.com/en/rest/commits/commits#compare-two-commits

The diff comes from GitHub as one document; past GitHub's limits for rendering it (or ours for
reading it), a files list gives the same patches file by file: the pull request's (up to 3000
files) while its head is still the delivery's, else the comparison's (GitHub lists up to 300).
"""

from __future__ import annotations

import asyncio
import re

from grimoire.core.diff import ParsedDiff, parse_diff, parse_file_patches
from grimoire.core.findings import Finding, find_errors
from grimoire.core.matching import Spellbook
from grimoire.errors import DiffTooLarge, UnusableJob
from grimoire.github.client import GitHubClient
from grimoire.sources.base import PullJob, Reading, pull_job
from grimoire.storage.deliveries import Job

# https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request: the actions
# after which the head holds changes nobody has analysed yet.
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")

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
    """Fetch and parse the head's diff, or a files list; say which (``diff`` or ``files``)."""
    base, head = job.base_sha, job.head_sha
    if base is None or not _SHA.fullmatch(base) or not _SHA.fullmatch(head):
        raise UnusableJob(f"delivery {job.id} names no base and head commits to compare")
    repo, number, inst = job.repository, job.pr_number, job.installation_id
    try:
        raw = await github.compare_diff(repo, base, head, installation_id=inst)
    except DiffTooLarge:
        current = await github.pull_head(repo, number, installation_id=inst)
        if current == head:
            files = await github.pull_files(repo, number, installation_id=inst)
        else:
            files = await github.compare_files(repo, base, head, installation_id=inst)
        return await asyncio.to_thread(parse_file_patches, files), "files"
    return await asyncio.to_thread(parse_diff, raw), "diff"


SOURCE = PullRequestDiff()
