"""Sources, and the event table that dispatches each delivery to the one that reads it.

The role of gidgethub's ``routing.Router``: each source names the ``(event, action)`` pairs it
handles, and registering it is one line in ``SOURCES``. Intake queues exactly the pairs in the
table (``grimoire.core.intake``); the worker runs each job with the source the table names.
How to add one: docs/extending.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from grimoire.errors import UnusableJob
from grimoire.sources import ci_run, pull_diff
from grimoire.sources.base import PullJob, Reading, RunSource, Source
from grimoire.storage.deliveries import Job

__all__ = [
    "EVENT_TABLE",
    "SOURCES",
    "AnySource",
    "PullJob",
    "Reading",
    "RunSource",
    "Source",
    "source_for",
]

AnySource = Source | RunSource

SOURCES: tuple[AnySource, ...] = (
    pull_diff.SOURCE,  # pull_request opened, reopened, synchronize, ready_for_review
    ci_run.SOURCE,  # workflow_run and check_run completed (failures; successes that resolve)
)


def build_event_table(sources: Iterable[AnySource]) -> Mapping[tuple[str, str], AnySource]:
    """Map each ``(event, action)`` to its source; a pair claimed twice is a programming error."""
    table: dict[tuple[str, str], AnySource] = {}
    for source in sources:
        for key in sorted(source.events):
            if key in table:
                raise ValueError(f"{key} is handled by both {table[key].name} and {source.name}")
            table[key] = source
    return table


EVENT_TABLE = build_event_table(SOURCES)


def source_for(job: Job) -> AnySource:
    """Return the source that handles a claimed job, or raise ``UnusableJob``."""
    source = EVENT_TABLE.get((job.event, job.action or ""))
    if source is None:
        raise UnusableJob(f"delivery {job.id}: no source reads {job.event} {job.action}")
    return source
