"""The App's webhook deliveries: list them, and ask GitHub to send one again.

Both endpoints authenticate as the App itself (its JWT), not as an installation:
https://docs.github.com/en/rest/apps/webhooks

- ``GET /app/hook/deliveries`` lists attempts newest first, paginated by a ``cursor`` that the
  ``Link: rel="next"`` header carries
  (https://docs.github.com/en/rest/apps/webhooks#list-deliveries-for-an-app-webhook);
- ``POST /app/hook/deliveries/{delivery_id}/attempts`` queues a redelivery and answers 202
  (https://docs.github.com/en/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from grimoire.core.reconcile import HookDelivery
from grimoire.github.requester import PER_PAGE, Requester, decode
from grimoire.github.responses import describe

# 100 pages of 100: ten thousand attempts, far more than a few days of one App's webhooks.
MAX_PAGES = 100
_PAGE = msgspec.json.Decoder(list[HookDelivery])


class HookDeliveries:
    """The App webhook's delivery log on GitHub, over the client's ``Requester``."""

    def __init__(self, api: Requester) -> None:
        self._api = api

    async def since(self, since: datetime, *, max_pages: int = MAX_PAGES) -> list[HookDelivery]:
        """Return every attempt delivered at or after ``since`` (pages stop once past it)."""
        attempts: list[HookDelivery] = []
        url: str | None = "app/hook/deliveries"
        params: dict[str, str] | None = {"per_page": str(PER_PAGE)}
        for _ in range(max_pages):
            if url is None:
                break
            response, body = await self._api.as_app("GET", url, params=params)
            page = decode(body, _PAGE, describe(response))
            attempts.extend(a for a in page if a.delivered_at >= since)
            # Newest first: a page reaching back past the window ends the walk.
            if not page or min(a.delivered_at for a in page) < since:
                break
            url, params = self._api.next_page(response), None  # the link carries the cursor
        return attempts

    async def redeliver(self, delivery_id: int) -> None:
        """Ask GitHub to deliver attempt ``delivery_id``'s payload again."""
        await self._api.as_app("POST", f"app/hook/deliveries/{delivery_id}/attempts")
