"""Every spell pattern in a few RE2 sets: one pass over a text names every pattern that matches.

Semantics. A pattern matches a text when it matches within one line of it: each pattern is
compiled with ``(?m)`` (``^`` and ``$`` at line boundaries) and ``never_nl`` (``.``, ``\\s`` and
negated classes never cross a newline). So a search over a whole CI log finds exactly the
patterns that match some line of it, and ``compile_line_pattern`` gives the single pattern with
the same meaning, for locating those lines.

Layout. Patterns live in shards, each an ``re2.Set`` of at most ``SHARD_SIZE`` patterns: one
set would be fastest to search but slowest to rebuild. ``PatternSets`` is immutable;
``with_pattern`` and ``without`` return a new value that shares every untouched shard. A changed
pattern goes to the last shard, rebuilt while it is small (``TAIL_SIZE``); a full tail is sealed
and the next change opens a new one; two neighbouring small shards merge once the younger one
reaches half the size of the older (the "logarithmic method"), so a stream of changes costs
amortised O(log n) rebuilds per pattern and the number of shards stays O(log n + n / SHARD_SIZE).
A replaced or deleted pattern stays in its old shard, dead: ``home`` records the one shard whose
hits count for each spell, and a shard more than half dead is rebuilt from its live patterns.
The result of a search depends only on the live patterns, never on the layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import re2

from grimoire.core.patterns import pattern_options

SHARD_SIZE = 8192
"""Patterns per shard built at once: ~10 shards at 100k spells keeps a 1 MB log under 20 ms."""
TAIL_SIZE = 256
"""A shard smaller than this is rebuilt in place on a change (~5 ms); a larger one is sealed."""
SHARD_MEMORY = 256 << 20
"""RE2 memory budget per shard (program + DFA cache); a shard that needs more is split."""


def set_options() -> re2.Options:
    """Return the RE2 options of the pattern sets and of ``compile_line_pattern``."""
    options = pattern_options()
    options.never_nl = True
    options.max_mem = SHARD_MEMORY
    return options


def utf8(text: str) -> bytes:
    """Return ``text`` as the UTF-8 bytes RE2 reads (lone surrogates from JSON kept, not fatal)."""
    return text.encode("utf-8", "surrogatepass")


def line_form(pattern: str) -> str:
    """Return ``pattern`` with ``^``/``$`` at line boundaries (valid iff ``pattern`` is)."""
    return "(?m)" + pattern


def compile_line_pattern(pattern: str) -> re2._Regexp:
    """Compile one spell pattern with the line semantics of the sets; raise ``re2.error``."""
    return re2.compile(line_form(pattern), set_options())


class _Shard:
    """One compiled ``re2.Set``: pattern ``i`` in the set is spell ``ids[i]``."""

    __slots__ = ("ids", "patterns", "regex_set")

    def __init__(self, ids: tuple[int, ...], patterns: tuple[str, ...], regex_set: re2.Set):
        self.ids = ids
        self.patterns = patterns
        self.regex_set = regex_set


class PatternSets:
    """The compiled patterns of a spellbook, searched in one pass per shard."""

    __slots__ = ("_home", "_live", "_shards", "broken")

    def __init__(
        self,
        shards: tuple[_Shard, ...],
        home: dict[int, _Shard],
        live: dict[_Shard, int],
        broken: frozenset[int],
    ) -> None:
        self._shards = shards
        self._home = home
        self._live = live
        self.broken = broken
        """Ids of spells whose pattern RE2 refuses: they match by keywords only."""

    @classmethod
    def build(cls, patterns: Mapping[int, str]) -> PatternSets:
        """Compile ``{spell_id: pattern}`` into sets, in id order so the layout is canonical."""
        usable = {i: p for i, p in sorted(patterns.items()) if p.strip()}
        ids = tuple(usable)
        shards = tuple(
            shard
            for start in range(0, len(ids), SHARD_SIZE)
            for shard in _compile(ids[start : start + SHARD_SIZE], usable)
        )
        compiled = {spell_id for shard in shards for spell_id in shard.ids}
        return cls._assemble(shards, frozenset(patterns) - compiled)

    @classmethod
    def _assemble(cls, shards: tuple[_Shard, ...], broken: frozenset[int]) -> PatternSets:
        home = {spell_id: shard for shard in shards for spell_id in shard.ids}
        return cls(shards, home, {shard: len(shard.ids) for shard in shards}, broken)

    def search(self, text: str | bytes) -> tuple[int, ...]:
        """Return the sorted ids of the spells whose pattern matches a line of ``text``."""
        if isinstance(text, str):
            text = utf8(text)
        home = self._home
        hits = [
            spell_id
            for shard in self._shards
            for index in shard.regex_set.Match(text) or ()
            if home.get(spell_id := shard.ids[index]) is shard
        ]
        hits.sort()
        return tuple(hits)

    def with_pattern(self, spell_id: int, pattern: str) -> PatternSets:
        """Return these sets with spell ``spell_id`` matching ``pattern`` (added or replaced)."""
        removed = self.without(spell_id)
        if not _compiles(pattern):
            return PatternSets(
                removed._shards, removed._home, removed._live, removed.broken | {spell_id}
            )
        shards = list(removed._shards)
        tail = shards.pop() if shards and len(shards[-1].ids) < TAIL_SIZE else None
        entries = _live_entries(tail, removed._home) if tail else {}
        entries[spell_id] = pattern
        shards.extend(_compile(tuple(sorted(entries)), entries))
        return removed._replace(shards, dropped=(tail,) if tail else ())._merged()

    def without(self, spell_id: int) -> PatternSets:
        """Return these sets without spell ``spell_id`` (the same sets if it has no pattern)."""
        broken = self.broken - {spell_id}
        shard = self._home.get(spell_id)
        if shard is None:
            return (
                self
                if broken == self.broken
                else PatternSets(self._shards, self._home, self._live, broken)
            )
        home = dict(self._home)
        del home[spell_id]
        live = dict(self._live)
        live[shard] -= 1
        sets = PatternSets(self._shards, home, live, broken)
        if live[shard] * 2 >= len(shard.ids):
            return sets
        entries = _live_entries(shard, home)
        rebuilt = _compile(tuple(sorted(entries)), entries)
        index = self._shards.index(shard)
        shards = [*self._shards[:index], *rebuilt, *self._shards[index + 1 :]]
        return sets._replace(shards, dropped=(shard,))

    def _replace(self, shards: list[_Shard], *, dropped: Iterable[_Shard]) -> PatternSets:
        home = dict(self._home)
        live = dict(self._live)
        for shard in dropped:
            live.pop(shard, None)
        for shard in shards:
            if shard not in live:
                live[shard] = len(shard.ids)
                home.update(dict.fromkeys(shard.ids, shard))
        return PatternSets(tuple(shards), home, live, self.broken)

    def _merged(self) -> PatternSets:
        sets = self
        while len(sets._shards) >= 2:
            older, younger = sets._shards[-2], sets._shards[-1]
            if len(older.ids) >= SHARD_SIZE or len(younger.ids) * 2 < len(older.ids):
                return sets
            entries = _live_entries(older, sets._home) | _live_entries(younger, sets._home)
            merged = _compile(tuple(sorted(entries)), entries)
            sets = sets._replace([*sets._shards[:-2], *merged], dropped=(older, younger))
        return sets


def _live_entries(shard: _Shard, home: Mapping[int, _Shard]) -> dict[int, str]:
    return {i: p for i, p in zip(shard.ids, shard.patterns, strict=True) if home.get(i) is shard}


def _compiles(pattern: str) -> bool:
    try:
        compile_line_pattern(pattern)
    except re2.error:
        return False
    return bool(pattern.strip())


def _compile(ids: tuple[int, ...], patterns: Mapping[int, str]) -> list[_Shard]:
    """Compile one shard, leaving out patterns RE2 refuses; split it when it needs more memory.

    ``Set.Add`` parses each pattern, so a refused one costs no extra compilation.
    """
    regex_set = re2.Set.SearchSet(set_options())
    added: list[int] = []
    for spell_id in ids:
        try:
            regex_set.Add(line_form(patterns[spell_id]))
        except re2.error:
            continue
        added.append(spell_id)
    if not added:
        return []
    try:
        regex_set.Compile()
    except re2.error:
        if len(added) == 1:
            return []
        half = len(added) // 2
        return _compile(tuple(added[:half]), patterns) + _compile(tuple(added[half:]), patterns)
    return [_Shard(tuple(added), tuple(patterns[i] for i in added), regex_set)]
