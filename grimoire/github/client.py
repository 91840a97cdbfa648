"""``GitHubClient``: the few GitHub REST calls Grimoire makes, and how it makes them.

Reads: a pull request's diff, its files list (the fallback when GitHub will not render the diff)
and its comments. Writes: one sticky comment per pull request, and check runs with annotations.

How every call behaves:

- Transient failures (connection errors, timeouts, 500/502/503/504) are retried with exponential
  backoff and jitter (stamina), bounded in attempts and total time, then raise
  ``GitHubUnavailable``. A POST is retried only when it certainly never reached GitHub (it failed
  while connecting), so a retry cannot create a second comment or check run.
- Rate limits raise ``GitHubRateLimited`` at once with ``retry_at``: the job queue reschedules,
  this client never sleeps on a limit or retries into it.
- 401 with a GitHub App: the installation token is minted afresh and the request sent once more.
- Other refusals raise ``GitHubRejected`` (``DiffTooLarge`` for a diff GitHub will not render).
- Writes to one installation go one at a time, spaced apart (see ``pacing``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Callable, Hashable, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import httpx
import msgspec
import stamina

from grimoire.core.diff import FilePatch
from grimoire.errors import DiffTooLarge, GitHubError, GitHubRejected, GitHubUnavailable
from grimoire.github.auth import AppAuth, InstallationToken, TokenAuth, utc_now
from grimoire.github.checks import Annotation, Conclusion, output_batches
from grimoire.github.http import JSON_MEDIA_TYPE
from grimoire.github.pacing import DEFAULT_WRITE_SPACING, WRITE_METHODS, WritePacer
from grimoire.github.responses import RETRYABLE_STATUSES, check_response, describe

T = TypeVar("T")

DIFF_MEDIA_TYPE = "application/vnd.github.diff"
# https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files: at most 3000 files,
# 100 per page.
PER_PAGE = 100
MAX_FILE_PAGES = 30
MAX_COMMENT_PAGES = 100
# GitHub renders at most 20,000 diff lines, but a line can be a megabyte of minified code.
DEFAULT_MAX_DIFF_BYTES = 50 * 1024 * 1024

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_FILES = msgspec.json.Decoder(list[FilePatch])


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How transient failures are retried: at most ``attempts`` tries within ``timeout`` seconds.

    Waits grow from ``wait_initial`` by doubling up to ``wait_max``, plus up to ``wait_jitter``
    random seconds so that many workers do not retry in step.
    """

    attempts: int = 4
    timeout: float = 30.0
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 1.0


NO_RETRY = RetryPolicy(attempts=1, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)


class Reachability(msgspec.Struct, frozen=True):
    """What /health reports about GitHub: whether it answered, and a line for humans."""

    reachable: bool
    detail: str


class _Comment(msgspec.Struct):
    id: int
    body: str | None = None


class _Created(msgspec.Struct):
    id: int


class _RateLimit(msgspec.Struct):
    limit: int
    remaining: int


class _RateLimits(msgspec.Struct):
    rate: _RateLimit


