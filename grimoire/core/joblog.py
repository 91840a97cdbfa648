"""A CI job log as lines: what runners add stripped, and where each command starts.

Runners decorate what the commands print. Cleaning removes it so that the errors read as the
tools printed them:

- line endings (``\\r\\n``, and a lone ``\\r``: progress bars and GitLab's section headers);
- ANSI colour and erase codes, and character-set selections (``tput sgr0``'s ``ESC ( B``);
- timestamps at the start of a line: GitHub Actions (``2024-05-01T10:00:00.1234567Z``), GitLab's
  timestamped logs (``… 00O``), Jenkins' Timestamper (``[2024-05-01T10:00:00.123Z]``);
- markers: GitHub Actions ``##[group]`` / ``##[endgroup]`` / ``##[error]`` / ``##[warning]``
  (https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions), GitLab
  ``section_start:`` / ``section_end:`` (https://docs.gitlab.com/ee/ci/jobs/#custom-collapsible-
  sections), Jenkins ``[Pipeline] …`` lines.

After a failure, runners run more: GitLab the job's ``after_script`` (its section's title,
``Running after_script``, is kept), Jenkins a pipeline's post actions (``[Pipeline] {
(Declarative: Post Actions)``, kept as ``(Declarative: Post Actions)``). ``after`` is the line
where that starts: what follows did not decide the job's status
(https://docs.gitlab.com/ee/ci/yaml/#after_script, https://www.jenkins.io/doc/book/pipeline/syntax/#post).

A command starts where the runner echoes it: ``##[group]Run CMD`` (written ``$ CMD``), GitLab's
``$ CMD``, and the ``+ CMD`` of ``sh -x`` (Jenkins' ``sh`` steps). Roles use these boundaries: an
error in a command the job went on from did not end the job.

All of it is a handful of whole-text regex passes, linear in the size of the log.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple

_NEWLINES = re.compile(r"\r\n?")
_ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[()*+][0-9A-Za-z]"
)
"""Colour and erase codes (CSI), titles and links (OSC), and character-set selections: ``tput
sgr0`` on xterm resets with ``ESC ( B`` before ``ESC [ m``."""
# Every line pattern starts with "\n" rather than "^" (MULTILINE): re then scans for the
# newline literal instead of trying the pattern at every offset, 10-20x faster on a big log.
_TIMESTAMP = re.compile(
    r"\n\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]? ?"
    r"(?:\d\d[OE]\+? )?"
)
_DROPPED = re.compile(
    r"\n(?:##\[endgroup\]|\[Pipeline\] [^\n]*|section_(?:start|end):\d+:[^\n]*)(?=\n|\Z)"
)
_MARKER = re.compile(r"\n##\[(?:group|error|warning|notice|debug|command|section)\]")
_COMMAND = re.compile(r"\n[$+]+ \S")
_POST_ACTIONS = "\n[Pipeline] { (Declarative: Post Actions)"
_AFTER = re.compile(r"\n(?:Running after_script|\(Declarative: Post Actions\))(?=\n)")


class JobLog(NamedTuple):
    """A cleaned log: its text, its lines, where each line starts in the text, the indexes
    of the lines where a command starts, and where the runner's after-failure steps start."""

    text: str
    lines: list[str]
    starts: list[int]
    commands: tuple[int, ...]
    after: int | None = None

    def command_of(self, line: int) -> int:
        """Return the index of the command line ``line`` belongs to (-1: before any command)."""
        at = bisect_right(self.commands, line) - 1
        return self.commands[at] if at >= 0 else -1

    def next_command(self, line: int) -> int | None:
        """Return the first command that starts after ``line``, if any."""
        at = bisect_right(self.commands, line)
        return self.commands[at] if at < len(self.commands) else None

    def line_at(self, offset: int) -> int:
        """Return the index of the line holding character ``offset`` of ``text``."""
        return bisect_right(self.starts, offset) - 1


def clean_log(text: str) -> str:
    """Strip what runners add (ANSI codes, timestamps, markers); normalise line endings."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = _TIMESTAMP.sub("\n", "\n" + text)
    if "##[" in text or "[Pipeline] " in text or "section_" in text:
        text = text.replace("\n##[group]Run ", "\n$ ")
        text = text.replace(_POST_ACTIONS, "\n(Declarative: Post Actions)")
        text = _DROPPED.sub("", text)
        text = _MARKER.sub("\n", text)
    return text[1:]


def read_job_log(text: str) -> JobLog:
    """Clean a log and find where its commands start."""
    cleaned = clean_log(text)
    lines = cleaned.split("\n")
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    job = JobLog(cleaned, lines, starts, ())
    commands = tuple(job.line_at(m.start()) for m in _COMMAND.finditer("\n" + cleaned))
    after = _AFTER.search("\n" + cleaned)
    return job._replace(commands=commands, after=job.line_at(after.start()) if after else None)
