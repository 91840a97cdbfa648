"""Content-creating requests to one installation go one at a time, spaced apart.

https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#avoid-concurrent-requests
asks integrations to make requests serially and to "wait at least one second between each" POST,
PATCH, PUT or DELETE, to stay clear of the secondary rate limits. ``WritePacer`` keeps one lane per
installation (or per token): a lock plus the time the last write finished.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager

# https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
DEFAULT_WRITE_SPACING = 1.0


class _Lane:
    __slots__ = ("last_write", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last_write = float("-inf")


class WritePacer:
    """Serialize writes per key and keep at least ``spacing`` seconds between them."""

    def __init__(
        self,
        *,
        spacing: float = DEFAULT_WRITE_SPACING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if spacing < 0:
            raise ValueError("write spacing must be zero or more seconds")
        self.spacing = spacing
        self._clock = clock
        self._lanes: dict[Hashable, _Lane] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        """Wait for this key's turn to write; the write happens inside the ``async with``."""
        lane = self._lanes.setdefault(key, _Lane())
        async with lane.lock:
            wait = lane.last_write + self.spacing - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                lane.last_write = self._clock()
