"""The dry run: its shortcuts (skipping findings the spell cannot match, ranking each distinct
error once) give exactly what ranking every finding in both spellbooks gives."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from grimoire.core.dryrun import StoredFinding, _payload, dry_run
from grimoire.core.extract import extract_log_errors
from grimoire.core.matching import Spellbook, SpellRecord, compile_spellbook, rank_spells
from grimoire.spellbook import load_starter_spellbook

CASES_PATH = Path(__file__).parent.parent / "quality" / "cases.json"
RECORDS = [draft.record(n) for n, draft in enumerate(load_starter_spellbook(), 1)]
BOOK = compile_spellbook(RECORDS)
MODULE = next(r for r in RECORDS if r.title == "Python module is not installed")


def stored() -> list[StoredFinding]:
    cases = json.loads(Path(CASES_PATH).read_text(encoding="utf-8"))
    payloads = [p for case in cases for p in extract_log_errors(case["output"], BOOK)]
    return [
        StoredFinding(
            analysis_id=n // 3 + 1,
            rank=n % 3 + 1,
            repository="octo/app",
            pr_number=n // 3 + 1,
            path=None,
            line=None,
            error_type=p.error_type,
            message=p.message,
            excerpt=p.context or p.message,
            stack_trace=p.stack_trace,
        )
        for n, p in enumerate(payloads * 2)  # every error twice: recurring failures
    ]


def naive(
    findings: list[StoredFinding], spell_id: int, before: Spellbook, after: Spellbook
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    gained, lost = [], []
    for finding in findings:
        old = next(iter(rank_spells(_payload(finding), before, limit=1)), None)
        new = next(iter(rank_spells(_payload(finding), after, limit=1)), None)
        was, now = (old and old.spell_id) == spell_id, (new and new.spell_id) == spell_id
        if now and not was:
            gained.append((finding.analysis_id, finding.rank))
        if was and not now:
            lost.append((finding.analysis_id, finding.rank))
    return gained, lost


EDITS = {
    "narrowed": msgspec.structs.replace(MODULE, error_pattern=r"No module named '?yaml'?"),
    "broadened": msgspec.structs.replace(
        MODULE, error_pattern=r"No module named|name '\w+' is not defined", error_type="NameError"
    ),
    "new": SpellRecord(
        id=0,
        title="Key missing from a config mapping",
        description="A KeyError on a config key.",
        error_type="KeyError",
        error_pattern=r"KeyError: '\w+'",
        solution_code="config.get('port', 8000)",
    ),
    "broken pattern": msgspec.structs.replace(MODULE, error_pattern="(unclosed"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_the_shortcuts_change_nothing(name: str) -> None:
    edited = EDITS[name]
    findings = stored()
    after = BOOK.with_spell(edited)
    result = dry_run(findings, spell_id=edited.id, before=BOOK, after=after)
    gained = [(c.finding.analysis_id, c.finding.rank) for c in result.gained]
    lost = [(c.finding.analysis_id, c.finding.rank) for c in result.lost]
    assert (gained, lost) == naive(findings, edited.id, BOOK, after)
    assert result.checked == len(findings)
    if name in ("narrowed", "new"):
        assert gained or lost  # the comparison is not vacuous
