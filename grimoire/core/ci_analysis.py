"""A failed CI job's text read for its root cause, fingerprinted, with the spells that explain it.

Pure: the log text (already narrowed to the failed step) and the spellbook in, a ``JobFailure``
out. The errors come root cause first (``rootcause``: runner markers stripped, each error given
a role); a warning is never taken for the failure. Each error carries the fingerprint that
recognises it in other runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from grimoire.core.explain import explain_log
from grimoire.core.fingerprint import fingerprint
from grimoire.core.matching import Spellbook

EXCERPT_CHARS = 2000
MAX_ERRORS = 10
Classification = Literal["new", "default_branch", "other_pulls"]


class SpellHit(msgspec.Struct, frozen=True, kw_only=True):
    """A spell that explains a job's root cause, with its fix."""

    spell_id: int
    title: str
    score: float
    why: str
    solution: str


class ErrorSeen(msgspec.Struct, frozen=True, kw_only=True):
    """Another error of the failed step (after the root cause)."""

    error_type: str
    message: str
    fingerprint: str
    role: str


class JobFailure(msgspec.Struct, frozen=True, kw_only=True):
    """What made a job fail: its root-cause line and excerpt, fingerprint, spells, other errors."""

    error_type: str
    root_cause: str
    excerpt: str
    fingerprint: str
    spells: tuple[SpellHit, ...]
    errors: tuple[ErrorSeen, ...]


def read_job_failure(text: str, book: Spellbook, *, limit: int = 3) -> JobFailure | None:
    """Return the root cause of a failed job's log and the spells for it; None if no error."""
    found = explain_log(text, book, limit=limit)
    failing = [error for error in found if error.role != "warning"]
    if not failing:
        return None
    root = failing[0]
    rest = [error for error in found if error is not root]
    hits = tuple(
        SpellHit(
            spell_id=match.spell_id,
            title=match.title,
            score=match.score,
            why=_why(match.why.pattern, match.why.error_type, match.why.terms),
            solution=match.solution_code,
        )
        for match in root.matches
    )
    return JobFailure(
        error_type=root.error_type,
        root_cause=root.message,
        excerpt=(root.stack_trace or root.context or root.message)[:EXCERPT_CHARS],
        fingerprint=fingerprint(root.error_type, root.message),
        spells=hits,
        errors=tuple(
            ErrorSeen(
                error_type=error.error_type,
                message=error.message,
                fingerprint=fingerprint(error.error_type, error.message),
                role=error.role,
            )
            for error in rest[:MAX_ERRORS]
        ),
    )


def check_run_text(
    *,
    title: str | None,
    summary: str | None,
    text: str | None,
    annotations: Sequence[tuple[str | None, int | None, str, str | None]],
) -> str:
    """Return another CI app's check run as a log: its output, then its annotations' messages.

    Each annotation is ``(path, line, message, title)``; it becomes ``path:line: message``, the
    shape compilers and linters print, so the extractors read it as they read a log.
    """
    lines = [part for part in (title, summary, text) if part]
    for path, line, message, heading in annotations:
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        lines.append(f"{where}{heading + ': ' if heading else ''}{message}")
    return "\n".join(lines)


def classify(*, on_default_branch: bool, other_pulls: int) -> Classification:
    """Classify a pull request's failure by where else its fingerprint was seen."""
    if on_default_branch:
        return "default_branch"
    if other_pulls:
        return "other_pulls"
    return "new"


def describe_classification(classification: str | None, other_pulls: int) -> str:
    """Say a classification in words, for the comment."""
    if classification == "default_branch":
        return "also on the default branch: not this pull request's fault (broken trunk)"
    if classification == "other_pulls":
        prs = "pull request" if other_pulls == 1 else "pull requests"
        return f"seen in {other_pulls} other {prs} this week: likely flaky or infrastructure"
    return "new: only in this pull request"


def _why(pattern: bool, error_type: bool, terms: Sequence[str]) -> str:
    reasons = []
    if pattern:
        reasons.append("its pattern matches")
    if error_type:
        reasons.append("same error type")
    if terms:
        reasons.append("shared terms: " + ", ".join(terms))
    return "; ".join(reasons) or "keyword similarity"


class JobResult(msgspec.Struct, frozen=True, kw_only=True):
    """One failed job as read: where it failed, how far reading got, what made it fail.

    ``outcome``: ``analysed`` (an error was found), ``no_errors``, ``log_expired``,
    ``log_missing``; ``reason`` says more when reading stopped short.
    """

    name: str
    job_id: int | None
    step: str | None
    url: str | None
    outcome: str
    reason: str | None = None
    log_bytes: int | None = None
    head_cut: bool = False
    failure: JobFailure | None = None
