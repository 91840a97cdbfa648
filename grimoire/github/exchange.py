"""One request to GitHub and its answer, retried while the failure is transient.

``exchange`` sends a built ``httpx.Request``, reads the whole body (optionally capped), and
retries connection errors, timeouts and 500/502/503/504 with exponential backoff and jitter
(stamina), bounded in attempts and total time. When it gives up it raises ``GitHubUnavailable``.
Any other answer, whatever its status, is returned for ``responses.check_response`` to judge.

A request that is not idempotent (a POST that creates a comment or a check run) is retried only
when it certainly never reached GitHub: a retry after a lost answer could create a duplicate.
"""

from __future__ import annotations

import asyncio

import httpx
import msgspec
import stamina

from grimoire.errors import DiffTooLarge, GitHubRejected, GitHubUnavailable
from grimoire.github.responses import RETRYABLE_STATUSES, describe

MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""The most any GitHub answer may decode to (diffs have their own, smaller cap). httpx
decompresses as it reads, so a gzip bomb (1 MB that inflates to 1 GiB) stops here, holding at
most this plus one inflated chunk."""


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How transient failures are retried: at most ``attempts`` tries within ``timeout`` seconds.

    Waits grow from ``wait_initial`` by doubling up to ``wait_max``, plus up to ``wait_jitter``
    random seconds so that many workers do not retry in step. ``timeout`` stops further retries;
    the attempt under way still runs to its own HTTP timeout.
    """

    attempts: int = 4
    timeout: float = 30.0
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 1.0
    deadline: float = 60.0
    """Seconds one attempt may take from sending to the last byte of the answer. httpx's read
    timeout is per read: an answer trickling one byte every 5 s never trips it, and held a
    worker forever."""


NO_RETRY = RetryPolicy(attempts=1, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)


class _RetryableStatus(Exception):
    """A 5xx answer worth retrying (raised inside the retry loop only)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"GitHub answered {response.status_code} to {describe(response)}")


class _TooLarge(Exception):
    """The response body exceeded the byte cap of its request."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


# Worth another try for an idempotent request.
_TRANSIENT = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    _RetryableStatus,
)
# Safe to retry even for a POST: the request never left this process.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


async def exchange(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    policy: RetryPolicy,
    idempotent: bool,
    max_bytes: int | None = None,
    follow_redirects: bool = True,
) -> tuple[httpx.Response, bytes]:
    """Send ``request`` until it gets a non-transient answer; return it and its body.

    A body over ``max_bytes`` raises ``DiffTooLarge`` (only diffs are capped).
    ``follow_redirects=False`` returns a redirect as the answer (a job log's storage URL).
    """
    tries = 0
    try:
        async for attempt in stamina.retry_context(
            on=_TRANSIENT if idempotent else _NEVER_SENT,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                tries += 1
                response, body = await _once(
                    http,
                    request,
                    max_bytes,
                    retry_status=idempotent,
                    redirects=follow_redirects,
                    deadline=policy.deadline,
                )
    except _RetryableStatus as exc:
        raise GitHubUnavailable(f"{exc} (gave up after {tries} attempts)") from exc
    except _TooLarge as exc:
        if max_bytes is None:
            raise GitHubRejected(f"{exc}: refusing to read it", status=exc.status) from exc
        raise DiffTooLarge(f"{exc}: too large to analyse as one diff", status=None) from exc
    except httpx.RequestError as exc:
        raise GitHubUnavailable(
            f"GitHub API unreachable for {request.method} {request.url.path}: "
            f"{type(exc).__name__} {exc} (gave up after {tries} attempts)"
        ) from exc
    return response, body


async def _once(
    http: httpx.AsyncClient,
    request: httpx.Request,
    max_bytes: int | None,
    *,
    retry_status: bool,
    redirects: bool = True,
    deadline: float,
) -> tuple[httpx.Response, bytes]:
    """Send once and read the body within ``deadline`` s; raise on a 5xx worth retrying."""
    try:
        async with asyncio.timeout(deadline):
            response = await http.send(request, stream=True, follow_redirects=redirects)
            try:
                body = await _read(response, max_bytes)
            finally:
                await response.aclose()
    except TimeoutError:
        raise httpx.ReadTimeout(
            f"no complete answer within {deadline:g} s", request=request
        ) from None
    if retry_status and response.status_code in RETRYABLE_STATUSES:
        raise _RetryableStatus(response)
    return response, body


async def _read(response: httpx.Response, max_bytes: int | None) -> bytes:
    """Read the whole body, refusing more than ``max_bytes`` (None: ``MAX_ANSWER_BYTES``)."""
    max_bytes = MAX_ANSWER_BYTES if max_bytes is None else max_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _TooLarge(
            f"{describe(response)} answered {declared} bytes, over {max_bytes}",
            status=response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _TooLarge(
                f"{describe(response)} answered more than {max_bytes} bytes",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)
