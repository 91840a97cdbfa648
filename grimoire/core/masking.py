"""Secrets never leave in full: what a finding shows of a credential is a masked prefix.

A spell tagged ``secret`` (``MASK_TAG``) finds credentials. Before a finding is stored or
reported, every match of every such spell in its message, excerpt and stack trace is masked:
the secret part (the pattern's first capture group when it has one, else the whole match) keeps
its first ``KEEP`` characters and the rest become ``*``. The lines of a key's body (a line that
is only a long base64 run, as in a PEM block) are masked whole, since the spell that found the
key matched its header line, not them. Masking applies to every finding, so a key next to a
``breakpoint()`` is masked in that finding's excerpt too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import re2

from grimoire.core.matching import Spellbook, SpellRecord
from grimoire.core.regexsets import compile_line_pattern

MASK_TAG = "secret"
KEEP = 4
_KEY_BODY = re.compile(r"^(\s*)([A-Za-z0-9+/]{40,}={0,2})(\s*)$", re.MULTILINE)


def secret_spells(book: Spellbook | Iterable[SpellRecord]) -> list[SpellRecord]:
    """Return the spells that find credentials (tagged ``secret``)."""
    return [spell for spell in book if MASK_TAG in spell.tags]


def mask(secret: str) -> str:
    """Return ``secret`` with all but its first ``KEEP`` characters replaced by ``*``."""
    keep = min(KEEP, len(secret) // 4)
    return secret[:keep] + "*" * (len(secret) - keep)


def mask_secrets(text: str, spells: Sequence[SpellRecord]) -> str:
    """Return ``text`` with every credential the ``spells`` find, and every key body, masked."""
    for spell in spells:
        regex = _regex(spell.error_pattern)
        if regex is not None and regex.search(text):
            text = _mask_matches(text, regex)
    return _KEY_BODY.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)


def _mask_matches(text: str, regex: re2._Regexp) -> str:
    pieces, last = [], 0
    for match in regex.finditer(text):
        group = 1 if regex.groups and match.group(1) is not None else 0
        if regex.groups and group == 0:
            continue  # the secret part did not take part (e.g. a key header alone)
        start, end = match.span(group)
        pieces += [text[last:start], mask(text[start:end])]
        last = end
    return "".join(pieces) + text[last:]


@functools.lru_cache(maxsize=1024)
def _regex(pattern: str) -> re2._Regexp | None:
    try:
        return compile_line_pattern(pattern)
    except re2.error:
        return None
