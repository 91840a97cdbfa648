"""Words for keyword matching: a tokenizer that understands code, and the literal words of a regex.

``tokenize`` splits identifiers the way programmers write them (``snake_case``, ``CamelCase``,
``HTTPError``, ``pkg.mod.ClassName``, ``src/app/models.py``), lowercases, and drops noise: tokens
shorter than two characters, numbers and hex addresses, and a short list of English stopwords.
A compound identifier is kept whole as well as split, so ``DetachedInstanceError`` yields
``detached``, ``instance``, ``error`` and ``detachedinstanceerror``: the parts find related spells,
the whole finds the exact one.
"""

from __future__ import annotations

import functools
import re

# Identifiers, optionally dotted (module paths, Java packages); everything else separates tokens.
_WORD = re.compile(r"[A-Za-z0-9_$]+(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
# CamelCase humps: an acronym before a capitalised word (HTTP|Error), a word, an acronym, digits.
_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_NOISE = re.compile(r"[0-9]+|0x[0-9a-f]+|[0-9a-f]{7,}")
MIN_LENGTH = 2
_STOPWORD_TEXT = (
    "a an and are as at be been but by for from had has have if in into is it its of on or "
    "than that the their then there these this those to was were when where which while who "
    "will with"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split(" "))


def tokenize(text: str) -> list[str]:
    """Return the lowercase search tokens of ``text`` in order, compounds kept whole too."""
    tokens: list[str] = []
    for match in _WORD.finditer(text):
        for part in match.group().split("."):
            tokens.extend(_identifier_tokens(part))
    return tokens


# Error texts repeat their identifiers (paths, frames, class names): splitting each distinct one
# once took tokenizing from about a quarter of ranking's time to a few percent.
@functools.lru_cache(maxsize=1 << 16)
def _identifier_tokens(identifier: str) -> tuple[str, ...]:
    pieces = [hump for chunk in identifier.split("_") for hump in _HUMP.findall(chunk)]
    tokens = [token for piece in pieces if _keep(token := piece.lower())]
    if len(pieces) > 1 and _keep(whole := identifier.lower().strip("_$")):
        tokens.append(whole)
    return tuple(tokens)


def _keep(token: str) -> bool:
    return len(token) >= MIN_LENGTH and token not in STOPWORDS and _NOISE.fullmatch(token) is None


# Escapes that stand for a class of characters or a position, not a literal character.
_CLASS_ESCAPES = frozenset("dDwWsSbBAzCQEpPx")


def pattern_literals(pattern: str) -> str:
    """Return the literal text of an RE2 pattern: metacharacters, escapes and classes removed."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            i = _skip_escape(pattern, i, out)
            continue
        if char == "[":
            i = _skip_class(pattern, i)
            out.append(" ")
            continue
        if char == "(" and pattern.startswith("?", i + 1):
            i = _skip_group_prefix(pattern, i)
            continue
        if char == "{" and (closing := pattern.find("}", i)) != -1:
            i = closing + 1
            continue
        out.append(" " if char in "()|*+?^$." else char)
        i += 1
    return "".join(out)


def _skip_escape(pattern: str, i: int, out: list[str]) -> int:
    escaped = pattern[i + 1]
    if escaped in "pPx" and pattern.startswith("{", i + 2):
        closing = pattern.find("}", i)
        return len(pattern) if closing == -1 else closing + 1
    if escaped in _CLASS_ESCAPES or escaped.isdigit():
        out.append(" ")
        return i + (4 if escaped == "x" else 2)
    out.append(" " if escaped in "ntrfv" else escaped)
    return i + 2


def _skip_class(pattern: str, i: int) -> int:
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _skip_group_prefix(pattern: str, i: int) -> int:
    """Skip ``(?:``, ``(?i)``, ``(?P<name>``, ``(?<name>``; the body stays."""
    j = i + 2
    if pattern.startswith(("P<", "<"), j):
        closing = pattern.find(">", j)
        return len(pattern) if closing == -1 else closing + 1
    while j < len(pattern) and pattern[j] not in ":)":
        j += 1
    return j + 1
