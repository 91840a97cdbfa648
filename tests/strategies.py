"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

_NON_BLANK = re.compile(r"^[^\x00]*[^\x00\s][^\x00]*$")

# Any Unicode a JSON client can send: no surrogates (not encodable), no NUL (refused by schema).
characters = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def text(*, max_size: int) -> st.SearchStrategy[str]:
    """Non-blank text without NUL, up to ``max_size`` characters."""
    return st.text(characters, min_size=1, max_size=max_size).filter(
        lambda value: _NON_BLANK.match(value) is not None
    )


# RE2-compatible patterns, escaped literals plus a few constructs.
patterns = st.one_of(
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,20}\Z").map(lambda word: rf"{word}\s*\d+"),
    text(max_size=40).map(re.escape),
    st.sampled_from([r"ModuleNotFoundError: No module named '(\w+)'", r"(?i)segmentation fault"]),
)


def spell_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Valid spell bodies for POST/PUT /api/spells: unicode, long text, empty or absent tags."""
    return st.fixed_dictionaries(
        {
            "title": text(max_size=255),
            "description": text(max_size=5000),
            "error_type": text(max_size=100),
            "error_pattern": patterns,
            "solution_code": text(max_size=5000),
        },
        optional={"tags": st.one_of(st.just(""), st.text(characters, max_size=200), st.none())},
    )
