"""Unified diffs as values: which files a change touches and the lines it adds and removes.

``parse_diff`` reads ``git diff`` output (and GitHub's ``application/vnd.github.diff``, which
is the same format) the way git itself does. unidiff's ``PatchSet`` disagrees with git on
quoted paths, names holding `` b/``, copies, type changes, hunk-less entries and non-UTF-8
content, and raises on the first malformed hunk, so the reader here walks the lines itself,
ends every hunk by its ``@@`` line counts (content that looks like a header stays content),
and reuses unidiff's hunk-header grammar and constants.

Paths and text are decoded as UTF-8 with invalid bytes replaced by U+FFFD: the result must stay
JSON-encodable and storable, which lone surrogates (``surrogateescape``) are not. The text is
split on ``\\n`` only, so a CR (CRLF or lone) stays part of its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
from unidiff.constants import DEV_NULL, RE_HUNK_HEADER

from grimoire.core.githeader import EXTENDED_HEADERS, GitHeader, unquote_side

ChangeType = Literal["added", "modified", "deleted", "renamed", "copied", "type_changed"]


class Line(msgspec.Struct, frozen=True):
    """One added line (numbered in the new file) or removed line (numbered in the old file)."""

    number: int
    text: str


class Hunk(msgspec.Struct, frozen=True, kw_only=True):
    """One ``@@`` hunk with its added and removed lines."""

    old_start: int
    old_length: int
    new_start: int
    new_length: int
    added: tuple[Line, ...] = ()
    removed: tuple[Line, ...] = ()


class FileChange(msgspec.Struct, frozen=True, kw_only=True):
    """One changed file. ``path`` is the new path (the old one for a deletion), unquoted UTF-8.

    ``old_path`` is set only for ``renamed`` and ``copied`` files (the source path) and is
    ``None`` otherwise. Modes are git's octal strings (``100644``, ``120000`` for a symlink,
    ``160000`` for a submodule) when the diff states them.
    """

    path: str
    old_path: str | None
    change_type: ChangeType
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    additions: int = 0
    deletions: int = 0
    hunks: tuple[Hunk, ...] = ()


class ParsedDiff(msgspec.Struct, frozen=True, kw_only=True):
    """The files a diff changes, and a clear message for each part that could not be parsed."""

    files: tuple[FileChange, ...]
    errors: tuple[str, ...] = ()


class FilePatch(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of GitHub's "list pull request files" answer (used when the diff is too large).

    ``status`` is GitHub's: added, removed, modified, renamed, copied, changed or unchanged.
    ``patch`` is absent for binary files and for files whose patch GitHub leaves out.
    """

    filename: str
    status: str
    previous_filename: str | None = None
    patch: str | None = None
    additions: int = 0
    deletions: int = 0


# Python refuses int() on numbers past 4300 digits; no real hunk needs more than this.
_MAX_COUNT_DIGITS = 12


def _hunk_counts(header: str) -> tuple[int, int, int, int] | None:
    match = RE_HUNK_HEADER.match(header)
    if match is None:
        return None
    groups: list[str] = [group or "1" for group in match.groups()[:4]]
    if any(len(group) > _MAX_COUNT_DIGITS for group in groups):
        return None
    old_start, old_length, new_start, new_length = (int(group) for group in groups)
    return old_start, old_length, new_start, new_length


def _read_hunk(
    lines: Sequence[str], start: int, *, where: str, errors: list[str]
) -> tuple[Hunk | None, int]:
    """Read the hunk whose ``@@`` line is ``lines[start]``; return it and the next position."""
    counts = _hunk_counts(lines[start])
    if counts is None:
        shown = lines[start][:80]
        errors.append(f"malformed hunk header in {where} at line {start + 1}: {shown!r}")
        return None, start + 1
    old_start, old_length, new_start, new_length = counts
    added, removed, context, pos = _hunk_body(lines, start + 1, counts)
    old_found, new_found = context + len(removed), context + len(added)
    if (old_found, new_found) != (old_length, new_length):
        errors.append(
            f"truncated hunk in {where} at line {start + 1}: expected {old_length} old and"
            f" {new_length} new lines, found {old_found} and {new_found}"
        )
    hunk = Hunk(
        old_start=old_start, old_length=old_length, new_start=new_start, new_length=new_length,
        added=tuple(added), removed=tuple(removed),
    )  # fmt: skip
    return hunk, pos


