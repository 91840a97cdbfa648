"""Ranking spells: signals, the relevance floor, generic spells, patching, and its properties."""

from __future__ import annotations

import random

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grimoire.core import regexsets
from grimoire.core.matching import (
    RELEVANCE_FLOOR,
    Match,
    Spellbook,
    SpellRecord,
    compile_spellbook,
    example_problems,
    rank_spells,
    types_agree,
)
from grimoire.core.payload import ErrorPayload
from grimoire.errors import SpellNotFound


def spell(spell_id: int, **fields: object) -> SpellRecord:
    values: dict[str, object] = {
        "title": f"spell {spell_id}",
        "description": "something went wrong",
        "error_type": "Error",
        "error_pattern": f"never-matches-{spell_id}",
        "solution_code": "fix it",
    }
    values.update(fields)
    return SpellRecord(id=spell_id, **values)  # type: ignore[arg-type]


MODULE = spell(
    1,
    title="Python module is not installed",
    description="The import cannot find the package in the active environment.",
    error_type="ModuleNotFoundError",
    error_pattern=r"No module named '[^']+'",
    tags=("python", "import"),
)
INT_LITERAL = spell(
    2,
    title="Invalid literal for int()",
    description="int() got a string that is not a whole number.",
    error_type="ValueError",
    error_pattern=r"invalid literal for int\(\) with base \d+",
    tags=("python", "parsing"),
)
SEGFAULT = spell(
    3,
    title="Segmentation fault",
    description="The process read memory it does not own.",
    error_type="SegmentationFault",
    error_pattern="Segmentation fault",
    generic=True,
)
NPE = spell(
    4,
    title="Java NullPointerException",
    description="A method was called on a null reference.",
    error_type="java.lang.NullPointerException",
    error_pattern=r"java\.lang\.NullPointerException",
    tags=("java",),
)
BOOK = compile_spellbook([MODULE, INT_LITERAL, SEGFAULT, NPE])


def test_pattern_hit_ranks_the_spell_with_why() -> None:
    payload = ErrorPayload(error_type="ModuleNotFoundError", message="No module named 'yaml'")
    [match] = rank_spells(payload, BOOK)
    assert match.spell_id == 1
    assert match.title == "Python module is not installed"
    assert match.why.pattern and match.why.error_type
    assert "module" in match.why.terms
    assert 0.7 < match.score <= 1.0


def test_pattern_matches_the_stack_trace_too() -> None:
    payload = ErrorPayload(
        error_type="Exception",
        message="boom",
        stack_trace="Traceback (most recent call last):\n  ...\nSegmentation fault (core dumped)",
    )
    assert [m.spell_id for m in rank_spells(payload, BOOK)] == [3]


def test_an_error_no_spell_fits_gets_no_match() -> None:
    payload = ErrorPayload(error_type="ValueError", message="math domain error")
    assert rank_spells(payload, BOOK) == []


def test_same_type_alone_is_below_the_floor() -> None:
    payload = ErrorPayload(error_type="ValueError", message="too many values to unpack")
    assert rank_spells(payload, BOOK) == []


def test_a_unique_error_type_with_its_words_clears_the_floor() -> None:
    payload = ErrorPayload(
        error_type="NullPointerException", message='Cannot invoke "String.length()"'
    )
    [match] = rank_spells(payload, BOOK)
    assert match.spell_id == 4
    assert not match.why.pattern and match.why.error_type
    assert match.score >= RELEVANCE_FLOOR


def test_generic_spell_only_when_no_specific_spell_matches() -> None:
    alone = ErrorPayload(error_type="", message="Segmentation fault (core dumped)")
    assert [m.spell_id for m in rank_spells(alone, BOOK)] == [3]
    with_specific = ErrorPayload(
        error_type="ModuleNotFoundError",
        message="No module named 'yaml'",
        stack_trace="Segmentation fault (core dumped)",
    )
    assert [m.spell_id for m in rank_spells(with_specific, BOOK)] == [1]


@pytest.mark.parametrize(
    ("left", "right", "agree"),
    [
        ("KeyError", "keyerror", True),
        ("NullPointerException", "java.lang.NullPointerException", True),
        ("java.lang.NullPointerException", "NullPointerException", True),
        ("a.b.Error", "c.d.Error", False),
        ("", "Error", False),
        ("TypeError", "ValueError", False),
    ],
)
def test_types_agree(left: str, right: str, agree: bool) -> None:
    assert types_agree(left, right) is agree


