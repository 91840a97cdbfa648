"""Per-client rate limiting of /api/* (``API_RATE_LIMIT``), with the ``limits`` library.

A client is its API token when it sends the right one (or any, with API_TOKEN unset), else its
address: clients behind one address share a budget until they authenticate, and a caller
cannot escape the limit by inventing tokens. Tokens are hashed before they become keys, so no
store holds one. /webhook is never limited here: GitHub does not retry a refused delivery.

Counts live in ``API_RATE_LIMIT_STORAGE``: ``memory://`` is per process (with ``--workers N``
each process allows the limit), ``redis://…`` shares them between processes and hosts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.requests import Request

from grimoire.errors import RateLimited
from grimoire.resources import resources
from grimoire.web.auth import bearer_token


@dataclass(frozen=True)
class ApiRateLimit:
    """The configured limits and the moving-window limiter that enforces them."""

    text: str
    items: tuple[RateLimitItem, ...]
    storage: Storage
    limiter: MovingWindowRateLimiter

    @classmethod
    def build(cls, text: str, storage_uri: str = "memory://") -> ApiRateLimit:
        """Parse ``text`` (``100/second``, or several separated by ``;``) over a storage."""
        storage = storage_from_string(f"async+{storage_uri}")
        assert isinstance(storage, Storage)
        return cls(text, tuple(parse_many(text)), storage, MovingWindowRateLimiter(storage))

    async def check(self, client: str) -> None:
        """Count one request of ``client``; raise ``RateLimited`` past any limit."""
        for item in self.items:
            if not await self.limiter.hit(item, client):
                stats = await self.limiter.get_window_stats(item, client)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(self.text, retry_after)

    async def close(self) -> None:
        """Stop the memory storage's expiry task (other storages hold connections we leave)."""
        if isinstance(self.storage, MemoryStorage) and self.storage.timer is not None:
            self.storage.timer.cancel()


async def limit_rate(request: Request) -> None:
    """Raise ``RateLimited`` if this request's client is over API_RATE_LIMIT (if set)."""
    res = resources(request)
    if res.rate_limit is not None:
        await res.rate_limit.check(client_key(request, res.settings.api_token))


def client_key(request: Request, api_token: str | None) -> str:
    """Return who is asking: ``token:<hash>`` for a valid token, else ``addr:<address>``."""
    token = bearer_token(request)
    if token is not None and (
        api_token is None
        or hmac.compare_digest(token.encode("utf-8", "surrogateescape"), api_token.encode())
    ):
        return "token:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return "addr:" + (request.client.host if request.client else "unknown")
