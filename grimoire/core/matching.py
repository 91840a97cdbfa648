"""Rank the spells of a spellbook for an error: pattern hits, error types and keywords.

The score of a spell for an error payload (every part is in [0, 1], so the score is too)::

    score = W_PATTERN * P + W_TYPE * T + W_KEYWORDS * K

- P is 1 when the spell's pattern matches a line of the payload's message (alone, or as the
  ``ErrorType: message`` line tools print) or of its stack trace (``regexsets`` explains the line
  semantics);
- T is 1 when the error types are equal, ignoring case, or when one is the last dotted part of
  the other (``NullPointerException`` and ``java.lang.NullPointerException``);
- K is the keyword similarity of ``keywords`` between the payload's words (error type and message
  weigh 1, stack trace ``0.7``, context ``0.5``) and the spell's title, description, error type,
  tags and pattern literals.

A spell whose ``applies_to`` globs do not cover the payload's path is never returned for it
(``paths``). Scores are rounded to 4 decimals. Matches under ``RELEVANCE_FLOOR`` are dropped,
and a spell marked ``generic`` is returned only when no specific spell clears the floor for the
same error.

Specificity: when several spells' patterns match the same error, the one whose pattern says more
about it wins, whatever the scores: spells with a pattern hit come first, ordered by the literal
weight (``specificity``) of the top-level alternative of their pattern that matched (the more
literal text a match must contain, the more specific; a pattern that implies another contains
its literals), then by score descending, then spell id ascending. Keyword-only matches follow,
by score descending, then spell id. So "undefined reference to `sqrt'" is the missing ``-lm``
before it is any undefined reference.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import msgspec
import re2

from grimoire.core.keywords import Fields, KeywordIndex
from grimoire.core.paths import applies
from grimoire.core.payload import ErrorPayload
from grimoire.core.regexsets import PatternSets, compile_line_pattern
from grimoire.core.specificity import alternatives, literal_weight
from grimoire.core.tokens import pattern_literals, tokenize
from grimoire.errors import FieldError, SpellNotFound

W_PATTERN = 0.55
W_TYPE = 0.15
W_KEYWORDS = 0.30
RELEVANCE_FLOOR = 0.30
"""The lowest score returned. A pattern hit alone (0.55) always clears it. Without one, a spell
needs strong keyword evidence: K >= 0.5 when the error types agree (0.15 + 0.30 * K), which a
different error of the same type does not reach (at most K = 0.41 on tests/quality), and K = 1
when they do not. So an error that only shares its type and a few words with a spell gets no
match rather than a wrong one."""
QUERY_WEIGHTS = (("error_type", 1.0), ("message", 1.0), ("stack_trace", 0.7), ("context", 0.5))
WHY_TERMS = 5


class SpellRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A spell as the matcher sees it: a known error, the pattern that spots it, and its fix."""

    id: int
    title: str
    description: str
    error_type: str
    error_pattern: str
    solution_code: str
    tags: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    generic: bool = False
    applies_to: str = ""
    """Comma-separated path globs of the files the spell fires on; empty = everywhere
    (``grimoire.core.paths`` says how they match)."""


class Why(msgspec.Struct, frozen=True):
    """Which signals fired: the pattern, the error type, the top shared keywords, and how
    specific the pattern that matched is (``specificity``; 0 without a pattern hit)."""

    pattern: bool
    error_type: bool
    terms: tuple[str, ...]
    specificity: float = 0.0


class Match(msgspec.Struct, frozen=True):
    """One ranked spell for an error."""

    spell_id: int
    title: str
    score: float
    why: Why


