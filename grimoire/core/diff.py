"""Unified diffs as values: which files a change touches and the lines it adds and removes."""

from __future__ import annotations

from typing import Literal

import msgspec

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
    """One changed file. ``path`` is the new path (the old one for a deletion), unquoted UTF-8."""

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
