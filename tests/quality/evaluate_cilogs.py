"""Evaluate root-cause matching on the CI log corpus: top-1, MRR and false answers, per part.

Each log goes through ``explain_log`` (what ``POST /api/match/log`` and ``grimoire match``
answer). The answer's ranked titles are read in the order the errors are presented, skipping
warnings; generic spells ("exit code 1") come after every specific one. A log labelled ``None``
(no starter spell explains it) that gets a specific spell is a false answer.

Run: ``python -m tests.quality.evaluate_cilogs [--misses] [--tuning-only]``: ``--misses``
lists the tuning part's misses (never the held-out part's); ``--tuning-only`` skips the
held-out part, so tuning never measures it by accident.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

from grimoire.core.explain import LogError, explain_log
from grimoire.core.matching import Spellbook, compile_spellbook
from grimoire.spellbook import load_starter_spellbook

CORPUS = Path(__file__).with_name("cilogs.json.gz")
TUNING_ONLY = (
    Path(__file__).with_name("cilogs_tuning.json.gz"),
    Path(__file__).with_name("cilogs_variants.json.gz"),
)
"""Logs added later for tuning only (``cilog_tuning.py``, ``cilog_variants.py``): never in the
held-out part."""


def load_corpus() -> list[dict[str, Any]]:
    """Return the logs of the corpus, each with its label, part and source file: the split
    corpus, then the tuning-only logs (``held_out`` false whatever their name hashes to)."""
    logs: list[dict[str, Any]] = []
    for path in (CORPUS, *TUNING_ONLY):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            part: list[dict[str, Any]] = json.load(f)
        if path in TUNING_ONLY:
            assert not any(log["held_out"] for log in part), "tuning-only logs are held out"
        logs += [{**log, "source": path.name.split(".")[0]} for log in part]
    return logs


def starter_book() -> Spellbook:
    """Return the starter spellbook, compiled."""
    return compile_spellbook(d.record(i) for i, d in enumerate(load_starter_spellbook(), 1))


def answer_titles(errors: list[LogError], *, generic: bool = False) -> list[str]:
    """Return the spell titles in the order a reader meets them, warnings skipped: specific
    spells, then (``generic``) the generic ones."""
    titles = [
        match.title
        for error in errors
        if error.role != "warning"
        for match in error.matches
        if not match.generic
    ]
    if generic:
        titles += [
            match.title
            for error in errors
            if error.role != "warning"
            for match in error.matches
            if match.generic
        ]
    return list(dict.fromkeys(titles))


def evaluate(logs: list[dict[str, Any]], book: Spellbook) -> dict[str, Any]:
    """Return top-1, MRR, false answers and the misses of a set of logs."""
    positives = negatives = top1 = false_answers = 0
    reciprocal = 0.0
    misses = []
    for log in logs:
        errors = explain_log(log["log"], book, limit=5)
        titles = answer_titles(errors, generic=True)
        if log["expected"] is None:
            negatives += 1
            if answer_titles(errors):
                false_answers += 1
                misses.append((log["name"], None, titles[:3]))
            continue
        positives += 1
        rank = titles.index(log["expected"]) + 1 if log["expected"] in titles else 0
        reciprocal += 1 / rank if rank else 0.0
        top1 += rank == 1
        if rank != 1:
            misses.append((log["name"], log["expected"], titles[:3]))
    return {
        "logs": len(logs),
        "positives": positives,
        "negatives": negatives,
        "top1": top1 / positives if positives else 0.0,
        "mrr": reciprocal / positives if positives else 0.0,
        "false_answers": false_answers,
        "misses": misses,
    }


def main() -> None:
    """Print the numbers of both parts, and of each source file of the tuning part."""
    logs, book = load_corpus(), starter_book()
    tuning = [log for log in logs if not log["held_out"]]
    sources = dict.fromkeys(log["source"] for log in tuning)
    parts = [("tuning", tuning)]
    parts += [
        (f"  of which {source}", [g for g in tuning if g["source"] == source]) for source in sources
    ]
    if "--tuning-only" not in sys.argv:  # the held-out part is measured rarely, in aggregate
        parts.append(("held-out", [log for log in logs if log["held_out"]]))
    for part, chosen in parts:
        result = evaluate(chosen, book)
        print(
            f"{part}: {result['logs']} logs ({result['positives']} labelled, "
            f"{result['negatives']} no spell explains): top-1 {result['top1']:.3f}, "
            f"MRR {result['mrr']:.3f}, false answers {result['false_answers']}/"
            f"{result['negatives']}"
        )
        if "--misses" in sys.argv and part == "tuning":
            for miss in result["misses"]:
                print("   ", miss)


if __name__ == "__main__":
    main()