def test_limit_and_ties_by_id() -> None:
    twins = [spell(i, error_pattern="disk is full", title="Disk full") for i in (9, 3, 5)]
    book = compile_spellbook(twins)
    matches = rank_spells(ErrorPayload(error_type="", message="disk is full"), book, limit=2)
    assert [m.spell_id for m in matches] == [3, 5]
    assert matches[0].score == matches[1].score


def test_search_is_line_by_line() -> None:
    book = compile_spellbook(
        [
            spell(1, error_pattern=r"^fatal: .*$"),
            spell(2, error_pattern=r"a\s+b"),
            spell(3, error_pattern=r"\Aonly at start"),
        ]
    )
    assert book.search("ok\nfatal: not a git repository\nmore") == (1,)
    assert book.search("a\nb") == ()  # \s never crosses a newline
    assert book.search("a  b") == (2,)


def test_text_with_lone_surrogates_is_searched_not_refused() -> None:
    payload = ErrorPayload(error_type="", message="Segmentation fault \ud800")
    assert [m.spell_id for m in rank_spells(payload, BOOK)] == [3]


def test_spell_lookup_and_membership() -> None:
    assert BOOK.spell(4) is NPE
    assert 4 in BOOK and 99 not in BOOK and len(BOOK) == 4
    with pytest.raises(SpellNotFound):
        BOOK.spell(99)


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        compile_spellbook([MODULE, MODULE])


def test_a_pattern_re2_refuses_still_matches_by_keywords() -> None:
    book = compile_spellbook([spell(1, error_pattern="(?=lookahead)"), spell(2, error_pattern=" ")])
    assert book.broken == {1, 2}
    assert book.search("lookahead") == ()


def test_patching_replaces_adds_and_deletes() -> None:
    book = BOOK.with_spell(spell(5, error_pattern="disk is full", title="Disk full"))
    assert book.search("disk is full") == (5,)
    book = book.with_spell(spell(5, error_pattern="quota exceeded", title="Quota"))
    assert book.search("disk is full") == ()
    assert book.search("quota exceeded") == (5,)
    book = book.without(5)
    assert book.search("quota exceeded") == () and 5 not in book
    assert book.without(5) is book
    assert BOOK.search("quota exceeded") == ()  # the original is untouched


def test_example_problems_name_the_failing_entries() -> None:
    problems = example_problems(r"KeyError: '\w+'", ["KeyError: 'a'", "nope"], ["KeyError: 'b'"])
    assert [(p.path, "counter" in p.message) for p in problems] == [
        ("body.examples[1]", False),
        ("body.counter_examples[0]", True),
    ]
    assert example_problems("(", ["x"], []) == []


# Strategies: small spellbooks over a small vocabulary, so payloads often share words with
# spells and patterns often hit.
WORDS = ["disk", "full", "module", "import", "timeout", "socket", "null", "index", "range", "key"]
word = st.sampled_from(WORDS)
PATTERNS = st.one_of(
    st.builds(lambda a, b: f"{a} {b}", word, word),
    st.builds(lambda a: rf"(?i){a}\w*", word),
    st.builds(lambda a: rf"^{a}: .*$", word),
    st.just("("),  # RE2 refuses it: the spell matches by keywords only
)


@st.composite
def spellbooks(draw: st.DrawFn) -> list[SpellRecord]:
    ids = draw(st.lists(st.integers(1, 60), min_size=1, max_size=12, unique=True))
    return [
        spell(
            spell_id,
            title=" ".join(draw(st.lists(word, min_size=1, max_size=4))),
            description=" ".join(draw(st.lists(word, max_size=6))) or "none",
            error_type=draw(st.sampled_from(["KeyError", "IOError", "pkg.TimeoutError", "E0382"])),
            error_pattern=draw(PATTERNS),
            tags=tuple(draw(st.lists(word, max_size=2))),
            generic=draw(st.booleans()),
        )
        for spell_id in ids
    ]


payloads = st.builds(
    ErrorPayload,
    error_type=st.sampled_from(["KeyError", "TimeoutError", "OSError", ""]),
    message=st.lists(word, max_size=6).map(" ".join),
    context=st.lists(word, max_size=4).map(" ".join),
    stack_trace=st.lists(st.lists(word, max_size=3).map(" ".join), max_size=3).map("\n".join),
)


