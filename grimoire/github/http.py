"""The one ``httpx.AsyncClient`` Grimoire talks to the GitHub REST API through.

The app lifespan builds it with :func:`create_http_client`, hands it to ``GitHubClient`` and closes
it on shutdown. Everything that is the same for every request lives here: the base URL (github.com
or a GitHub Enterprise Server ``https://HOST/api/v3``), the media type, the pinned API version, the
User-Agent GitHub requires, timeouts and connection limits. Authentication is per request (it
depends on the App installation), so it is not here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from grimoire import __version__

ResponseHook = Callable[[httpx.Response], Awaitable[None]]

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = f"grimoire-engine/{__version__}"

# https://docs.github.com/en/rest/about-the-rest-api/api-versions: pin the version so a new
# default cannot change response shapes under us.
API_VERSION = "2022-11-28"
JSON_MEDIA_TYPE = "application/vnd.github+json"

# Reading a large diff can take a while; connecting should not. The pool timeout bounds how long a
# request waits for a free connection when many jobs run at once.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30)


def create_http_client(
    *,
    base_url: str = DEFAULT_API_URL,
    user_agent: str = USER_AGENT,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    limits: httpx.Limits = DEFAULT_LIMITS,
    transport: httpx.AsyncBaseTransport | None = None,
    on_response: ResponseHook | None = None,
) -> httpx.AsyncClient:
    """Build the HTTP client for the GitHub REST API at ``base_url`` (the caller closes it).

    ``base_url`` may carry a path prefix (GitHub Enterprise Server's ``/api/v3``): request paths
    are appended to it, never resolved against the host root. ``on_response`` sees every
    response (the metrics count them).
    """
    return httpx.AsyncClient(
        base_url=normalize_base_url(base_url),
        headers={
            "Accept": JSON_MEDIA_TYPE,
            "X-GitHub-Api-Version": API_VERSION,
            # https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
            # GitHub refuses requests without a User-Agent.
            "User-Agent": user_agent,
        },
        timeout=timeout,
        limits=limits,
        # GitHub answers 301/307 for renamed or transferred repositories
        # (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#follow-redirects).
        # httpx drops the Authorization header when a redirect leaves the origin.
        follow_redirects=True,
        transport=transport,
        event_hooks={"response": [on_response]} if on_response else None,
    )


def normalize_base_url(base_url: str) -> str:
    """Return ``base_url`` with exactly one trailing slash, refusing anything but http(s) URLs."""
    url = httpx.URL(base_url.strip())
    if url.scheme not in {"http", "https"} or not url.host:
        raise ValueError(f"GITHUB_API_URL must be an http(s) URL with a host, not {base_url!r}")
    if url.query or url.fragment:
        raise ValueError(f"GITHUB_API_URL must not have a query or fragment: {base_url!r}")
    # httpx appends request paths to the base URL's path only when it ends in "/": make that
    # explicit so "https://ghe.example.com/api/v3" and ".../api/v3/" behave the same.
    return str(url.copy_with(path=url.path.rstrip("/") + "/"))
