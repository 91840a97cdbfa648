"""Spell patterns: RE2 syntax, checked before they are stored.

Patterns run against pull-request text written by anyone, so they must run in linear time. RE2
guarantees that by leaving out the features that need backtracking: look-arounds and
back-references are refused here on purpose, with a message that says so.
"""

from __future__ import annotations

import re

import re2

_UNSUPPORTED_HINTS: tuple[tuple[str, str], ...] = (
    ("invalid perl operator: (?=", "look-ahead (?=...) is not supported"),
    ("invalid perl operator: (?!", "negative look-ahead (?!...) is not supported"),
    ("invalid perl operator: (?<=", "look-behind (?<=...) is not supported"),
    ("invalid perl operator: (?<!", "negative look-behind (?<!...) is not supported"),
    ("invalid perl operator: (?>", "atomic groups (?>...) are not supported"),
)
_BACKREFERENCE = re.compile(r"invalid escape sequence: \\[1-9kg]")
_WHY_RE2 = "patterns use RE2 syntax so they run in linear time on untrusted pull-request text"


def pattern_options() -> re2.Options:
    """Return the RE2 options every spell pattern is compiled with."""
    options = re2.Options()
    options.log_errors = False  # RE2 otherwise writes every refused pattern to stderr
    return options


def pattern_problem(pattern: str) -> str | None:
    """Return why ``pattern`` is not a usable RE2 pattern, or ``None`` when it compiles."""
    if not pattern.strip():
        return "the pattern is empty"
    try:
        regex = re2.compile(pattern, pattern_options())
    except re2.error as exc:
        reason = _reason(exc)
        if _BACKREFERENCE.search(reason):
            return f"back-references (\\1, \\k<name>) are not supported: {_WHY_RE2} ({reason})"
        for needle, hint in _UNSUPPORTED_HINTS:
            if needle in reason:
                return f"{hint}: {_WHY_RE2} ({reason})"
        return f"RE2 cannot compile it: {reason}"
    if regex.search("") is not None:
        # ".*" or "(?i)" would match every line of every pull request and log.
        return "the pattern matches the empty string, so it would match every line"
    return None


def _reason(exc: re2.error) -> str:
    raw = exc.args[0] if exc.args else str(exc)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