def ranking(payload: ErrorPayload, book: Spellbook) -> list[Match]:
    return rank_spells(payload, book, limit=50)


# Property: the score is a pure function of the payload and the set of spells: the same across
# rebuilds, across the order the spells are given in, and for a book patched spell by spell
# (with replacements and deletions on the way) versus one compiled afresh.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spellbooks(), payloads, st.randoms(use_true_random=False))
def test_ranking_is_pure_and_independent_of_order_and_patching(
    spells: list[SpellRecord], payload: ErrorPayload, rnd: random.Random
) -> None:
    fresh = ranking(payload, compile_spellbook(spells))
    assert ranking(payload, compile_spellbook(spells)) == fresh
    shuffled = spells[:]
    rnd.shuffle(shuffled)
    assert ranking(payload, compile_spellbook(shuffled)) == fresh
    patched = compile_spellbook(shuffled[: len(shuffled) // 2])
    for record in shuffled[len(shuffled) // 2 :]:
        patched = patched.with_spell(spell(record.id, error_pattern="stale", title="stale"))
        patched = patched.with_spell(record)
    patched = patched.with_spell(spell(999, error_pattern="disk full")).without(999)
    assert ranking(payload, patched) == fresh


# Property: pattern hits first, the more specific pattern first, then non-increasing score, ties
# broken by ascending id; every score clears the relevance floor, and a generic spell appears
# only when no specific one does.
@settings(max_examples=150, deadline=None)
@given(spellbooks(), payloads)
def test_results_are_ordered_and_above_the_floor(
    spells: list[SpellRecord], payload: ErrorPayload
) -> None:
    book = compile_spellbook(spells)
    matches = ranking(payload, book)
    keys = [(-m.why.pattern, -m.why.specificity, -m.score, m.spell_id) for m in matches]
    assert keys == sorted(keys)
    assert all(RELEVANCE_FLOOR <= m.score <= 1.0 for m in matches)
    kinds = {book.spell(m.spell_id).generic for m in matches}
    assert kinds != {True, False}


# Property: with tiny shards, any sequence of patches leaves the pattern sets answering exactly
# like one regex per live spell (merges, sealing and compaction never lose or resurrect a hit).
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.one_of(st.none(), PATTERNS)), max_size=40))
def test_pattern_sets_survive_any_patch_sequence(
    monkeypatch: pytest.MonkeyPatch, changes: list[tuple[int, str | None]]
) -> None:
    monkeypatch.setattr(regexsets, "SHARD_SIZE", 4)
    monkeypatch.setattr(regexsets, "TAIL_SIZE", 2)
    sets = regexsets.PatternSets.build({1: "disk full", 2: "key", 3: "(", 4: "null"})
    live = {1: "disk full", 2: "key", 3: "(", 4: "null"}
    for spell_id, pattern in changes:
        if pattern is None:
            sets = sets.without(spell_id)
            live.pop(spell_id, None)
        else:
            sets = sets.with_pattern(spell_id, pattern)
            live[spell_id] = pattern
    text = "disk full\nKEYS key\nnull: x\nindex range\nimport module"
    expected = []
    for spell_id, pattern in sorted(live.items()):
        try:
            if regexsets.compile_line_pattern(pattern).search(text):
                expected.append(spell_id)
        except re2.error:  # refused patterns never match
            continue
    assert sets.search(text) == tuple(expected)


def test_a_spell_fires_only_on_the_files_it_applies_to() -> None:
    breakpoint_spell = spell(
        9,
        title="Debugger breakpoint left in",
        error_type="DebuggerLeftover",
        error_pattern=r"^\s*breakpoint\(\)",
        applies_to="*.py",
    )
    book = compile_spellbook([breakpoint_spell, MODULE])

    def titles(path: str | None) -> list[str]:
        payload = ErrorPayload(error_type="DebuggerLeftover", message="breakpoint()", path=path)
        return [match.title for match in rank_spells(payload, book)]

    assert titles("app/views.py") == ["Debugger breakpoint left in"]
    assert titles("docs/debugging.md") == []
    assert titles("pip/_vendor/x.py") == []
    assert titles(None) == ["Debugger breakpoint left in"]  # a CI log or /api/match


