"""The one rule for what a failed job attempt leads to: wait, retry, or fail for good.

Failing for good has two reasons, logged differently: the failure is ``refused`` (permanent,
whatever the attempt) or the job is ``exhausted`` (this was its last attempt).

The worker settles the job by it, and reporting says ``retrying`` or ``failed`` by it, so the
two never disagree.
"""

from __future__ import annotations

from typing import Literal

from grimoire.errors import DiffTooLarge, GitHubRateLimited, GitHubRejected, UnusableJob

FailureOutcome = Literal["wait", "retry", "refused", "exhausted"]
FINAL: frozenset[FailureOutcome] = frozenset({"refused", "exhausted"})


def failure_outcome(exc: BaseException, *, attempts: int, max_attempts: int) -> FailureOutcome:
    """Decide what follows a failed attempt (``attempts`` counts this one).

    ``wait``: a rate limit, retried at its reset without spending an attempt. ``refused``: a
    permanent refusal (GitHub's 4xx, a diff too large even for the
    files list, a job no attempt can run). ``exhausted``: the last
    attempt failed. ``retry``: anything else, after a backoff.
    """
    if isinstance(exc, GitHubRateLimited):
        return "wait"
    if isinstance(exc, GitHubRejected | DiffTooLarge | UnusableJob):
        return "refused"
    return "exhausted" if attempts >= max_attempts else "retry"
