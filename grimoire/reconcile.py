"""``grimoire reconcile``: ask GitHub to redeliver the App's webhooks Grimoire never stored.

GitHub does not redeliver a failed webhook on its own (a deploy, an outage, a 5xx): the App's
delivery log says which attempts failed, the deliveries table says which guids Grimoire has.
Run from the command line or, with ``RECONCILE_EVERY``, on a schedule inside the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grimoire.core.reconcile import HookDelivery, to_redeliver
from grimoire.errors import GitHubError
from grimoire.github.client import GitHubClient
from grimoire.storage.deliveries import stored_ids

log = logging.getLogger(__name__)

DEFAULT_SINCE = timedelta(days=3)
# GitHub keeps the delivery log for a limited time; more attempts than this in one run would
# mean something else is wrong, so a run asks for at most this many and says so.
MAX_PER_RUN = 1000


class Reconciled(msgspec.Struct, frozen=True):
    """What one run saw and did."""

    listed: int
    redelivered: list[HookDelivery]
    refused: list[str]  # one line per redelivery GitHub refused

    def summary(self) -> str:
        """One line for a human or a log."""
        line = f"{self.listed} delivery attempts checked, {len(self.redelivered)} redelivered"
        return line + (f", {len(self.refused)} refused" if self.refused else "")


async def reconcile(
    github: GitHubClient,
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    since: timedelta = DEFAULT_SINCE,
) -> Reconciled:
    """Redeliver every failed attempt within ``since`` whose guid is not stored."""
    window = now - since
    attempts = await github.hook_deliveries.since(window)
    async with sessions() as session:
        stored = await stored_ids(session, (a.guid for a in attempts))
    chosen = to_redeliver(attempts, stored=stored, since=window)[:MAX_PER_RUN]
    done: list[HookDelivery] = []
    refused: list[str] = []
    for attempt in chosen:
        try:
            await github.hook_deliveries.redeliver(attempt.id)
        except GitHubError as exc:  # one refusal (e.g. too old to redeliver) must not stop the rest
            refused.append(f"{attempt.guid}: {exc}")
            continue
        log.info("asked GitHub to redeliver %s (%s)", attempt.guid, attempt.event)
        done.append(attempt)
    return Reconciled(listed=len(attempts), redelivered=done, refused=refused)


async def reconcile_every(
    every: timedelta,
    github: GitHubClient,
    sessions: async_sessionmaker[AsyncSession],
    *,
    stop: asyncio.Event,
) -> None:
    """Reconcile at once, then every ``every``, until ``stop`` is set; failures are logged."""
    # Look back over two periods so a run that failed or was late leaves no gap.
    since = max(DEFAULT_SINCE, 2 * every)
    while not stop.is_set():
        try:
            result = await reconcile(github, sessions, now=datetime.now(UTC), since=since)
            log.info("reconcile: %s", result.summary())
        except Exception as exc:  # GitHub or the database is down: try again next period
            log.warning("reconcile failed: %s: %s", type(exc).__name__, exc)
        with contextlib.suppress(TimeoutError):  # the period ended without a stop
            await asyncio.wait_for(stop.wait(), every.total_seconds())
