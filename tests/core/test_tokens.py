"""The code-aware tokenizer and the literal words of a regex."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grimoire.core.tokens import pattern_literals, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("snake_case_name", ["snake", "case", "name", "snake_case_name"]),
        ("CamelCase", ["camel", "case", "camelcase"]),
        ("camelCase", ["camel", "case", "camelcase"]),
        ("HTTPError", ["http", "error", "httperror"]),
        ("getHTTPResponseCode", ["get", "http", "response", "code", "gethttpresponsecode"]),
        ("IOError", ["io", "error", "ioerror"]),
        ("the error of it", ["error"]),
        ("a 42 0x7f3a2b deadbeefcafe", []),
    ],
)
def test_identifiers_split_the_way_programmers_write_them(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_dotted_error_class_keeps_the_class_name_whole() -> None:
    tokens = tokenize("sqlalchemy.orm.exc.DetachedInstanceError: Instance is not bound")
    assert tokens[:7] == [
        "sqlalchemy",
        "orm",
        "exc",
        "detached",
        "instance",
        "error",
        "detachedinstanceerror",
    ]
    assert "bound" in tokens
    assert "is" not in tokens


def test_paths_split_into_their_parts() -> None:
    assert tokenize('File "/usr/lib/python3.11/json/decoder.py", line 337') == [
        "file",
        "usr",
        "lib",
        "python",
        "python3",
        "json",
        "decoder",
        "py",
        "line",
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"No module named '([^']+)'", ["no", "module", "named"]),
        (r"(?i)connection (refused|reset) by \w+ \d+", ["connection", "refused", "reset"]),
        (r"error\[E0382\]: borrow of moved value", ["error", "e0382", "borrow", "moved", "value"]),
        (r"(?P<name>foo)\.bar{2,3}\x{41}\x41\pL\p{Greek}", ["foo", "bar"]),
        (
            r"can only concatenate str \(not \"\w+\"\) to str",
            ["can", "only", "concatenate", "str", "not"],
        ),
    ],
)
def test_pattern_literals_drop_regex_syntax(pattern: str, expected: list[str]) -> None:
    assert list(dict.fromkeys(tokenize(pattern_literals(pattern)))) == expected


# Property: the tokenizer and the literal extractor take any text without raising, and every
# token is lowercase, at least two characters, and not a stopword.
@settings(max_examples=200)
@given(st.text())
def test_any_text_tokenizes_to_clean_tokens(text: str) -> None:
    for token in tokenize(text) + tokenize(pattern_literals(text)):
        assert token == token.lower()
        assert len(token) >= 2
        assert token not in {"the", "of", "is"}
