"""What every source shares: the ``Source`` protocol, the typed job it runs, what it read.

A source is what a job reads: today a pull request's diff, next a failed CI job's log. It turns a
claimed delivery into a typed job whose fields are set where the source needs them (or raises
``UnusableJob``, final: running it again cannot help), reads texts through GitHub, and finds the
errors in them. The pipeline (``grimoire.pipeline``) runs every source the same way; the event
table in ``grimoire.sources`` says which ``(event, action)`` each one handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from grimoire.core.diff import FileChange
from grimoire.core.findings import Finding
from grimoire.core.matching import Spellbook
from grimoire.errors import UnusableJob
from grimoire.github.client import GitHubClient
from grimoire.storage.deliveries import Job

if TYPE_CHECKING:
    from grimoire.resources import Resources


@dataclass(frozen=True)
class PullJob:
    """A job about one head of a pull request: where its analysis is stored and reported."""

    id: str
    repository: str
    pr_number: int
    head_sha: str
    base_sha: str | None
    installation_id: int | None
    attempts: int
    received_at: datetime


@dataclass(frozen=True)
class Reading:
    """The texts a source read, as changed files; what could not be read; how it was read."""

    files: tuple[FileChange, ...]
    problems: tuple[str, ...]
    how: str


class Source(Protocol):
    """Something a job reads: a typed job from a delivery, texts through GitHub, errors in them."""

    @property
    def name(self) -> str:
        """A short name for logs and the event table."""

    @property
    def events(self) -> frozenset[tuple[str, str]]:
        """The ``(event, action)`` pairs this source handles (each belongs to one source)."""

    def job(self, claimed: Job) -> PullJob:
        """Return the typed job, or raise ``UnusableJob`` if the delivery lacks what it needs."""

    async def read(self, github: GitHubClient, job: PullJob) -> Reading:
        """Fetch and parse the texts the job is about."""

    def find(self, reading: Reading, book: Spellbook) -> tuple[list[Finding], bool]:
        """Return the findings in what was read, and whether the cap cut some off (pure)."""


@runtime_checkable
class RunSource(Protocol):
    """A source that runs its whole job itself: what it reads is not one pull request head.

    A failed CI run may belong to several pull requests, to none (a fork's, found by its commit)
    or to the default branch; it is stored as a CI analysis and reported on each of its pull
    requests. The pipeline hands such a source the claimed job.
    """

    @property
    def name(self) -> str:
        """A short name for logs and the event table."""

    @property
    def events(self) -> frozenset[tuple[str, str]]:
        """The ``(event, action)`` pairs this source handles (each belongs to one source)."""

    async def run(self, res: Resources, claimed: Job) -> None:
        """Read, analyse, store and report what the delivery is about."""


def pull_job(claimed: Job) -> PullJob:
    """Return the claimed job with its pull request's fields, or raise ``UnusableJob``."""
    if claimed.repository is None or claimed.pr_number is None or claimed.head_sha is None:
        raise UnusableJob(f"delivery {claimed.id} ({claimed.event}) names no pull request head")
    return PullJob(
        id=claimed.id,
        repository=claimed.repository,
        pr_number=claimed.pr_number,
        head_sha=claimed.head_sha,
        base_sha=claimed.base_sha,
        installation_id=claimed.installation_id,
        attempts=claimed.attempts,
        received_at=claimed.received_at,
    )
