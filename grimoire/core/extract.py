"""Errors found in a pull request's added lines or in a CI log, as payloads ready to rank.

Two sources, merged:

1. lines a spell's pattern matches: the spell's error type, the line as message;
2. error signatures (``signatures``): tracebacks, exception lines, compiler and runtime errors,
   CI failures, with their message and stack trace. In a diff, only in log and output files
   (``paths.is_output_file``): in source code, error-looking text is a message or a docstring.

A pattern hit on a line that a signature covers is merged into the signature (its stack trace
holds the line, so ranking finds the hit again). In a diff there is one payload per error
location (path and new-file line); in a log, one per distinct (error type, message). Context is
the location (``path:line``, diffs only) and up to ``CONTEXT_BEFORE`` / ``CONTEXT_AFTER`` lines
around the error; the stack trace is every line the signature covers.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import re2

from grimoire.core.diff import FileChange
from grimoire.core.joblog import clean_log
from grimoire.core.matching import Spellbook
from grimoire.core.paths import applies, is_output_file
from grimoire.core.payload import ErrorPayload
from grimoire.core.regexsets import compile_line_pattern, utf8
from grimoire.core.signatures import Signature, find_signatures, line_starts

CONTEXT_BEFORE = 4
CONTEXT_AFTER = 2
MAX_HITS_PER_SPELL = 3
"""Lines located per matching spell: a pattern that matches 5,000 lines of a log is one error."""
MAX_LOG_ERRORS = 50
MAX_DIFF_ERRORS = 200


def extract_errors(
    changes: Sequence[FileChange], book: Spellbook, *, limit: int = MAX_DIFF_ERRORS
) -> list[ErrorPayload]:
    """Return the errors in the added lines of the text files of a diff, in file order.

    At most ``limit`` (ask for one more to learn whether there were more).
    """
    payloads: list[ErrorPayload] = []
    for change in changes:
        if change.binary or change.change_type == "deleted":
            continue
        payloads.extend(_file_errors(change, book))
    return payloads[:limit]


def extract_log_errors(text: str, book: Spellbook) -> list[ErrorPayload]:
    """Return the distinct errors of a raw CI log (``path`` and ``line`` are ``None``)."""
    lines = clean_log(text).split("\n")
    distinct: dict[tuple[str, str], ErrorPayload] = {}
    for found in locate_errors(lines, book):
        distinct.setdefault((found.payload.error_type, found.payload.message), found.payload)
    return list(distinct.values())[:MAX_LOG_ERRORS]


class Located(NamedTuple):
    """An error of a log and where it is: the line that carries it and the lines it covers."""

    anchor: int
    start: int
    end: int
    payload: ErrorPayload


def locate_errors(lines: Sequence[str], book: Spellbook) -> list[Located]:
    """Return every error of a cleaned log's lines, in line order (repeats included)."""
    data = utf8("\n".join(lines))
    starts = line_starts(data)
    signatures = find_signatures(lines, data=data, starts=starts)
    hits = _pattern_hits(lines, data, book, starts=starts)
    return _errors(_Source(lines, None, None), signatures, hits, book)


def _file_errors(change: FileChange, book: Spellbook) -> list[ErrorPayload]:
    added = [line for hunk in change.hunks for line in hunk.added]
    lines = [clean_log(line.text).replace("\n", " ") for line in added]
    numbers = [line.number for line in added]
    signatures = [
        _shifted(signature, start)
        for start, end in _runs(numbers)
        for signature in find_signatures(lines[start:end])
        if is_output_file(change.path)  # in code, error text is a message, not an error
    ]
    hits = _pattern_hits(lines, utf8("\n".join(lines)), book, path=change.path)
    found = _errors(_Source(lines, numbers, change.path), signatures, hits, book)
    return [error.payload for error in found]


