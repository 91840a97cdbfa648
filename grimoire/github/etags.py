"""Conditional reads: remember a GET's ETag and answer, and ask GitHub only whether it changed.

Grimoire reads some resources again and again: the pull request's comments (to find the sticky
one), the check runs of a head, the pull request itself. Sent with ``If-None-Match``, such a read
comes back ``304 Not Modified`` when nothing changed, and a 304 does not count against the rate
limit:
https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate

The cache is per process and bounded in bytes (least recently used out first). A key holds the
identity the request was sent as, because the same URL answers differently to different
credentials; a token is kept only as a digest.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import httpx

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
"""All remembered bodies together: a few hundred comment pages and check run lists."""
MAX_BODY_BYTES = 256 * 1024
"""A bigger answer is not remembered (it would push everything else out)."""

CacheKey = tuple[str, str, tuple[tuple[str, str], ...], str]
"""(identity, URL, query parameters, Accept)."""


@dataclass(frozen=True, slots=True)
class Remembered:
    """A successful answer: its ETag, body, and the headers a caller reads (pagination)."""

    etag: str
    body: bytes
    headers: tuple[tuple[str, str], ...]

    def replay(self, request: httpx.Request) -> httpx.Response:
        """The remembered answer, as a 200 to ``request`` (for a 304 that confirmed it)."""
        return httpx.Response(200, headers=list(self.headers), content=self.body, request=request)


# What a caller reads from a remembered answer besides the body.
_KEPT_HEADERS = ("content-type", "link")


def identity(authorization: str | None, installation: object | None = None) -> str:
    """Name who a request is sent as: an App installation, a token (by digest), or nobody."""
    if installation is not None:
        return f"installation:{installation}"
    if authorization is None:
        return "anonymous"
    return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]


def cache_key(who: str, url: str, params: dict[str, str] | None, accept: str) -> CacheKey:
    """The key of a GET: who asks, for what, in which representation."""
    return who, url, tuple(sorted((params or {}).items())), accept


class ETagCache:
    """Remembered GET answers by key, at most ``max_bytes`` of bodies in all."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._entries: OrderedDict[CacheKey, Remembered] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> Remembered | None:
        """Return what is remembered for ``key``, marking it recently used."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def remember(self, key: CacheKey, response: httpx.Response, body: bytes) -> None:
        """Keep a 200 answer that carries an ETag; forget the key's old answer otherwise."""
        self._forget(key)
        etag = response.headers.get("etag")
        if response.status_code != 200 or not etag or len(body) > MAX_BODY_BYTES:
            return
        headers = tuple(
            (name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers
        )
        self._entries[key] = Remembered(etag, body, headers)
        self._bytes += len(body)
        while self._bytes > self._max_bytes:
            _, oldest = self._entries.popitem(last=False)
            self._bytes -= len(oldest.body)

    def _forget(self, key: CacheKey) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
