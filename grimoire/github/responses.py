"""What a GitHub answer means: success, a rate limit, a refusal, or a transient failure.

``check_response`` turns a final (already retried) answer into the ``GitHubError`` the worker
acts on. Every message names the request and quotes GitHub's own message, never a token.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import httpx
import msgspec

from grimoire.errors import (
    DiffTooLarge,
    GitHubRateLimited,
    GitHubRejected,
    GitHubUnavailable,
)

# Worth retrying at once: GitHub's front ends answer these while a backend is briefly away.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})

# https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
# "Otherwise, wait for at least one minute before retrying."
SECONDARY_LIMIT_DEFAULT_WAIT = timedelta(minutes=1)
# The primary limit resets within the hour; a Retry-After or reset further out (a proxy's bug, or
# a hostile answer: one parked a job until the year 5195) is waited at most this long.
MAX_RATE_LIMIT_WAIT = timedelta(hours=1)

_HINTS = {
    401: "the token is invalid or expired; check GITHUB_API_TOKEN or the GitHub App key",
    403: "the token lacks a permission this request needs",
    404: "the repository or resource does not exist, or the token cannot see it",
    422: "GitHub refused the request's content",
}


class ErrorItem(msgspec.Struct):
    """One entry of GitHub's ``errors`` list (only the fields we read)."""

    code: str | None = None
    message: str | None = None


class ErrorBody(msgspec.Struct):
    """GitHub's JSON error body: ``{"message", "errors"?, "documentation_url"?}``."""

    message: str = ""
    errors: list[ErrorItem | str] = msgspec.field(default_factory=list)
    documentation_url: str | None = None


def decode_error(body: bytes) -> ErrorBody:
    """Decode GitHub's error body, falling back to a snippet of whatever text came back."""
    try:
        return msgspec.json.decode(body, type=ErrorBody)
    except msgspec.DecodeError:
        snippet = body[:200].decode("utf-8", "replace").strip()
        return ErrorBody(message=snippet or "(empty body)")


def describe(response: httpx.Response) -> str:
    """Name a request for messages: method and path, never headers or the host's credentials."""
    return f"{response.request.method} {response.request.url.path}"


def check_response(
    response: httpx.Response, body: bytes, *, now: datetime, diff: bool = False
) -> None:
    """Raise the ``GitHubError`` a non-2xx answer means; return quietly on success.

    ``diff`` marks a request for a diff, so that GitHub's "diff too large" refusal becomes
    ``DiffTooLarge`` and the caller can fall back to the files list.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    error = decode_error(body)
    retry_at = rate_limit_retry_at(response, error, now=now)
    if retry_at is not None:
        raise GitHubRateLimited(
            f"GitHub rate limit on {describe(response)} ({status}: {error.message}); "
            f"retry after {retry_at.isoformat()}",
            retry_at=retry_at,
        )
    if status >= 500:
        raise GitHubUnavailable(
            f"GitHub answered {status} to {describe(response)}: {error.message}"
        )
    if diff and is_diff_too_large(status, error):
        raise DiffTooLarge(
            f"GitHub will not render the diff for {describe(response)}: {error.message}",
            status=status,
        )
    hint = _HINTS.get(status, "GitHub refused the request")
    raise GitHubRejected(
        f"GitHub answered {status} to {describe(response)}: {error.message} ({hint})",
        status=status,
    )


def rate_limit_retry_at(
    response: httpx.Response, error: ErrorBody, *, now: datetime
) -> datetime | None:
    """Return when a rate-limited request may be retried, or None if this is no rate limit."""
    # https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
    # Primary and secondary limits both answer 403 or 429; a 403 is only a limit when a header or
    # the message says so (otherwise it is a permission refusal).
    if response.status_code not in {403, 429}:
        return None
    when = _limit_ends(response, error, now=now)
    return None if when is None else min(when, now + MAX_RATE_LIMIT_WAIT)


def _limit_ends(response: httpx.Response, error: ErrorBody, *, now: datetime) -> datetime | None:
    headers = response.headers
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    if retry_after is not None:
        return retry_after
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(datetime.fromtimestamp(min(int(reset[:11]), 10**10), UTC), now)
        return now + SECONDARY_LIMIT_DEFAULT_WAIT
    if response.status_code == 429 or "rate limit" in error.message.lower():
        return now + SECONDARY_LIMIT_DEFAULT_WAIT
    return None


def parse_retry_after(value: str | None, *, now: datetime) -> datetime | None:
    """Parse ``Retry-After`` (delta seconds, as GitHub sends, or an HTTP date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        # More digits than a day of seconds has is "far future": capped by the caller.
        return now + timedelta(seconds=min(int(value[:9]), 10**8))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return now + SECONDARY_LIMIT_DEFAULT_WAIT
    return max(when if when.tzinfo else when.replace(tzinfo=UTC), now)


def is_diff_too_large(status: int, error: ErrorBody) -> bool:
    """Tell whether GitHub refused to render a diff because it is too large."""
    # GitHub answers 406 {"message": "Sorry, the diff exceeded the maximum number of files (300)
    # ...", "errors": [{"resource": "PullRequest", "field": "diff", "code": "too_large"}]}, and
    # the same for lines (20000); https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
    if status not in {406, 422}:
        return False
    if "diff exceeded the maximum" in error.message.lower():
        return True
    return any(isinstance(item, ErrorItem) and item.code == "too_large" for item in error.errors)
