"""Check run output as GitHub accepts it: annotations in batches of 50, texts within their limits.

https://docs.github.com/en/rest/checks/runs#update-a-check-run governs the shapes: ``output``
needs ``title`` and ``summary`` on every request that carries it; texts and annotations per
request are limited (the numbers, in one unit, are in ``grimoire.core.limits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from grimoire.core.limits import (
    MAX_ANNOTATION_TEXT_BYTES,
    MAX_ANNOTATION_TITLE_BYTES,
    MAX_ANNOTATIONS_PER_REQUEST,
    MAX_CHECK_TEXT_BYTES,
)

AnnotationLevel = Literal["notice", "warning", "failure"]
# "stale" is GitHub's own; an integration cannot set it.
Conclusion = Literal[
    "action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"
]

TRUNCATED = "\n\n… (truncated: GitHub limits the length of this text)"


class Annotation(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One line-range note on a file, shown in the pull request's Files changed tab."""

    path: str
    start_line: int
    end_line: int
    annotation_level: AnnotationLevel
    message: str
    title: str | None = None
    raw_details: str | None = None


class CheckRunOutput(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The ``output`` object of one check run request."""

    title: str
    summary: str
    text: str | None = None
    annotations: tuple[Annotation, ...] = ()


def truncate_utf8(text: str, limit: int, marker: str = TRUNCATED) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes, on a character boundary, marking the cut."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    room = max(limit - len(marker.encode()), 0)
    # errors="ignore" drops a multi-byte character split by the cut instead of corrupting it.
    return encoded[:room].decode("utf-8", "ignore") + marker[: limit - room]


def fit_annotation(annotation: Annotation) -> Annotation:
    """Bring one annotation within GitHub's limits (texts cut, line range ordered)."""
    return msgspec.structs.replace(
        annotation,
        start_line=max(annotation.start_line, 1),
        end_line=max(annotation.end_line, annotation.start_line, 1),
        message=truncate_utf8(annotation.message, MAX_ANNOTATION_TEXT_BYTES),
        title=(
            None
            if annotation.title is None
            else truncate_utf8(annotation.title, MAX_ANNOTATION_TITLE_BYTES, marker="")
        ),
        raw_details=(
            None
            if annotation.raw_details is None
            else truncate_utf8(annotation.raw_details, MAX_ANNOTATION_TEXT_BYTES)
        ),
    )


def output_batches(
    *, title: str, summary: str, text: str | None, annotations: Sequence[Annotation]
) -> list[CheckRunOutput]:
    """Split a check run's output into requests of at most 50 annotations, repeating the texts."""
    summary = truncate_utf8(summary, MAX_CHECK_TEXT_BYTES)
    text = None if text is None else truncate_utf8(text, MAX_CHECK_TEXT_BYTES)
    fitted = [fit_annotation(a) for a in annotations]
    step = MAX_ANNOTATIONS_PER_REQUEST
    chunks = [tuple(fitted[i : i + step]) for i in range(0, len(fitted), step)] or [()]
    return [
        CheckRunOutput(title=title, summary=summary, text=text, annotations=chunk)
        for chunk in chunks
    ]
