"""Trying a spell before saving it: where its pattern matches, and how a score is made up.

Pure: text and patterns in, values out. The spell page's "try it" shows these.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import re2

from grimoire.core.explain import MatchOut
from grimoire.core.matching import W_PATTERN, W_TYPE
from grimoire.core.regexsets import compile_line_pattern

MAX_LINES = 50
"""At most this many matched lines are shown: enough to judge a pattern, bounded for a 2 MB log."""


class Span(msgspec.Struct, frozen=True):
    """A piece of text, and whether the pattern matched it."""

    text: str
    hit: bool


class MatchedLine(msgspec.Struct, frozen=True):
    """One line of a text the pattern matches (1-based number), split into spans."""

    number: int
    spans: list[Span]


class ScoreParts(msgspec.Struct, frozen=True):
    """A score and its parts: pattern + error type + keywords = total."""

    pattern: float
    error_type: float
    keywords: float
    total: float


def highlight(text: str, pattern: str) -> list[Span]:
    """Split ``text`` into spans the pattern matches (line semantics) and spans it does not.

    An invalid pattern matches nothing. Empty matches are not spans.
    """
    try:
        regex = compile_line_pattern(pattern)
    except re2.error:
        return [Span(text, hit=False)] if text else []
    spans: list[Span] = []
    end = 0
    for start, stop in _match_bounds(regex, text):
        if start > end:
            spans.append(Span(text[end:start], hit=False))
        spans.append(Span(text[start:stop], hit=True))
        end = stop
    if end < len(text):
        spans.append(Span(text[end:], hit=False))
    return spans


def _match_bounds(regex: re2._Regexp, text: str) -> Iterator[tuple[int, int]]:
    for found in regex.finditer(text):
        start, stop = found.span()
        if stop > start:
            yield start, stop


def matched_lines(text: str, pattern: str, *, limit: int = MAX_LINES) -> list[MatchedLine]:
    """Return the first ``limit`` lines of ``text`` the pattern matches, highlighted."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        spans = highlight(line, pattern)
        if any(span.hit for span in spans):
            found.append(MatchedLine(number, spans))
            if len(found) == limit:
                break
    return found


def score_parts(match: MatchOut) -> ScoreParts:
    """Break a match's score into its weighted parts (see ``grimoire.core.matching``)."""
    pattern = W_PATTERN if match.why.pattern else 0.0
    error_type = W_TYPE if match.why.error_type else 0.0
    keywords = round(max(0.0, match.score - pattern - error_type), 4)
    return ScoreParts(pattern=pattern, error_type=error_type, keywords=keywords, total=match.score)