def _hunk_body(
    lines: Sequence[str], pos: int, counts: tuple[int, int, int, int]
) -> tuple[list[Line], list[Line], int, int]:
    """Read a hunk's lines from ``pos``; return the added, removed, context count, next pos."""
    old_no, old_length, new_no, new_length = counts
    old_end, new_end = old_no + old_length, new_no + new_length
    added: list[Line] = []
    removed: list[Line] = []
    context, stop = 0, len(lines)
    # The counts, not the look of a line, end the hunk: "+++ b/x" or "diff --git" inside it is
    # content, as it is to git-apply.
    while pos < stop and (old_no < old_end or new_no < new_end):
        line = lines[pos]
        tag = line[:1]
        if tag == "+" and new_no < new_end:
            added.append(Line(new_no, line[1:]))
            new_no += 1
        elif tag == "-" and old_no < old_end:
            removed.append(Line(old_no, line[1:]))
            old_no += 1
        elif (tag == " " or not line) and old_no < old_end and new_no < new_end:
            # An empty line is a context line whose trailing space a mailer or editor dropped.
            old_no, new_no, context = old_no + 1, new_no + 1, context + 1
        elif tag != "\\":
            break
        pos += 1
    while pos < stop and lines[pos][:1] == "\\":
        pos += 1  # "\\ No newline at end of file" after the hunk's last line
    return added, removed, context, pos


class _DiffReader:
    """Walks the lines of a diff once, collecting files and error messages."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0
        self.files: list[FileChange] = []
        self.errors: list[str] = []

    def run(self) -> None:
        lines, stop = self.lines, len(self.lines)
        while self.pos < stop:
            line = lines[self.pos]
            if line.startswith("diff --git "):
                self._git_file()
            elif self._plain_file_starts():
                self._plain_file()
            elif line.startswith(("diff --cc ", "diff --combined ")):
                self._skip_combined()
            else:
                if line.startswith("@@"):
                    self.errors.append(f"hunk outside any file at line {self.pos + 1}")
                # Anything else is preamble (a commit message, a mail header) git-apply skips.
                self.pos += 1

    def _plain_file_starts(self) -> bool:
        pair = self.lines[self.pos : self.pos + 2]
        return len(pair) == 2 and pair[0].startswith("--- ") and pair[1].startswith("+++ ")

    def _git_file(self) -> None:
        header = GitHeader(line_no=self.pos + 1)
        header.read_names(self.lines[self.pos][len("diff --git ") :])
        self.pos += 1
        while self.pos < len(self.lines) and self.lines[self.pos].startswith(EXTENDED_HEADERS):
            header.read_extended(self.lines[self.pos])
            self.pos += 1
        self._finish(header, self._file_body(header))

    def _plain_file(self) -> None:
        # Without a "diff --git" line, /dev/null is the only sign of an added or deleted file.
        header = GitHeader(line_no=self.pos + 1)
        minus, plus = self.lines[self.pos][4:], self.lines[self.pos + 1][4:]
        minus, plus = unquote_side(minus), unquote_side(plus)
        header.prefixed = minus.startswith(("a/", DEV_NULL)) and plus.startswith(("b/", DEV_NULL))
        if minus == DEV_NULL:
            header.kind = "added"
        elif plus == DEV_NULL:
            header.kind = "deleted"
        self._finish(header, self._file_body(header))

    def _file_body(self, header: GitHeader) -> list[Hunk]:
        line = self.lines[self.pos] if self.pos < len(self.lines) else ""
        if self._plain_file_starts():
            header.read_sides(line, self.lines[self.pos + 1])
            self.pos += 2
        elif line.startswith("Binary files ") and line.endswith(" differ"):
            header.binary = True
            self.pos += 1
        elif line == "GIT binary patch":
            header.binary = True
            self._skip_until_diff()
        return self._hunks(header)

    def _hunks(self, header: GitHeader) -> list[Hunk]:
        lines, stop, hunks = self.lines, len(self.lines), []
        while self.pos < stop and lines[self.pos].startswith("@@"):
            hunk, self.pos = _read_hunk(lines, self.pos, where=header.where, errors=self.errors)
            if hunk is not None:
                hunks.append(hunk)
            if self._overlong_hunk():
                self.errors.append(
                    f"hunk in {header.where} has more lines than its header says,"
                    f" at line {self.pos + 1}"
                )
            while self._overlong_hunk():
                self.pos += 1  # so that the file's next hunk is still read as its own
        return hunks

    def _overlong_hunk(self) -> bool:
        # After a complete hunk only another hunk, file or trailer may follow; a content line
        # means the header undercounted. "-- " opens format-patch's signature.
        line = self.lines[self.pos] if self.pos < len(self.lines) else ""
        return line[:1] in ("+", "-", " ") and line != "-- " and not self._plain_file_starts()

    def _skip_until_diff(self) -> None:
        # Base85 lines hold no spaces, so none of them can pass for "diff --git ".
        self.pos += 1
        while self.pos < len(self.lines) and not self.lines[self.pos].startswith("diff "):
            self.pos += 1

    def _skip_combined(self) -> None:
        self.errors.append(f"combined (merge) diff at line {self.pos + 1} is not supported")
        self._skip_until_diff()

    def _finish(self, header: GitHeader, hunks: list[Hunk]) -> None:
        change = _file_change(header, hunks)
        if change is None:
            self.errors.append(f"could not read the path of the file at line {header.line_no}")
        else:
            self.files.append(change)


def _file_change(header: GitHeader, hunks: list[Hunk]) -> FileChange | None:
    old, new, kind = header.old_name, header.new_name, header.kind
    path = (old or new) if kind == "deleted" else (new or old)
    if not path:
        return None
    return FileChange(
        path=path,
        old_path=old if kind in ("renamed", "copied") else None,
        change_type=kind,
        binary=header.binary,
        old_mode=None if kind == "added" else header.old_mode or header.index_mode,
        new_mode=None if kind == "deleted" else header.new_mode or header.index_mode,
        additions=sum(len(hunk.added) for hunk in hunks),
        deletions=sum(len(hunk.removed) for hunk in hunks),
        hunks=tuple(hunks),
    )


def _mode_kind(mode: str | None) -> str | None:
    # The file-type bits of a git mode: 100 regular file, 120 symlink, 160 submodule.
    return mode[:-3] if mode else None


def _merge_type_changes(files: list[FileChange]) -> list[FileChange]:
    # git prints a type change (file <-> symlink <-> submodule) as a deletion followed by a
    # creation of the same path; --name-status calls it one "T" entry, and so do we.
    merged: list[FileChange] = []
    for change in files:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.change_type == "deleted"
            and change.change_type == "added"
            and previous.path == change.path
            and _mode_kind(previous.old_mode) != _mode_kind(change.new_mode)
        ):
            merged[-1] = FileChange(
                path=change.path,
                old_path=None,
                change_type="type_changed",
                binary=previous.binary or change.binary,
                old_mode=previous.old_mode,
                new_mode=change.new_mode,
                # Summed, not taken one from each side: a malformed "creation" may carry
                # removed lines too, and the counts must still equal the hunks' lines.
                additions=previous.additions + change.additions,
                deletions=previous.deletions + change.deletions,
                hunks=previous.hunks + change.hunks,
            )
        else:
            merged.append(change)
    return merged


def parse_diff(data: bytes | str) -> ParsedDiff:
    """Parse ``git diff`` output into the files it changes; never raise on malformed input."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    reader = _DiffReader(lines)
    reader.run()
    return ParsedDiff(files=tuple(_merge_type_changes(reader.files)), errors=tuple(reader.errors))


