"""Match quality from a clean error payload alone: what ``POST /api/match`` is sent.

``evaluate_cilogs`` reads whole logs. A client that already has the error sends only the
error, without the log around it. For each labelled log of the tuning part (the held-out part
is never read here), the root cause the log reading names (its first ``failure`` that is not
an exit line) goes to ``rank_spells`` alone, in two forms:

- ``message``: the error type and message only (``E0382`` / "borrow of moved value: `v`");
- ``error``: with the error's own lines (its traceback, the compiler's diagnostic), no context.

Each distinct (type, message, label) counts once: both logs of a program share their error.

Run: ``python -m tests.quality.evaluate_payloads [--misses]``.
"""

from __future__ import annotations

import sys
from typing import Any

from grimoire.core.matching import Spellbook, rank_spells
from grimoire.core.payload import ErrorPayload
from grimoire.core.rootcause import read_log
from tests.quality.evaluate_cilogs import load_corpus, starter_book

FORMS = ("message", "error")


def clean_payloads(
    logs: list[dict[str, Any]], book: Spellbook, *, form: str
) -> dict[tuple[str, str, str], ErrorPayload]:
    """Return the root-cause payload of each labelled tuning log, in ``form``, by
    (type, message, label)."""
    payloads: dict[tuple[str, str, str], ErrorPayload] = {}
    for log in logs:
        if log["held_out"] or log["expected"] is None:
            continue
        failure = next(
            (
                finding.payload
                for finding in read_log(log["log"], book)
                if finding.role == "failure" and finding.payload.error_type != "ProcessExit"
            ),
            None,
        )
        if failure is None:
            continue  # the log's failure is its exit line: there is no error to send
        payload = ErrorPayload(
            error_type=failure.error_type,
            message=failure.message,
            stack_trace=failure.stack_trace if form == "error" else "",
        )
        payloads.setdefault((payload.error_type, payload.message, log["expected"]), payload)
    return payloads


def evaluate_payloads(logs: list[dict[str, Any]], book: Spellbook, *, form: str) -> dict[str, Any]:
    """Return top-1 and MRR of ranking each clean payload alone, and the misses."""
    payloads = clean_payloads(logs, book, form=form)
    top1, reciprocal, misses = 0, 0.0, []
    for (error_type, message, expected), payload in payloads.items():
        titles = [match.title for match in rank_spells(payload, book, limit=5)]
        rank = titles.index(expected) + 1 if expected in titles else 0
        top1 += rank == 1
        reciprocal += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append((expected, f"{error_type}: {message}"[:100], titles[:2]))
    count = len(payloads) or 1
    return {
        "payloads": len(payloads),
        "top1": top1 / count,
        "mrr": reciprocal / count,
        "misses": misses,
    }


def main() -> None:
    """Print both forms' numbers on the tuning part."""
    logs, book = [log for log in load_corpus() if not log["held_out"]], starter_book()
    for form in FORMS:
        result = evaluate_payloads(logs, book, form=form)
        print(
            f"{form}: {result['payloads']} payloads, top-1 {result['top1']:.3f}, "
            f"MRR {result['mrr']:.3f}"
        )
        if "--misses" in sys.argv:
            for miss in result["misses"]:
                print("   ", miss)


if __name__ == "__main__":
    main()