class Spellbook:
    """The in-memory index of a set of spells: pattern sets and a keyword index.

    Immutable. ``with_spell`` and ``without`` return a patched copy that shares everything the
    change does not touch (cost: two dict copies, the touched posting lists, and the rebuild of
    one small pattern shard, a few milliseconds at 100k spells). A patched book ranks exactly as
    a book compiled afresh from the same spells.
    """

    __slots__ = ("_keywords", "_patterns", "_spells")

    def __init__(
        self, spells: dict[int, SpellRecord], patterns: PatternSets, keywords: KeywordIndex
    ) -> None:
        self._spells = spells
        self._patterns = patterns
        self._keywords = keywords

    def __len__(self) -> int:
        return len(self._spells)

    def __contains__(self, spell_id: object) -> bool:
        return spell_id in self._spells

    def __iter__(self) -> Iterator[SpellRecord]:
        return iter(self._spells.values())

    @property
    def broken(self) -> frozenset[int]:
        """Ids of spells whose pattern RE2 refuses (they still match by keywords)."""
        return self._patterns.broken

    def spell(self, spell_id: int) -> SpellRecord:
        """Return the spell with this id; raise ``SpellNotFound``."""
        try:
            return self._spells[spell_id]
        except KeyError:
            raise SpellNotFound(spell_id) from None

    def search(self, text: str | bytes) -> tuple[int, ...]:
        """Return the sorted ids of the spells whose pattern matches a line of ``text``."""
        return self._patterns.search(text)

    def with_spell(self, spell: SpellRecord) -> Spellbook:
        """Return this book with ``spell`` added, or replacing the spell with its id."""
        book = self.without(spell.id)
        spells = dict(book._spells)
        spells[spell.id] = spell
        old = self._spells.get(spell.id)
        patterns = self._patterns
        if old is None or old.error_pattern != spell.error_pattern:
            patterns = book._patterns.with_pattern(spell.id, spell.error_pattern)
        keywords = book._keywords.with_document(spell.id, spell_fields(spell))
        return Spellbook(spells, patterns, keywords)

    def without(self, spell_id: int) -> Spellbook:
        """Return this book less the spell with this id (the same book if it has none)."""
        old = self._spells.get(spell_id)
        if old is None:
            return self
        spells = dict(self._spells)
        del spells[spell_id]
        keywords = self._keywords.without(spell_id, spell_fields(old))
        return Spellbook(spells, self._patterns.without(spell_id), keywords)


def compile_spellbook(spells: Iterable[SpellRecord]) -> Spellbook:
    """Index spells (ids must be unique); the result does not depend on their order."""
    by_id: dict[int, SpellRecord] = {}
    for spell in spells:
        if spell.id in by_id:
            raise ValueError(f"spell id {spell.id} appears twice")
        by_id[spell.id] = spell
    ordered = {spell_id: by_id[spell_id] for spell_id in sorted(by_id)}
    patterns = PatternSets.build({i: s.error_pattern for i, s in ordered.items()})
    keywords = KeywordIndex.build({i: spell_fields(s) for i, s in ordered.items()})
    return Spellbook(ordered, patterns, keywords)


def spell_fields(spell: SpellRecord) -> Fields:
    """Return the tokens of each indexed field of a spell."""
    return {
        "error_type": tokenize(spell.error_type),
        "title": tokenize(spell.title),
        "pattern": tokenize(pattern_literals(spell.error_pattern)),
        "tags": [token for tag in spell.tags for token in tokenize(tag)],
        "description": tokenize(spell.description),
    }


def rank_spells(payload: ErrorPayload, book: Spellbook, *, limit: int = 5) -> list[Match]:
    """Return the best spells for ``payload`` above the relevance floor, best first.

    Order: spells whose pattern matches first, the more specific pattern first (``specificity``
    of the alternative that matched), then by score, then by id; then the keyword-only matches
    by score and id.
    """
    terms = book._keywords.query_terms(payload_terms(payload))
    similarity = book._keywords.similarities(terms)
    text = pattern_text(payload)
    hits = frozenset(book.search(text))
    scored: list[tuple[float, float, int]] = []
    for spell_id in hits | _keyword_candidates(similarity):
        spell = book._spells[spell_id]
        if not applies(spell.applies_to, payload.path):
            continue
        score = _score(
            pattern=spell_id in hits,
            error_type=types_agree(payload.error_type, spell.error_type),
            keywords=similarity.get(spell_id, 0.0),
        )
        if score >= RELEVANCE_FLOOR:
            specific = matched_specificity(spell.error_pattern, text) if spell_id in hits else 0.0
            scored.append((specific, score, spell_id))
    scored.sort(key=lambda item: (-(item[2] in hits), -item[0], -item[1], item[2]))
    if any(not book._spells[spell_id].generic for _, _, spell_id in scored):
        scored = [item for item in scored if not book._spells[item[2]].generic]
    return [
        _match(book, spell_id, score, payload, hits, terms, specific)
        for specific, score, spell_id in scored[:limit]
    ]