# https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files ("changed" is git's
# type change; "unchanged" files carry no lines).
_GITHUB_STATUSES: dict[str, ChangeType] = {
    "added": "added",
    "removed": "deleted",
    "modified": "modified",
    "renamed": "renamed",
    "copied": "copied",
    "changed": "type_changed",
    "unchanged": "modified",
}


def parse_file_patches(files: Sequence[FilePatch]) -> ParsedDiff:
    """Build the parsed diff from GitHub's "list pull request files" entries."""
    errors: list[str] = []
    changes = tuple(_patch_change(entry, errors) for entry in files)
    return ParsedDiff(files=changes, errors=tuple(errors))


def _patch_change(entry: FilePatch, errors: list[str]) -> FileChange:
    change_type = _GITHUB_STATUSES.get(entry.status)
    if change_type is None:
        errors.append(f"unknown GitHub file status {entry.status!r} for {entry.filename}")
        change_type = "modified"
    hunks = _patch_hunks(entry, errors)
    additions = sum(len(hunk.added) for hunk in hunks)
    deletions = sum(len(hunk.removed) for hunk in hunks)
    if entry.patch is None:
        additions, deletions = entry.additions, entry.deletions
    elif (additions, deletions) != (entry.additions, entry.deletions):
        errors.append(
            f"GitHub counts +{entry.additions} -{entry.deletions} for {entry.filename}"
            f" but its patch holds +{additions} -{deletions}"
        )
    return FileChange(
        path=entry.filename,
        old_path=entry.previous_filename if change_type in ("renamed", "copied") else None,
        change_type=change_type,
        additions=additions,
        deletions=deletions,
        hunks=hunks,
    )


def _patch_hunks(entry: FilePatch, errors: list[str]) -> tuple[Hunk, ...]:
    if entry.patch is None:
        # Nothing is missing from a pure rename or copy; anything else had lines GitHub kept.
        nothing_missing = entry.status in ("renamed", "copied", "unchanged")
        if not nothing_missing or entry.additions or entry.deletions:
            errors.append(
                f"GitHub sent no patch for {entry.filename} (binary, empty or too large);"
                " its lines are not analysed"
            )
        return ()
    lines = entry.patch.split("\n")
    hunks: list[Hunk] = []
    pos = 0
    while pos < len(lines):
        if not lines[pos].startswith("@@"):
            pos += 1
            continue
        hunk, pos = _read_hunk(lines, pos, where=entry.filename, errors=errors)
        if hunk is not None:
            hunks.append(hunk)
    return tuple(hunks)
