"""Which of the App's failed webhook deliveries to ask GitHub to send again (pure).

GitHub never redelivers on its own. It lists every attempt it made to deliver a webhook; a
redelivery is listed as one more attempt with the same ``guid`` (the ``X-GitHub-Delivery``
Grimoire stores as a delivery's id) and ``redelivery: true``.
https://docs.github.com/en/rest/apps/webhooks#list-deliveries-for-an-app-webhook
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import datetime

import msgspec

MAX_REDELIVERIES = 3
"""Redeliveries asked for one guid before giving up: a delivery Grimoire refuses for good (a bad
signature, a malformed payload) would otherwise be asked for again on every run."""


class HookDelivery(msgspec.Struct, frozen=True):
    """One attempt GitHub made to deliver a webhook to the App (other fields are ignored)."""

    id: int
    guid: str
    delivered_at: datetime
    status_code: int
    status: str = ""
    redelivery: bool = False
    event: str = ""
    action: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether Grimoire answered 2xx (``status_code`` is 0 when it never answered)."""
        return 200 <= self.status_code < 300


def to_redeliver(
    attempts: Iterable[HookDelivery], *, stored: Set[str], since: datetime
) -> list[HookDelivery]:
    """Return, per guid, the newest failed attempt to redeliver, oldest guid first.

    A guid is left alone when Grimoire stored it (it got the payload, whatever it answered),
    when any attempt at it succeeded (a redelivery asked for earlier included: asking again
    would be a duplicate), when none of its attempts falls within ``since``, or when it was
    redelivered ``MAX_REDELIVERIES`` times already and still failed.
    """
    by_guid: dict[str, list[HookDelivery]] = {}
    for attempt in attempts:
        if attempt.delivered_at >= since:
            by_guid.setdefault(attempt.guid, []).append(attempt)
    chosen = [
        max(tries, key=lambda t: (t.delivered_at, t.id))
        for guid, tries in by_guid.items()
        if guid not in stored
        and not any(t.succeeded for t in tries)
        and sum(t.redelivery for t in tries) < MAX_REDELIVERIES
    ]
    return sorted(chosen, key=lambda t: (t.delivered_at, t.id))
