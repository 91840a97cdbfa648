"""Channels: where a pull request shows an analysis. Registering one is one line in ``CHANNELS``.

The enabled channels are those of ``CHANNELS`` the settings turn on (``REPORT_MODE``: comment,
check, both or none; see ``Settings.report_channels``), in the order listed here: the check run
before the comment, so that a comment's failure never leaves the run in progress.
How to add one: docs/extending.md.
"""

from __future__ import annotations

from grimoire.channels import check_run, comment
from grimoire.channels.base import Channel, report_context
from grimoire.config import Settings

__all__ = ["CHANNELS", "Channel", "enabled_channels", "report_context"]

CHANNELS: tuple[Channel, ...] = (
    check_run.CHANNEL,  # REPORT_MODE check or both
    comment.CHANNEL,  # REPORT_MODE comment or both
)


def enabled_channels(settings: Settings) -> tuple[Channel, ...]:
    """Return the channels that report, in order."""
    return tuple(channel for channel in CHANNELS if channel.enabled(settings))
