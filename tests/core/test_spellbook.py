"""The starter spellbook: every shipped spell is well-formed and passes its own examples."""

from __future__ import annotations

import pytest

from grimoire.core.matching import compile_spellbook, example_problems, rank_spells
from grimoire.core.paths import OUTPUT_FILES, split_globs
from grimoire.core.patterns import pattern_problem
from grimoire.core.payload import ErrorPayload
from grimoire.spellbook import (
    ERROR_FILES,
    SpellDraft,
    load_code_spellbook,
    load_starter_spellbook,
    parse_spellbook,
)

STARTER = load_starter_spellbook()
BOOK = compile_spellbook(draft.record(i) for i, draft in enumerate(STARTER, 1))


def test_the_starter_spellbook_is_large_and_distinct() -> None:
    assert len(STARTER) >= 60
    assert len({spell.title for spell in STARTER}) == len(STARTER)
    assert len({spell.error_pattern for spell in STARTER}) == len(STARTER)


@pytest.mark.parametrize("spell", STARTER, ids=lambda spell: spell.title)
def test_each_spell_compiles_and_passes_its_examples(spell: SpellDraft) -> None:
    assert pattern_problem(spell.error_pattern) is None
    assert spell.examples, "every spell shows at least one real error line"
    assert example_problems(spell.error_pattern, spell.examples, spell.counter_examples) == []
    assert all(field.strip() for field in (spell.title, spell.description, spell.solution_code))
    assert 1 <= len(spell.error_type) <= 100 and len(spell.title) <= 255
    assert spell.tags


def sample_path(spell: SpellDraft) -> str | None:
    """A path the spell applies to (its first glob, ``*`` filled in), or None for a log."""
    globs = split_globs(spell.applies_to)
    return globs[0].replace("*", "example") if globs else None


@pytest.mark.parametrize("spell", STARTER, ids=lambda spell: spell.title)
def test_each_spell_ranks_first_for_its_own_examples(spell: SpellDraft) -> None:
    for example in spell.examples:
        payload = ErrorPayload(
            error_type=spell.error_type, message=example, path=sample_path(spell)
        )
        titles = [match.title for match in rank_spells(payload, BOOK)]
        assert titles[:1] == [spell.title]


def test_generic_spells_are_flagged() -> None:
    generic = {spell.title for spell in STARTER if spell.generic}
    assert {"Segmentation fault", "Process completed with a non-zero exit code"} <= generic


def test_parse_spellbook() -> None:
    text = """
- title: Disk full
  description: The disk is full.
  error_type: OSError
  error_pattern: 'No space left on device'
  solution_code: df -h
  tags: [disk]
  examples: ["OSError: [Errno 28] No space left on device"]
"""
    [draft] = parse_spellbook(text)
    assert draft.tags == ("disk",) and draft.tag_string == "disk" and not draft.generic
    record = draft.record(7)
    assert (record.id, record.title, record.examples) == (7, "Disk full", draft.examples)
    assert parse_spellbook("") == []
    assert draft.applies_to == ""
    [scoped] = parse_spellbook(text.replace("  tags:", "  applies_to: '*.py,*.pyi'\n  tags:"))
    assert scoped.applies_to == "*.py,*.pyi" and scoped.record(1).applies_to == "*.py,*.pyi"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("title: not a list", "YAML list"),
        ("- title: only a title", "spell [0]"),
        (
            "- {title: t, description: d, error_type: e, error_pattern: p, solution_code: s, x: 1}",
            "spell [0]",
        ),
    ],
)
def test_parse_spellbook_names_the_bad_entry(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        parse_spellbook(text)


def test_the_error_book_reads_output_and_the_code_book_reads_code() -> None:
    errors = load_starter_spellbook(ERROR_FILES)
    code = load_code_spellbook()
    assert len(code) >= 60 and len(errors) + len(code) == len(STARTER)
    assert {spell.applies_to for spell in errors} == {OUTPUT_FILES}
    assert all(spell.applies_to and spell.counter_examples for spell in code)
    assert {"LeakedSecret", "DebuggerLeftover", "InsecureCall", "DeprecatedAPI"} <= {
        spell.error_type for spell in code
    }
