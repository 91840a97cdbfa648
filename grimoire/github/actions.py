"""GitHub Actions as the CI source reads it: a run's jobs, and a job's log, tail first.

A job log is downloaded in two hops: the API answers 302 with a short-lived URL on a storage
host, and the log comes from there. The GitHub token goes to the API only; the storage URL is
signed and is fetched with no credentials at all.
https://docs.github.com/en/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run

Logs can be hundreds of megabytes and the failure is at the end, so the body is streamed and only
its last ``max_bytes`` are kept: memory stays bounded by the cap, whatever the log's size.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

import httpx
import msgspec

DEFAULT_MAX_LOG_BYTES = 8 * 1024 * 1024
"""The tail of a job log that is read: the failure sits at its end, and 8 MiB holds ~100,000
lines, far more than one failing step prints after its last passing one."""


class JobStep(msgspec.Struct, frozen=True):
    """One step of a job, as the jobs API lists it."""

    number: int
    name: str
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class ActionsJob(msgspec.Struct, frozen=True):
    """One job of a workflow run."""

    id: int
    name: str
    run_attempt: int = 1
    conclusion: str | None = None
    html_url: str | None = None
    steps: list[JobStep] = msgspec.field(default_factory=list)

    def failed_step(self) -> JobStep | None:
        """Return the first step that failed or timed out, if the jobs API names one."""
        return next(
            (step for step in self.steps if step.conclusion in {"failure", "timed_out"}), None
        )


class JobsPage(msgspec.Struct, frozen=True):
    """One page of ``GET …/actions/runs/{id}/jobs``."""

    total_count: int
    jobs: list[ActionsJob]


class JobLog(msgspec.Struct, frozen=True):
    """The end of a job log: its text, how long the whole log was, whether its head was cut."""

    text: str
    total_bytes: int
    head_cut: bool


class CheckAnnotation(msgspec.Struct, frozen=True):
    """One annotation of another app's check run."""

    path: str | None = None
    start_line: int | None = None
    annotation_level: str | None = None
    title: str | None = None
    message: str = ""
    raw_details: str | None = None


class PullRef(msgspec.Struct, frozen=True):
    """A pull request a commit belongs to (from ``GET …/commits/{sha}/pulls``)."""

    number: int
    state: str = "open"


async def read_tail(response: httpx.Response, *, max_bytes: int) -> JobLog:
    """Stream ``response`` keeping only its last ``max_bytes``; cut the head at a line start."""
    kept: deque[bytes] = deque()
    size = total = 0
    async for chunk in response.aiter_bytes():
        kept.append(chunk)
        size += len(chunk)
        total += len(chunk)
        while size - len(kept[0]) >= max_bytes:
            size -= len(kept.popleft())
    data = b"".join(kept)
    kept.clear()
    head_cut = total > max_bytes
    if head_cut:
        data = data[-max_bytes:]
        # Start on a whole line: the first one is most likely a fragment.
        newline = data.find(b"\n")
        data = data[newline + 1 :] if newline >= 0 else data
    return JobLog(data.decode("utf-8", "replace"), total, head_cut)
