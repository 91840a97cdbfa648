"""The failed step's part of a GitHub Actions job log, found by the step's start and end times.

A job's log is every step's output in one text, each line stamped with its time
(``2024-05-01T12:00:00.1234567Z …``); the jobs API gives each step's ``started_at`` and
``completed_at`` to the second. The lines stamped inside the failed step's window are that step's
output — setup before it and post-job cleanup after it drop out, so an error in a cleanup step is
never taken for the failure.
https://docs.github.com/en/rest/actions/workflow-jobs#get-a-job-for-a-workflow-run
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def step_section(text: str, *, started_at: datetime, completed_at: datetime | None) -> str | None:
    """Return the lines of ``text`` stamped within the step's window, or None if there are none.

    A line without a stamp (a continuation) goes with the line before it. Stamps are compared as
    ISO strings to the second, which orders them as times (GitHub writes them in UTC).
    """
    start = _second(started_at)
    end = _second(completed_at) if completed_at is not None else "9999"
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        stamp = _STAMP.match(line)
        if stamp is not None:
            inside = start <= stamp.group() <= end
        if inside:
            kept.append(line)
    return "".join(kept) if kept else None


def _second(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
