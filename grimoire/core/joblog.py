"""A CI job log as lines: what runners add stripped, and where each command starts.

Runners decorate what the commands print. Cleaning removes it so that the errors read as the
tools printed them:

- line endings (``\\r\\n``, and a lone ``\\r``: progress bars and GitLab's section headers);
- ANSI colour and erase codes;
- timestamps at the start of a line: GitHub Actions (``2024-05-01T10:00:00.1234567Z``), GitLab's
  timestamped logs (``… 00O``), Jenkins' Timestamper (``[2024-05-01T10:00:00.123Z]``);
- markers: GitHub Actions ``##[group]`` / ``##[endgroup]`` / ``##[error]`` / ``##[warning]``
  (https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions), GitLab
  ``section_start:`` / ``section_end:`` (https://docs.gitlab.com/ee/ci/jobs/#custom-collapsible-
  sections), Jenkins ``[Pipeline] …`` lines.

A command starts where the runner echoes it: ``##[group]Run CMD`` (written ``$ CMD``), GitLab's
``$ CMD``, and the ``+ CMD`` of ``sh -x`` (Jenkins' ``sh`` steps). Roles use these boundaries: an
error in a command the job went on from did not end the job.

All of it is a handful of whole-text regex passes, linear in the size of the log.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

_NEWLINES = re.compile(r"\r\n?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?")
_TIMESTAMP = re.compile(
    r"^\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]? ?"
    r"(?:\d\d[OE]\+? )?",
    re.MULTILINE,
)
_DROPPED = re.compile(
    r"^(?:##\[endgroup\]|\[Pipeline\] .*|section_(?:start|end):\d+:[^\n]*)(?:\n|\Z)", re.MULTILINE
)
_RUN = re.compile(r"^##\[group\]Run ", re.MULTILINE)
_MARKER = re.compile(r"^##\[(?:group|error|warning|notice|debug|command|section)\]", re.MULTILINE)
_COMMAND = re.compile(r"^[$+]+ \S", re.MULTILINE)


class JobLog(NamedTuple):
    """A cleaned log: its lines, and the indexes of the lines where a command starts."""

    lines: list[str]
    commands: tuple[int, ...]

    def command_of(self, line: int) -> int:
        """Return the index of the command line ``line`` belongs to (-1: before any command)."""
        at = bisect_right(self.commands, line) - 1
        return self.commands[at] if at >= 0 else -1

    def next_command(self, line: int) -> int | None:
        """Return the first command that starts after ``line``, if any."""
        at = bisect_right(self.commands, line)
        return self.commands[at] if at < len(self.commands) else None


def clean_log(text: str) -> str:
    """Strip what runners add (ANSI codes, timestamps, markers); normalise line endings."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = _TIMESTAMP.sub("", text)
    if "##[" in text:
        text = _RUN.sub("$ ", text)
    if "##[" in text or "[Pipeline] " in text or "section_" in text:
        text = _DROPPED.sub("", text)
        text = _MARKER.sub("", text)
    return text


def read_job_log(text: str) -> JobLog:
    """Clean a log and find where its commands start."""
    cleaned = clean_log(text)
    lines = cleaned.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    commands = tuple(bisect_right(starts, m.start()) - 1 for m in _COMMAND.finditer(cleaned))
    return JobLog(lines, commands)
