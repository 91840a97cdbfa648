"""How specific a pattern is: literal weight, and the alternative that matched."""

from __future__ import annotations

import pytest

from grimoire.core.matching import matched_specificity
from grimoire.core.specificity import MAX_REPEAT_COUNT, alternatives, literal_weight


@pytest.mark.parametrize(
    ("pattern", "weight"),
    [
        ("abc", 3),  # each literal counts 1
        (r"a\d+b", 2),  # classes count 0
        ("a.b", 2),  # so does any character
        ("^ab$", 2),  # and anchors
        ("(?:ab|abcd)", 3),  # an alternation: the mean of its branches
        ("x?y", 1),  # an optional part: nothing (its minimum is 0)
        ("(?:ab){3}", 6),  # a repeat: minimum times its body
        ("a{20}", MAX_REPEAT_COUNT),  # capped
    ],
)
def test_literal_weight(pattern: str, weight: float) -> None:
    assert literal_weight(pattern) == weight


def test_a_pattern_implying_another_weighs_more() -> None:
    generic = r"undefined reference to [`'‘]\S+['’]"
    specific = r"undefined reference to [`'‘](?:sqrt|pow)f?['’]"
    assert literal_weight(specific) > literal_weight(generic)


def test_rre2_only_syntax_falls_back_to_the_literals() -> None:
    assert literal_weight(r"\pL+ failed") > 0


def test_alternatives_split_at_the_top_level_only() -> None:
    assert alternatives(r"a|b(c|d)|[|]|\|") == ("a", "b(c|d)", "[|]", r"\|")
    assert alternatives("single") == ("single",)


def test_the_alternative_that_matched_decides() -> None:
    pattern = r"\$'\\r': command not found|\$'[^']*\\r'"
    assert matched_specificity(pattern, "x.sh: line 3: $'\\r': command not found") == 24
    assert matched_specificity(pattern, "cd: $'dist\\r': No such file") == 5
