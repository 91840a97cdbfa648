"""The "CI failures" part of what a pull request is told: one section per failed job.

Pure: stored CI runs in, Markdown out. Each failed job gets its name and failed step linked to
the job, the root-cause line, where else that failure was seen, and the spells that explain it
with their fixes — or "no known problem" with the root-cause line. A run a later success of the
same workflow resolved is struck through and says so. The sticky comment puts this section under
the diff's findings (``render_pull_comment``), and the check run shows the same text.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from grimoire.core.ci_analysis import SpellHit, describe_classification
from grimoire.core.findings import Finding
from grimoire.core.limits import MAX_COMMENT_BYTES, utf8_size
from grimoire.core.report import (
    MARKER,
    Conclusion,
    Previous,
    ReportContext,
    code_span,
    fence,
    plain,
    render_comment,
)

SOLUTION_CHARS = 4000
ROOT_CAUSE_CHARS = 500
SECTION_TITLE = "### ❌ CI failures"


class CiJobView(msgspec.Struct, frozen=True, kw_only=True):
    """One failed job as the report shows it."""

    name: str
    step: str | None
    url: str | None
    outcome: str
    reason: str | None
    error_type: str | None
    root_cause: str | None
    classification: str | None
    other_pulls: int = 0
    head_cut: bool = False
    spells: tuple[SpellHit, ...] = ()


class CiRunView(msgspec.Struct, frozen=True, kw_only=True):
    """One failed CI run attempt and its failed jobs."""

    name: str
    url: str | None
    run_attempt: int
    resolved_by: str | None
    jobs: tuple[CiJobView, ...]


def render_ci_section(runs: Sequence[CiRunView]) -> str:
    """Render the "CI failures" section: open failures first, resolved runs after."""
    open_runs = [run for run in runs if run.resolved_by is None]
    resolved = [run for run in runs if run.resolved_by is not None]
    jobs = sum(len(run.jobs) for run in open_runs)
    if open_runs:
        lead = f"{jobs} failed job{'' if jobs == 1 else 's'} in the latest CI runs of this head."
    else:
        lead = "✅ The CI failures reported earlier are resolved."
    blocks = [SECTION_TITLE, lead]
    blocks.extend(_job_block(run, job) for run in open_runs for job in run.jobs)
    blocks.extend(_resolved_line(run) for run in resolved)
    return "\n\n".join(blocks)


def render_pull_comment(
    ctx: ReportContext,
    findings: Sequence[Finding],
    runs: Sequence[CiRunView],
    *,
    previous: Previous | None = None,
    limit: int = MAX_COMMENT_BYTES,
) -> str:
    """Render the sticky comment: the diff's findings, then the CI failures of the same head."""
    if not runs:
        return render_comment(ctx, findings, previous=previous, limit=limit)
    section = _clip_bytes(render_ci_section(runs), limit // 2)
    if findings:
        budget = limit - utf8_size(section) - 2
        diff = render_comment(ctx, findings, previous=previous, limit=budget)
        return f"{diff}\n\n{section}"
    commit = f"[`{ctx.head_sha[:7]}`]({ctx.web_url}/{ctx.repository}/commit/{ctx.head_sha})"
    footer = "<sub>Grimoire Engine · this comment is updated on every push and CI run</sub>"
    return "\n\n".join([MARKER, f"## 🔮 Grimoire Engine at {commit}", section, footer])


CI_CHECK_NAME = "Grimoire Engine · CI failures"


def render_ci_check(runs: Sequence[CiRunView]) -> tuple[Conclusion, str, str]:
    """Return the CI check run's conclusion, title and summary (the comment's section).

    ``neutral`` while a failure is open (the CI's own check already fails the head; this one
    explains it), ``success`` once every one is resolved.
    """
    failed = open_failures(runs)
    if not failed:
        return "success", "CI failures resolved", render_ci_section(runs)
    roots = [job.root_cause for run in runs if run.resolved_by is None for job in run.jobs]
    first = next((root for root in roots if root), None)
    title = f"{failed} failed job{'' if failed == 1 else 's'}"
    if first:
        title += f": {_clip(' '.join(first.split()), 120)}"
    return "neutral", title, render_ci_section(runs)


def open_failures(runs: Sequence[CiRunView]) -> int:
    """Count the failed jobs no later success resolved."""
    return sum(len(run.jobs) for run in runs if run.resolved_by is None)


def _job_block(run: CiRunView, job: CiJobView) -> str:
    name = code_span(job.name)
    step = f" · step {code_span(job.step)}" if job.step else ""
    link = f" · [job log]({job.url})" if job.url else ""
    attempt = f" (attempt {run.run_attempt})" if run.run_attempt > 1 else ""
    head = f"#### {plain(run.name)}{attempt} › {name}{step}{link}"
    if job.root_cause is None:
        return f"{head}\n\n{_unread(job)}"
    lines = [
        head,
        f"**Root cause:** {code_span(_clip(_cause_line(job), ROOT_CAUSE_CHARS))}",
        f"**Seen:** {describe_classification(job.classification, job.other_pulls)}",
    ]
    if job.head_cut:
        lines.append("_Only the end of this job's log was read (it is larger than the cap)._")
    if not job.spells:
        lines.append("No known problem: no spell in your team's spellbook explains this yet.")
    for number, spell in enumerate(job.spells, start=1):
        lines.append(
            f"{number}. **{plain(spell.title)}** (spell #{spell.spell_id}, score "
            f"{spell.score:.2f}; {plain(spell.why)})"
        )
        if number == 1 and spell.solution.strip():
            lines.append(
                "**How it was fixed before:**\n\n" + fence(_clip(spell.solution, SOLUTION_CHARS))
            )
    return "\n\n".join(lines)


def _cause_line(job: CiJobView) -> str:
    """The root cause as one line, its error type first unless the message starts with it."""
    cause = job.root_cause or ""
    if job.error_type and not cause.startswith(job.error_type):
        return f"{job.error_type}: {cause}"
    return cause


def _unread(job: CiJobView) -> str:
    reasons = {
        "log_expired": "its log has expired (GitHub keeps job logs for a limited time)",
        "log_missing": "its log is not available",
        "no_errors": "no error was found in its log",
    }
    why = reasons.get(job.outcome, job.outcome)
    detail = f" ({plain(job.reason)})" if job.reason else ""
    return f"No known problem: {why}{detail}."


def _resolved_line(run: CiRunView) -> str:
    names = ", ".join(f"~~{code_span(job.name)}~~" for job in run.jobs) or "its jobs"
    return f"✅ {plain(run.name)}: {names} resolved by {plain(run.resolved_by or 'a later run')}."


def _clip_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes, on a character boundary, marked with …."""
    if utf8_size(text) <= limit:
        return text
    return text.encode()[: limit - 3].decode("utf-8", "ignore") + "…"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