class _RetryableStatus(Exception):
    """A 5xx answer worth retrying (raised inside the retry loop only)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"GitHub answered {response.status_code} to {describe(response)}")
        self.response = response


class _TooLarge(Exception):
    """The response body exceeded the byte cap of its request."""


class GitHubClient:
    """The GitHub REST API as Grimoire uses it, over an injected ``httpx.AsyncClient``.

    ``repository`` is always ``"owner/name"``. ``installation_id`` picks the GitHub App
    installation to act as (ignored with a plain token; optional when ``AppAuth`` has a default).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        auth: TokenAuth | AppAuth | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
        write_spacing: float = DEFAULT_WRITE_SPACING,
        max_diff_bytes: int = DEFAULT_MAX_DIFF_BYTES,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._http = http
        self._auth = auth
        self._retry = retry
        self._pacer = WritePacer(spacing=write_spacing)
        self._max_diff_bytes = max_diff_bytes
        self._now = now

    # -- pull requests -----------------------------------------------------------------------

    async def pull_diff(
        self, repository: str, number: int, *, installation_id: int | None = None
    ) -> bytes:
        """Fetch the pull request's unified diff; raise ``DiffTooLarge`` if GitHub refuses it."""
        # https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request (diff media type)
        _, body = await self._request(
            "GET",
            f"{_repo_path(repository)}/pulls/{number}",
            installation_id=installation_id,
            accept=DIFF_MEDIA_TYPE,
            diff=True,
        )
        return body

    async def pull_files(
        self, repository: str, number: int, *, installation_id: int | None = None
    ) -> list[FilePatch]:
        """List the files the pull request changes, with their patches (at most 3000 files)."""
        # https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files
        files: list[FilePatch] = []
        pages = self._paginate(
            f"{_repo_path(repository)}/pulls/{number}/files",
            _FILES,
            installation_id=installation_id,
            max_pages=MAX_FILE_PAGES,
        )
        async with aclosing(pages):
            async for page in pages:
                files.extend(page)
        return files

    # -- the sticky comment ------------------------------------------------------------------

    async def find_comment(
        self, repository: str, number: int, *, marker: str, installation_id: int | None = None
    ) -> tuple[int, str] | None:
        """Return the id and body of the first comment on the PR containing ``marker``."""
        # https://docs.github.com/en/rest/issues/comments#list-issue-comments (oldest first)
        pages = self._paginate(
            f"{_repo_path(repository)}/issues/{number}/comments",
            msgspec.json.Decoder(list[_Comment]),
            installation_id=installation_id,
            max_pages=MAX_COMMENT_PAGES,
        )
        async with aclosing(pages):
            async for page in pages:
                for comment in page:
                    if comment.body is not None and marker in comment.body:
                        return comment.id, comment.body
        return None

    async def create_comment(
        self, repository: str, number: int, body: str, *, installation_id: int | None = None
    ) -> int:
        """Comment on the pull request and return the new comment's id."""
        # https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
        _, answer = await self._request(
            "POST",
            f"{_repo_path(repository)}/issues/{number}/comments",
            installation_id=installation_id,
            json={"body": body},
        )
        return _decode(answer, _Created, "the created comment").id

    async def update_comment(
        self, repository: str, comment_id: int, body: str, *, installation_id: int | None = None
    ) -> None:
        """Replace the body of an existing comment."""
        # https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
        await self._request(
            "PATCH",
            f"{_repo_path(repository)}/issues/comments/{comment_id}",
            installation_id=installation_id,
            json={"body": body},
        )

    async def upsert_comment(
        self,
        repository: str,
        number: int,
        body: str,
        *,
        marker: str,
        installation_id: int | None = None,
    ) -> int:
        """Update the PR's comment carrying ``marker`` (``body`` must contain it), or create it."""
        if marker not in body:
            raise ValueError("the comment body must contain its marker, or it is never found")
        found = await self.find_comment(
            repository, number, marker=marker, installation_id=installation_id
        )
        if found is None:
            return await self.create_comment(
                repository, number, body, installation_id=installation_id
            )
        comment_id, old_body = found
        if old_body != body:
            await self.update_comment(repository, comment_id, body, installation_id=installation_id)
        return comment_id

    # -- check runs --------------------------------------------------------------------------

    async def create_check_run(
        self,
        repository: str,
        *,
        head_sha: str,
        name: str,
        status: Literal["queued", "in_progress"] = "in_progress",
        details_url: str | None = None,
        external_id: str | None = None,
        installation_id: int | None = None,
    ) -> int:
        """Start a check run on ``head_sha`` and return its id (needs a GitHub App token)."""
        # https://docs.github.com/en/rest/checks/runs#create-a-check-run
        body: dict[str, object] = {"name": name, "head_sha": head_sha, "status": status}
        if status == "in_progress":
            body["started_at"] = _iso(self._now())
        if details_url is not None:
            body["details_url"] = details_url
        if external_id is not None:
            body["external_id"] = external_id
        _, answer = await self._request(
            "POST",
            f"{_repo_path(repository)}/check-runs",
            installation_id=installation_id,
            json=body,
        )
        return _decode(answer, _Created, "the created check run").id

    async def complete_check_run(
        self,
        repository: str,
        check_run_id: int,
        *,
        conclusion: Conclusion,
        title: str,
        summary: str,
        text: str | None = None,
        annotations: Sequence[Annotation] = (),
        installation_id: int | None = None,
    ) -> None:
        """Complete the check run with its output; annotations go 50 per request."""
        # https://docs.github.com/en/rest/checks/runs#update-a-check-run
        path = f"{_repo_path(repository)}/check-runs/{check_run_id}"
        first, *rest = output_batches(
            title=title, summary=summary, text=text, annotations=annotations
        )
        completion = {
            "status": "completed",
            "conclusion": conclusion,
            "completed_at": _iso(self._now()),
            "output": first,
        }
        await self._request("PATCH", path, installation_id=installation_id, json=completion)
        for output in rest:
            # Later updates append their annotations to the ones already on the check run.
            await self._request(
                "PATCH", path, installation_id=installation_id, json={"output": output}
            )

    # -- health ------------------------------------------------------------------------------

    async def check_reachable(self, *, within: float = 3.0) -> Reachability:
        """Ask GitHub for its rate limit status, quickly and once; never raises."""
        # https://docs.github.com/en/rest/rate-limit/rate-limit: answering does not count against
        # the primary rate limit. An App's JWT cannot call it, so an App asks anonymously.
        authorization = self._auth.authorization() if isinstance(self._auth, TokenAuth) else None
        try:
            async with asyncio.timeout(within + 1.0):
                response, body = await self._send(
                    "GET",
                    "rate_limit",
                    authorization=authorization,
                    policy=NO_RETRY,
                    http_timeout=httpx.Timeout(within),
                )
        except (GitHubError, httpx.HTTPError, TimeoutError) as exc:
            return Reachability(False, f"GitHub API unreachable: {exc}")
        return _reachability(response, body)

    # -- machinery ---------------------------------------------------------------------------

    async def _paginate(
        self,
        path: str,
        decoder: msgspec.json.Decoder[list[T]],
        *,
        installation_id: int | None,
        max_pages: int,
    ) -> AsyncGenerator[list[T], None]:
        """Yield each page of a list endpoint, following ``Link: rel="next"``."""
        # https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
        url: str | None = path
        params: dict[str, str] | None = {"per_page": str(PER_PAGE)}
        for _ in range(max_pages):
            if url is None:
                return
            response, body = await self._request(
                "GET", url, installation_id=installation_id, params=params
            )
            yield _decode(body, decoder, describe(response))
            next_link = response.links.get("next", {}).get("url")
            url = None if next_link is None else self._own_link(next_link, response)
            params = None  # the next link carries per_page and page itself

    def _own_link(self, link: str, response: httpx.Response) -> str:
        """Return a pagination link after checking it stays on the API (it gets our token)."""
        base, url = self._http.base_url, response.request.url.join(link)
        same_origin = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        if not same_origin or not url.path.startswith(base.path):
            raise GitHubRejected(
                f"GitHub's next-page link for {describe(response)} leaves the API base URL "
                f"({url.scheme}://{url.host}{url.path}); not following it",
                status=response.status_code,
            )
        return str(url)

    async def _request(
        self,
        method: str,
        url: str,
        *,
        installation_id: int | None,
        params: dict[str, str] | None = None,
        json: object = None,
        accept: str = JSON_MEDIA_TYPE,
        diff: bool = False,
    ) -> tuple[httpx.Response, bytes]:
        """Send one authenticated API request and return the successful answer and its body."""
        content = None if json is None else msgspec.json.encode(json)
        send_kwargs: dict[str, Any] = {
            "params": params,
            "content": content,
            "accept": accept,
            "max_bytes": self._max_diff_bytes if diff else None,
        }
        if method in WRITE_METHODS:
            async with self._pacer.turn(self._lane(installation_id)):
                response, body = await self._authorized(method, url, installation_id, send_kwargs)
        else:
            response, body = await self._authorized(method, url, installation_id, send_kwargs)
        check_response(response, body, now=self._now(), diff=diff)
        return response, body

    def _lane(self, installation_id: int | None) -> Hashable:
        """Name the write lane: the App installation, or the one token every write shares."""
        if isinstance(self._auth, AppAuth):
            return self._auth.resolve(installation_id)
        return "token"

    async def _authorized(
        self, method: str, url: str, installation_id: int | None, send_kwargs: dict[str, Any]
    ) -> tuple[httpx.Response, bytes]:
        """Send with the right credentials; with an App, mint afresh once if GitHub says 401."""
        auth = self._auth
        if not isinstance(auth, AppAuth):
            authorization = None if auth is None else auth.authorization()
            return await self._send(method, url, authorization=authorization, **send_kwargs)
        installation = auth.resolve(installation_id)
        token = await auth.installation_token(installation, mint=self._mint)
        response, body = await self._send(
            method, url, authorization=f"Bearer {token}", **send_kwargs
        )
        if response.status_code == 401:
            # The cached token was revoked or expired early (e.g. the App's key was rotated):
            # https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
            auth.forget(installation, token)
            token = await auth.installation_token(installation, mint=self._mint)
            response, body = await self._send(
                method, url, authorization=f"Bearer {token}", **send_kwargs
            )
        return response, body

    async def _mint(self, installation_id: int, app_jwt: str) -> InstallationToken:
        """Trade the app JWT for an installation access token."""
        # https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
        # Minting twice is harmless, so this POST is retried like a read.
        response, body = await self._send(
            "POST",
            f"app/installations/{installation_id}/access_tokens",
            authorization=f"Bearer {app_jwt}",
            idempotent=True,
        )
        check_response(response, body, now=self._now())
        return _decode(body, InstallationToken, "the installation token")

    async def _send(
        self,
        method: str,
        url: str,
        *,
        authorization: str | None,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        accept: str = JSON_MEDIA_TYPE,
        max_bytes: int | None = None,
        idempotent: bool | None = None,
        policy: RetryPolicy | None = None,
        http_timeout: httpx.Timeout | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """Send one request, retrying transient failures; return the last answer, any status."""
        request = self._build(method, url, authorization, params, content, accept, http_timeout)
        retry_all = idempotent if idempotent is not None else method != "POST"
        policy = policy or self._retry
        tries = 0
        try:
            async for attempt in stamina.retry_context(
                on=_TRANSIENT if retry_all else _NEVER_SENT,
                attempts=policy.attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    tries += 1
                    response, body = await self._exchange(request, max_bytes, retry_all)
        except _RetryableStatus as exc:
            raise GitHubUnavailable(f"{exc} (gave up after {tries} attempts)") from exc
        except _TooLarge as exc:
            raise DiffTooLarge(f"{exc}: too large to analyse as one diff", status=200) from exc
        except httpx.RequestError as exc:
            raise GitHubUnavailable(
                f"GitHub API unreachable for {method} {request.url.path}: "
                f"{type(exc).__name__} {exc} (gave up after {tries} attempts)"
            ) from exc
        return response, body

    def _build(
        self,
        method: str,
        url: str,
        authorization: str | None,
        params: dict[str, str] | None,
        content: bytes | None,
        accept: str,
        http_timeout: httpx.Timeout | None,
    ) -> httpx.Request:
        """Build the request; the client supplies the base URL, version and User-Agent."""
        headers = {"Accept": accept}
        if authorization is not None:
            headers["Authorization"] = authorization
        if content is not None:
            headers["Content-Type"] = "application/json"
        extra: dict[str, Any] = {} if http_timeout is None else {"timeout": http_timeout}
        return self._http.build_request(
            method, url, params=params, content=content, headers=headers, **extra
        )

    async def _exchange(
        self, request: httpx.Request, max_bytes: int | None, retry_status: bool
    ) -> tuple[httpx.Response, bytes]:
        """Send once and read the body (capped at ``max_bytes``); raise on a retryable 5xx."""
        response = await self._http.send(request, stream=True)
        try:
            body = await _read(response, max_bytes)
        finally:
            await response.aclose()
        if retry_status and response.status_code in RETRYABLE_STATUSES:
            raise _RetryableStatus(response)
        return response, body


# Worth another try for any idempotent request.
_TRANSIENT = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    _RetryableStatus,
)
# Safe to retry even for a POST: the request never left this process.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


async def _read(response: httpx.Response, max_bytes: int | None) -> bytes:
    """Read the whole body, refusing more than ``max_bytes`` (None: no cap)."""
    if max_bytes is None:
        return await response.aread()
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _TooLarge(f"{describe(response)} answered {declared} bytes, over {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _TooLarge(f"{describe(response)} answered more than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, kind: type[T] | msgspec.json.Decoder[T], what: str) -> T:
    """Decode a JSON answer, turning an unexpected shape into ``GitHubUnavailable``."""
    try:
        if isinstance(kind, msgspec.json.Decoder):
            return kind.decode(body)
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError as exc:
        raise GitHubUnavailable(f"GitHub answered {what} with an unexpected body: {exc}") from exc


def _reachability(response: httpx.Response, body: bytes) -> Reachability:
    """Read the answer of GET /rate_limit into a health line."""
    status = response.status_code
    if status == 200:
        try:
            rate = msgspec.json.decode(body, type=_RateLimits).rate
        except msgspec.DecodeError:
            return Reachability(True, "reachable")
        return Reachability(True, f"reachable; {rate.remaining} of {rate.limit} requests left")
    if status == 404:
        # GitHub Enterprise Server answers 404 when its rate limiting is disabled.
        return Reachability(True, "reachable (rate limiting is disabled on this server)")
    if status == 401:
        return Reachability(True, "reachable, but GitHub rejected the token (401)")
    if status >= 500:
        return Reachability(False, f"GitHub API answered {status}")
    return Reachability(True, f"reachable (answered {status})")


def _repo_path(repository: str) -> str:
    """Return ``repos/{owner}/{name}``, refusing names that could escape the path."""
    owner, _, name = repository.partition("/")
    if not _REPOSITORY.fullmatch(repository) or owner in {".", ".."} or name in {".", ".."}:
        raise ValueError(f"a repository is 'owner/name', not {repository!r}")
    return f"repos/{owner}/{name}"


def _iso(moment: datetime) -> str:
    """Format a timestamp as GitHub wants it: ISO 8601 in UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