def _runs(numbers: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` index ranges of consecutive new-file line numbers."""
    start = 0
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or numbers[i] != numbers[i - 1] + 1:
            yield start, i
            start = i


def _shifted(signature: Signature, offset: int) -> Signature:
    return Signature(
        error_type=signature.error_type,
        message=signature.message,
        anchor=signature.anchor + offset,
        start=signature.start + offset,
        end=signature.end + offset,
    )


@functools.lru_cache(maxsize=4096)
def _line_regex(pattern: str) -> re2._Regexp:
    return compile_line_pattern(pattern)


def _pattern_hits(
    lines: Sequence[str],
    data: bytes,
    book: Spellbook,
    *,
    path: str | None = None,
    starts: list[int] | None = None,
) -> dict[int, int]:
    """Return ``{line index: spell id}`` for lines spell patterns match (specific spells first).

    ``data`` is ``"\\n".join(lines)`` as UTF-8: RE2 reports byte offsets, and reading bytes spares
    it a conversion of every offset back to characters. Only spells that apply to ``path`` count.
    """
    spell_ids = [i for i in book.search(data) if applies(book.spell(i).applies_to, path)]
    if not spell_ids:
        return {}
    if starts is None:
        starts = line_starts(data)
    hits: dict[int, int] = {}
    for spell_id in sorted(spell_ids, key=lambda i: (book.spell(i).generic, i)):
        try:
            regex = _line_regex(book.spell(spell_id).error_pattern)
        except re2.error:
            continue
        for count, match in enumerate(regex.finditer(data)):
            if count == MAX_HITS_PER_SPELL:
                break
            hits.setdefault(bisect_right(starts, match.start()) - 1, spell_id)
    return hits


class _Source(NamedTuple):
    """Lines to extract from: their new-file numbers and path in a diff, ``None`` in a log."""

    lines: Sequence[str]
    numbers: Sequence[int] | None
    path: str | None


def _errors(
    source: _Source, signatures: Sequence[Signature], hits: dict[int, int], book: Spellbook
) -> list[Located]:
    """Merge signatures and pattern hits into payloads, in line order."""
    spans = [(signature.start, signature.end) for signature in signatures]
    located = [
        Located(
            s.anchor,
            s.start,
            s.end,
            _payload(source, s.error_type, s.message, anchor=s.anchor, span=(s.start, s.end)),
        )
        for s in signatures
    ]
    for index, spell_id in hits.items():
        at = bisect_right(spans, (index, len(source.lines) + 1)) - 1
        if at >= 0 and spans[at][0] <= index < spans[at][1]:
            continue  # the signature's stack trace holds this line: ranking finds the hit there
        message = source.lines[index].strip()
        error_type = book.spell(spell_id).error_type
        payload = _payload(source, error_type, message, anchor=index, span=None)
        located.append(Located(index, index, index + 1, payload))
    located.sort(key=lambda item: item.anchor)
    return located


def _payload(
    source: _Source,
    error_type: str,
    message: str,
    *,
    anchor: int,
    span: tuple[int, int] | None,
) -> ErrorPayload:
    """Build one payload; ``span`` is the signature's lines (its stack trace), if any."""
    start, end = span or (anchor, anchor + 1)
    lines, numbers = source.lines, source.numbers
    line = numbers[anchor] if numbers is not None else None
    around = [
        *_same_run(lines, numbers, range(max(0, start - CONTEXT_BEFORE), start), start),
        *_same_run(lines, numbers, range(end, min(len(lines), end + CONTEXT_AFTER)), end - 1),
    ]
    header = [f"{source.path}:{line}"] if source.path is not None else []
    return ErrorPayload(
        error_type=error_type,
        message=message,
        context="\n".join(header + around),
        stack_trace="\n".join(lines[start:end]) if span else "",
        path=source.path,
        line=line,
    )


def _same_run(
    lines: Sequence[str], numbers: Sequence[int] | None, indexes: range, origin: int
) -> list[str]:
    """Return the lines at ``indexes`` that are contiguous with line ``origin`` in the file."""
    if numbers is None:
        return [lines[i] for i in indexes]
    return [lines[i] for i in indexes if numbers[i] - numbers[origin] == i - origin]