def matched_specificity(pattern: str, text: str) -> float:
    """Return the literal weight of the most specific top-level alternative of ``pattern`` that
    matches a line of ``text`` (``specificity``): what the spell says about this error."""
    options = alternatives(pattern)
    if len(options) == 1:
        return literal_weight(pattern)
    weights = [
        literal_weight(option)
        for option in options
        if (regex := _alternative_regex(option)) is not None and regex.search(text) is not None
    ]
    return max(weights, default=literal_weight(pattern))


@functools.lru_cache(maxsize=16384)
def _alternative_regex(option: str) -> re2._Regexp | None:
    try:
        return compile_line_pattern(option)
    except re2.error:
        return None


def _keyword_candidates(similarity: dict[int, float]) -> set[int]:
    """Return the spells whose keywords alone could clear the floor (with the type bonus)."""
    needed = (RELEVANCE_FLOOR - W_TYPE) / W_KEYWORDS - 1e-3  # scores are rounded: stay below
    return {spell_id for spell_id, k in similarity.items() if k >= needed}


def _score(*, pattern: bool, error_type: bool, keywords: float) -> float:
    return round(W_PATTERN * pattern + W_TYPE * error_type + W_KEYWORDS * min(keywords, 1.0), 4)


def _match(
    book: Spellbook,
    spell_id: int,
    score: float,
    payload: ErrorPayload,
    hits: frozenset[int],
    terms: list[tuple[str, float]],
    specific: float,
) -> Match:
    spell = book._spells[spell_id]
    parts = book._keywords.contributions(spell_id, spell_fields(spell), terms)
    parts.sort(key=lambda item: (-item[1], item[0]))
    why = Why(
        pattern=spell_id in hits,
        error_type=types_agree(payload.error_type, spell.error_type),
        terms=tuple(term for term, _ in parts[:WHY_TERMS]),
        specificity=specific,
    )
    return Match(spell_id=spell_id, title=spell.title, score=score, why=why)


def pattern_text(payload: ErrorPayload) -> str:
    """Return the lines patterns are matched against: the message (also as the ``Type: message``
    line tools print), then the stack trace."""
    line = f"{payload.error_type}: {payload.message}" if payload.error_type else ""
    return "\n".join((payload.message, line, payload.stack_trace))


def payload_terms(payload: ErrorPayload) -> dict[str, float]:
    """Return the payload's query terms, each with the weight of its most telling field."""
    weights: dict[str, float] = {}
    for name, weight in QUERY_WEIGHTS:
        for token in tokenize(getattr(payload, name)):
            if weights.get(token, 0.0) < weight:
                weights[token] = weight
    return weights


def types_agree(payload_type: str, spell_type: str) -> bool:
    """Tell whether two error types name the same error (case-insensitive, dotted or not)."""
    left, right = payload_type.strip().lower(), spell_type.strip().lower()
    if not left or not right:
        return False
    return left == right or left == right.rsplit(".", 1)[-1] or right == left.rsplit(".", 1)[-1]


def example_problems(
    pattern: str, examples: Iterable[str], counter_examples: Iterable[str]
) -> list[FieldError]:
    """Return the examples ``pattern`` misses and the counter-examples it matches, by path."""
    try:
        regex = compile_line_pattern(pattern)
    except re2.error:  # an invalid pattern is pattern_problem's to report
        return []
    problems = [
        FieldError(f"body.examples[{i}]", "the error_pattern does not match this example")
        for i, text in enumerate(examples)
        if regex.search(text) is None
    ]
    problems += [
        FieldError(f"body.counter_examples[{i}]", "the error_pattern matches this counter-example")
        for i, text in enumerate(counter_examples)
        if regex.search(text) is not None
    ]
    return problems
