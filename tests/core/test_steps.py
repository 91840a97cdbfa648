"""The failed step's lines, by the step's time window."""

from __future__ import annotations

from datetime import UTC, datetime

from grimoire.core.steps import step_section

LOG = """\
2024-05-01T12:00:00.1000000Z ##[group]Run actions/checkout@v4
2024-05-01T12:00:01.0000000Z Syncing repository
2024-05-01T12:00:05.2000000Z ##[group]Run pytest -q
2024-05-01T12:00:09.9000000Z E   KeyError: 'user'
a continuation line without a stamp
2024-05-01T12:00:10.0000000Z ##[error]Process completed with exit code 1.
2024-05-01T12:00:11.0000000Z Post job cleanup.
2024-05-01T12:00:11.5000000Z fatal: not a git repository
"""


def at(second: int) -> datetime:
    return datetime(2024, 5, 1, 12, 0, second, tzinfo=UTC)


def test_the_step_window_keeps_its_lines_and_their_continuations() -> None:
    section = step_section(LOG, started_at=at(5), completed_at=at(10))
    assert section is not None
    assert section.splitlines() == LOG.splitlines()[2:6]


def test_a_window_with_no_stamped_line_in_it_finds_nothing() -> None:
    assert step_section(LOG, started_at=at(30), completed_at=at(40)) is None
    assert step_section("no stamps at all\n", started_at=at(0), completed_at=None) is None


def test_a_step_still_running_reaches_the_end() -> None:
    section = step_section(LOG, started_at=at(11), completed_at=None)
    assert section is not None and section.endswith("fatal: not a git repository\n")
