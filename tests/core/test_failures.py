"""failure_outcome: the one rule the worker and reporting both follow after a failed attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grimoire.core.failures import FINAL, failure_outcome
from grimoire.errors import (
    DiffTooLarge,
    GitHubRateLimited,
    GitHubRejected,
    GitHubUnavailable,
    UnusableJob,
)

RATE_LIMITED = GitHubRateLimited("limit", retry_at=datetime(2030, 1, 1, tzinfo=UTC))


@given(attempts=st.integers(1, 50), max_attempts=st.integers(1, 50))
def test_a_rate_limit_always_waits_and_a_refusal_always_fails(
    attempts: int, max_attempts: int
) -> None:
    assert failure_outcome(RATE_LIMITED, attempts=attempts, max_attempts=max_attempts) == "wait"
    for refusal in (
        GitHubRejected("no", status=403),
        DiffTooLarge("big", status=406),
        DiffTooLarge("big", status=None),
        UnusableJob("no head"),
    ):
        outcome = failure_outcome(refusal, attempts=attempts, max_attempts=max_attempts)
        assert outcome == "refused"


@pytest.mark.parametrize("exc", [GitHubUnavailable("502"), OSError("reset"), ValueError("bug")])
def test_anything_else_is_retried_until_the_last_attempt(exc: Exception) -> None:
    assert failure_outcome(exc, attempts=1, max_attempts=3) == "retry"
    assert failure_outcome(exc, attempts=2, max_attempts=3) == "retry"
    assert failure_outcome(exc, attempts=3, max_attempts=3) == "exhausted"
    assert {"refused", "exhausted"} == FINAL
