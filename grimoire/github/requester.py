"""Authenticated, paced and checked requests to the GitHub REST API, and pagination.

``Requester`` is what ``GitHubClient``'s endpoint methods stand on. For each request it picks the
credentials (a fixed token, or the App installation's token, minted and cached by ``AppAuth``),
queues writes per installation (``pacing``), sends with bounded retries (``exchange``) and turns
a refusal into a ``GitHubError`` (``responses``). With an App, a 401 mints a fresh installation
token and sends the request once more. A GET asks only whether its last answer changed
(``etags``): a 304 gives back the remembered answer without spending rate limit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

import httpx
import msgspec
import stamina

from grimoire.errors import GitHubRejected, GitHubUnavailable
from grimoire.github.actions import JobLog, read_tail
from grimoire.github.auth import AppAuth, InstallationToken, TokenAuth, utc_now
from grimoire.github.etags import CacheKey, ETagCache, Remembered, cache_key, identity
from grimoire.github.exchange import NO_RETRY, RetryPolicy, exchange
from grimoire.github.http import JSON_MEDIA_TYPE
from grimoire.github.pacing import DEFAULT_WRITE_SPACING, WRITE_METHODS, WritePacer
from grimoire.github.responses import check_response, describe

T = TypeVar("T")

# https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
PER_PAGE = 100
# GitHub renders at most 20,000 diff lines, but a line can be a megabyte of minified code, and
# GitHub Enterprise Server may be configured otherwise. A job's memory grows 11-17 times the diff
# (bench/results/pipeline.md), so a bigger diff goes through the files list, file by file:
# 10 MiB is five times what 50,000 added lines of ordinary code take.
DEFAULT_MAX_DIFF_BYTES = 10 * 1024 * 1024


class Requester:
    """Send GitHub API requests with the right credentials, pacing, retries and checks."""

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
        self.etags = ETagCache()
        self.now = now  # the clock, for rate limits' retry_at

    async def probe(self, path: str, *, within: float) -> tuple[httpx.Response, bytes]:
        """Send one GET, once, with a short timeout; a fixed token is sent, an App's is not.

        For health checks: the answer comes back whatever its status.
        """
        auth = self._auth
        return await self._send(
            "GET",
            path,
            authorization=auth.authorization() if isinstance(auth, TokenAuth) else None,
            policy=msgspec.structs.replace(NO_RETRY, deadline=within),
            http_timeout=httpx.Timeout(within),
        )

    async def paginate(
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
            response, body = await self.request(
                "GET", url, installation_id=installation_id, params=params
            )
            yield decode(body, decoder, describe(response))
            next_link = response.links.get("next", {}).get("url")
            url = None if next_link is None else self._own_link(next_link, response)
            params = None  # the next link carries per_page and page itself

    async def as_app(
        self, method: str, url: str, *, params: dict[str, str] | None = None
    ) -> tuple[httpx.Response, bytes]:
        """Send one request as the App itself (its JWT, no installation) and check the answer."""
        # https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app
        auth = self._auth
        if not isinstance(auth, AppAuth):
            raise GitHubRejected(
                f"{method} {url} needs GitHub App credentials (GITHUB_APP_ID and its key)",
                status=401,
            )
        response, body = await self._send(
            method, url, authorization=f"Bearer {auth.app_jwt()}", params=params
        )
        check_response(response, body, now=self.now())
        return response, body

    def next_page(self, response: httpx.Response) -> str | None:
        """Return the URL of the page after ``response`` (``Link: rel="next"``), if any."""
        link = response.links.get("next", {}).get("url")
        return None if link is None else self._own_link(link, response)

    def _own_link(self, link: str, response: httpx.Response) -> str:
        """Turn a next-page link into a URL on our own API base (the request carries a token).

        Only the link's path and query are used: the token goes to GITHUB_API_URL and nowhere
        else, even when a GitHub Enterprise Server reached by another name links to its own.
        """
        base, url = self._http.base_url, response.request.url.join(link)
        if not url.path.startswith(base.path):
            raise GitHubRejected(
                f"GitHub's next-page link for {describe(response)} leaves the API base path "
                f"{base.path!r} ({url.path!r}); not following it",
                status=response.status_code,
            )
        return str(url.copy_with(scheme=base.scheme, host=base.host, port=base.port))

    async def request(
        self,
        method: str,
        url: str,
        *,
        installation_id: int | None,
        params: dict[str, str] | None = None,
        json: object = None,
        accept: str = JSON_MEDIA_TYPE,
        diff: bool = False,
        follow_redirects: bool = True,
    ) -> tuple[httpx.Response, bytes]:
        """Send one authenticated API request and return the successful answer and its body.

        ``follow_redirects=False``: a 3xx answer is returned as it is, for the caller to follow
        (without the token) where it leads.
        """
        content = None if json is None else msgspec.json.encode(json)
        send_kwargs: dict[str, Any] = {
            "params": params,
            "content": content,
            "accept": accept,
            "max_bytes": self._max_diff_bytes if diff else None,
            "follow_redirects": follow_redirects,
        }
        # Diffs are left out: big, and read once per head anyway.
        key = None
        if method == "GET" and not diff and follow_redirects:
            key = cache_key(self._identity(installation_id), url, params, accept)
        known = None if key is None else self.etags.get(key)
        if known is not None:
            send_kwargs["if_none_match"] = known.etag
        if method in WRITE_METHODS:
            async with self._pacer.turn(self._lane(installation_id)):
                response, body = await self._authorized(method, url, installation_id, send_kwargs)
        else:
            response, body = await self._authorized(method, url, installation_id, send_kwargs)
        if key is not None:
            response, body = self._conditional(key, known, response, body)
        if not (300 <= response.status_code < 400 and not follow_redirects):
            check_response(response, body, now=self.now(), diff=diff)
        return response, body

    def _conditional(
        self,
        key: CacheKey,
        known: Remembered | None,
        response: httpx.Response,
        body: bytes,
    ) -> tuple[httpx.Response, bytes]:
        """Turn a 304 into the remembered answer; remember a new 200 answer."""
        if response.status_code == 304 and known is not None:
            return known.replay(response.request), known.body
        self.etags.remember(key, response, body)
        return response, body

    def _identity(self, installation_id: int | None) -> str:
        """Who a read is sent as: an App installation, or the fixed token (if any)."""
        if isinstance(self._auth, AppAuth):
            return identity(None, self._auth.resolve(installation_id))
        return identity(None if self._auth is None else self._auth.authorization())

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
        check_response(response, body, now=self.now())
        return decode(body, InstallationToken, "the installation token")

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
        follow_redirects: bool = True,
        if_none_match: str | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """Send one request, retrying transient failures; return the last answer, any status."""
        request = self._build(method, url, authorization, params, content, accept, http_timeout)
        if if_none_match is not None:
            request.headers["If-None-Match"] = if_none_match
        return await exchange(
            self._http,
            request,
            policy=policy or self._retry,
            idempotent=idempotent if idempotent is not None else method != "POST",
            max_bytes=max_bytes,
            follow_redirects=follow_redirects,
        )

    async def download(
        self, url: str, *, max_bytes: int, policy: RetryPolicy | None = None
    ) -> JobLog:
        """Stream a pre-signed URL GitHub redirected to, with no credentials, keeping the tail.

        The URL is signed for this download alone: no token, and only the client's default
        headers (User-Agent) go with it. Transient failures are retried like API requests.
        """
        request = self._http.build_request("GET", url, headers={"Accept": "*/*"})
        request.headers.pop("X-GitHub-Api-Version", None)
        try:
            async for attempt in stamina.retry_context(
                on=(httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError),
                attempts=(policy or self._retry).attempts,
                timeout=(policy or self._retry).timeout,
                wait_initial=(policy or self._retry).wait_initial,
                wait_max=(policy or self._retry).wait_max,
                wait_jitter=(policy or self._retry).wait_jitter,
            ):
                with attempt:
                    return await self._download_once(request, max_bytes)
        except httpx.RequestError as exc:
            raise GitHubUnavailable(
                f"the log storage at {request.url.host} is unreachable: {type(exc).__name__} {exc}"
            ) from exc
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _download_once(self, request: httpx.Request, max_bytes: int) -> JobLog:
        response = await self._http.send(request, stream=True, follow_redirects=False)
        try:
            if response.status_code != 200:
                await response.aread()
                raise GitHubUnavailable(
                    f"the log storage at {request.url.host} answered {response.status_code}"
                )
            return await read_tail(response, max_bytes=max_bytes)
        finally:
            await response.aclose()

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


def decode(body: bytes, kind: type[T] | msgspec.json.Decoder[T], what: str) -> T:
    """Decode a JSON answer, turning an unexpected shape into ``GitHubUnavailable``."""
    try:
        if isinstance(kind, msgspec.json.Decoder):
            return kind.decode(body)
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError as exc:
        raise GitHubUnavailable(f"GitHub answered {what} with an unexpected body: {exc}") from exc
