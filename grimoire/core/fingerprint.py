"""Fingerprints of errors: the same failure recognised across runs, pull requests and branches.

The text of an error (its type and message) is normalised — paths lose their directories,
temporary names, timestamps, durations, hex ids and numbers become placeholders, spaces are
collapsed — and hashed. Two runs that fail the same way on different machines, at different
times, in different checkouts get the same fingerprint.

A fingerprint names its normalisation's version (``v1-…``): changing the rules below means a new
version, so old and new fingerprints never compare equal by accident.
"""

from __future__ import annotations

import hashlib
import re

FINGERPRINT_VERSION = 1
FINGERPRINT_PATTERN = r"^v[0-9]+-[0-9a-f]{16}$"

# Order matters: each rule sees the text the rules before it left.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # 2024-05-01T12:00:00.123Z, 2024-05-01 12:00:00+02:00, 12:00:00.5
    (
        re.compile(
            r"\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
            r"|\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b"
        ),
        "<time>",
    ),
    # UUIDs, addresses, then hex ids of 7+ characters with a digit (commit SHAs, hashes): the
    # same placeholder as numbers, as a long number and a hex id cannot be told apart
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<id>",
    ),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{7,}\b"), "<n>"),
    # temporary names: tmpab12_cd, pytest-of-runner/pytest-3, /tmp/…, %TEMP%
    (re.compile(r"\b(?:tmp|temp)[\w.-]*", re.IGNORECASE), "<tmp>"),
    # directories of paths (POSIX and Windows): /home/runner/work/a/b.py → b.py
    (re.compile(r"(?:\b[A-Za-z]:)?(?:[\w.~<>@+-]*[/\\])+(?=[\w.<>-])"), ""),
    # durations: 0.35s, 12 ms, 3 minutes
    (
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b",
            re.IGNORECASE,
        ),
        "<duration>",
    ),
    # every other number: line and column numbers, counts, ports, pids
    (re.compile(r"\d+(?:\.\d+)*"), "<n>"),
    (re.compile(r"\s+"), " "),
)
_MAX_CHARS = 2000


def normalise_error(text: str) -> str:
    """Return the error text with what varies from run to run replaced by placeholders."""
    text = text[:_MAX_CHARS]
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip()


def fingerprint(error_type: str, message: str) -> str:
    """Return the versioned fingerprint of an error: ``v1-`` and 16 hex digits."""
    normal = normalise_error(f"{error_type}\n{message}")
    digest = hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"v{FINGERPRINT_VERSION}-{digest}"