# The weights, the floor and the order are pinned by behaviour: changing any constant of
# matching.py changes an exact score below or moves a spell across the floor.
LEDGER = spell(
    1,
    title="Invoice ledger totals do not balance",
    description="The ledger batch totals differ from the invoice lines after rounding.",
    error_type="LedgerError",
    error_pattern="never-matches-1",
    tags=("billing",),
)
CACHE = spell(
    2,
    title="Cache warmup timed out",
    description="The cache warmup job exceeded its deadline.",
    error_type="TimeoutError",
    error_pattern=r"warmup exceeded \d+s",
)
OTHER = spell(3, title="Other", description="unrelated words entirely here", error_type="KeyError")
WORDS = [
    "the",
    "ledger",
    "batch",
    "totals",
    "differ",
    "from",
    "the",
    "invoice",
    "lines",
    "after",
    "rounding",
    "billing",
    "never",
    "matches",
]


def expected_score(book: Spellbook, payload: ErrorPayload, spell_id: int) -> float:
    """The documented formula with the documented weights, written out."""
    from grimoire.core.matching import payload_terms

    keywords = book._keywords
    k = keywords.similarities(keywords.query_terms(payload_terms(payload))).get(spell_id, 0.0)
    spell_ = book.spell(spell_id)
    pattern = spell_id in book.search(f"{payload.message}\n{payload.error_type}: {payload.message}")
    return round(
        0.55 * pattern
        + 0.15 * types_agree(payload.error_type, spell_.error_type)
        + 0.30 * min(k, 1),
        4,
    )


def test_scores_follow_the_documented_weights_and_floor() -> None:
    book = compile_spellbook([LEDGER, CACHE, OTHER])
    below = above = 0
    for count in range(len(WORDS) + 1):
        for error_type in ("LedgerError", "ValueError"):
            message = "Invoice ledger totals do not balance " + " ".join(WORDS[:count])
            payload = ErrorPayload(error_type=error_type, message=message)
            want = expected_score(book, payload, 1)
            got = {m.spell_id: m.score for m in rank_spells(payload, book)}
            assert (1 in got) == (want >= 0.30), (message, want)
            if 1 in got:
                assert got[1] == want
            below += 0.25 <= want < 0.30
            above += 0.30 <= want < 0.35
    assert below and above  # the cases straddle the floor, so a moved floor fails


def test_a_pattern_hit_scores_its_weight_plus_the_other_signals() -> None:
    book = compile_spellbook([LEDGER, CACHE, OTHER])
    for error_type in ("TimeoutError", "RuntimeError"):
        payload = ErrorPayload(error_type=error_type, message="warmup exceeded 30s")
        (match,) = rank_spells(payload, book)
        assert match.spell_id == 2 and match.why.pattern
        assert match.score == expected_score(book, payload, 2)
        assert match.score >= 0.55


def test_the_more_specific_pattern_wins_over_a_higher_score() -> None:
    general = spell(
        10,
        title="Undefined reference at link time: undefined reference symbol linker",
        description="undefined reference to a symbol: sqrt pow math library linker",
        error_type="LinkerError",
        error_pattern=r"undefined reference to [`'‘]\S+['’]",
    )
    specific = spell(
        11,
        title="libm",
        description="math",
        error_type="Other",
        error_pattern=r"undefined reference to [`'‘](?:sqrt|pow)['’]",
    )
    book = compile_spellbook([general, specific])
    payload = ErrorPayload(
        error_type="LinkerError", message="main.c: undefined reference to `sqrt'"
    )
    matches = rank_spells(payload, book)
    assert [m.spell_id for m in matches] == [11, 10]
    assert matches[0].score < matches[1].score  # it wins on specificity, not on score
    assert matches[0].why.specificity > matches[1].why.specificity
    other = ErrorPayload(error_type="LinkerError", message="undefined reference to `helper'")
    assert [m.spell_id for m in rank_spells(other, book)] == [10]


def test_generic_spells_stay_below_specific_ones_even_when_more_specific() -> None:
    catch_all = spell(
        20,
        title="Build failed",
        description="a long generic pattern",
        error_type="Error",
        error_pattern=r"error: linker command failed with exit code \d+",
        generic=True,
    )
    narrow = spell(21, title="Linker failed", error_type="Error", error_pattern=r"linker command")
    book = compile_spellbook([catch_all, narrow])
    payload = ErrorPayload(
        error_type="Error", message="error: linker command failed with exit code 1"
    )
    assert [m.spell_id for m in rank_spells(payload, book)] == [21]
    alone = compile_spellbook([catch_all])
    assert [m.spell_id for m in rank_spells(payload, alone)] == [20]
