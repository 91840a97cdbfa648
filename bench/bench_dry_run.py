"""Benchmark the dry run of a spell edit: ranking the newest 2,000 stored findings twice.

The spellbook is the starter spellbook, optionally padded with copies (renamed, so they do not
win) up to ``--spells``; the findings are the errors of tests/quality/cases.json (real tool
output), repeated to 2,000 (``grimoire.dryruns.DRY_RUN_FINDINGS``). The edit replaces the pattern
of "Python module is not installed". Pure core, no database: the database read is one indexed
query of 2,000 rows.

Run: ``python bench/bench_dry_run.py [--spells 94,1000,10000] [--repeat 3] [--distinct]`` —
prints the time per dry run (best of the repeats) and the findings gained and lost. The cases
give about 100 distinct errors, so the default run has recurring failures (as real pull requests
do, and as the dry run exploits by ranking each distinct error once); ``--distinct`` makes every
finding's message unique, the worst case.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import msgspec

from grimoire.core.dryrun import StoredFinding, dry_run
from grimoire.core.extract import extract_log_errors
from grimoire.core.matching import SpellRecord, compile_spellbook
from grimoire.dryruns import DRY_RUN_FINDINGS
from grimoire.spellbook import load_starter_spellbook

CASES = Path(__file__).parent.parent / "tests" / "quality" / "cases.json"


def spellbook(size: int) -> list[SpellRecord]:
    starter = [draft.record(n) for n, draft in enumerate(load_starter_spellbook(), 1)]
    records = list(starter)
    while len(records) < size:
        base = starter[len(records) % len(starter)]
        records.append(
            msgspec.structs.replace(
                base, id=len(records) + 1, title=f"{base.title} (copy {len(records)})"
            )
        )
    return records


def findings(book_records: list[SpellRecord], *, distinct: bool) -> list[StoredFinding]:
    book = compile_spellbook(book_records)
    errors = [
        payload
        for case in json.loads(CASES.read_text(encoding="utf-8"))
        for payload in extract_log_errors(case["output"], book)
    ]
    return [
        StoredFinding(
            analysis_id=n // 5 + 1,
            rank=n % 5 + 1,
            repository="octo/app",
            pr_number=n // 5 + 1,
            path=None,
            line=None,
            error_type=payload.error_type,
            message=f"{payload.message} (#{n})" if distinct else payload.message,
            excerpt=payload.context or payload.message,
            stack_trace=payload.stack_trace,
        )
        for n, payload in enumerate(errors[n % len(errors)] for n in range(DRY_RUN_FINDINGS))
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spells", default="94,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="make every finding's message unique (the worst case: nothing recurs)",
    )
    args = parser.parse_args()
    for size in (int(s) for s in args.spells.split(",")):
        records = spellbook(size)
        stored = findings(records, distinct=args.distinct)
        before = compile_spellbook(records)
        target = next(r for r in records if r.title == "Python module is not installed")
        edited = msgspec.structs.replace(target, error_pattern=r"No module named '?yaml'?")
        after = before.with_spell(edited)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = dry_run(stored, spell_id=target.id, before=before, after=after)
            times.append(time.perf_counter() - start)
        print(
            f"{size:>6} spells, {result.checked} findings: {min(times) * 1000:7.0f} ms "
            f"(gained {len(result.gained)}, lost {len(result.lost)})"
        )


if __name__ == "__main__":
    main()
