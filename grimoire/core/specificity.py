"""How specific a spell's pattern is: the literal text a match of it must contain.

When several spells' patterns match the same error, the one whose pattern says more about it
explains it better: ``undefined reference to `(sqrt|pow|…)'`` over ``undefined reference to
`\\S+'``, ``ReferenceError: (describe|it|…) is not defined`` over ``ReferenceError: [\\w$]+ is
not defined``. ``literal_weight`` measures that as the number of literal characters any match
must contain: a literal counts 1; classes, ``.`` and anchors 0; a repeat its minimum times its
body; an alternation the mean of its branches (a list of specific words is specific, though its
shortest word is short). A pattern that implies another (it matches only text the other
matches) contains the other's literals, so it weighs at least as much.

Pure and deterministic: the weight depends on the pattern text alone.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from grimoire.core.tokens import pattern_literals

MAX_REPEAT_COUNT = 8
"""A repeat counts at most this many copies of its body (``a{1000}`` is not 1000 times as
specific as ``a``)."""

# The stdlib's regex parser reads RE2 syntax too (RE2 is a subset, bar a few escapes); its
# ``sre_parse`` alias warns on import since 3.11, the module itself does not.
_parser: Any = importlib.import_module("re._parser")


@functools.lru_cache(maxsize=65536)
def literal_weight(pattern: str) -> float:
    """Return the literal characters a match of ``pattern`` must contain (see the module)."""
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # RE2-only syntax: count the literals the tokenizer sees
        return float(len(pattern_literals(pattern).replace(" ", "")))
    return _weight(parsed)


def _weight(items: Any) -> float:
    total = 0.0
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            total += 1
        elif name == "SUBPATTERN":
            total += _weight(value[-1])
        elif name == "ATOMIC_GROUP":
            total += _weight(value)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, body = value
            total += min(low, MAX_REPEAT_COUNT) * _weight(body)
        elif name == "BRANCH":
            branches = value[1]
            total += sum(_weight(branch) for branch in branches) / len(branches)
    return total


@functools.lru_cache(maxsize=65536)
def alternatives(pattern: str) -> tuple[str, ...]:
    """Split ``pattern`` at its top-level ``|`` (outside groups, classes and escapes)."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return tuple(parts)
