"""``grimoire match --format github``: the errors of a log as GitHub Actions sees them.

Two texts: workflow commands (``::error title=…::…``), which the runner turns into annotations
on the run and the pull request, and a Markdown summary to append to ``$GITHUB_STEP_SUMMARY``.
Pure: the explained errors in, text out.
https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/workflow-commands-for-github-actions
"""

from __future__ import annotations

from collections.abc import Sequence

from grimoire.core.explain import LogError
from grimoire.core.report import code_span, fence, plain

_COMMAND = {"failure": "error", "consequence": "notice", "warning": "warning"}
MESSAGE_CHARS = 4000
SUMMARY_ERRORS = 20


def workflow_commands(errors: Sequence[LogError]) -> str:
    """Return one workflow command per error: ``::error``, ``::notice`` or ``::warning``."""
    lines = []
    for error in errors:
        best = error.matches[0] if error.matches else None
        title = best.title if best else error.error_type
        message = f"{error.error_type}: {error.message}"
        if best is not None and error.role != "warning":
            fix = best.solution_code.strip()
            message += f"\n\nHow it was fixed before (spell #{best.spell_id}):\n{fix}"
        command = _COMMAND.get(error.role, "error")
        lines.append(f"::{command} title={_property(title)}::{_data(message[:MESSAGE_CHARS])}")
    return "".join(f"{line}\n" for line in lines)


def step_summary(errors: Sequence[LogError]) -> str:
    """Return the Markdown for ``$GITHUB_STEP_SUMMARY``: root cause first, spells with fixes."""
    failing = [error for error in errors if error.role != "warning"]
    if not failing:
        return "### 🔮 Grimoire Engine\n\nNo errors found in this log.\n"
    blocks = ["### 🔮 Grimoire Engine: what failed"]
    for number, error in enumerate(failing[:SUMMARY_ERRORS], start=1):
        role = "root cause" if number == 1 else error.role
        blocks.append(
            f"**{number}. {plain(error.error_type)}** ({role}): {code_span(error.message)}"
        )
        if not error.matches:
            blocks.append("No known problem: no spell explains this yet.")
        for rank, match in enumerate(error.matches, start=1):
            blocks.append(
                f"- {plain(match.title)} (spell #{match.spell_id}, score {match.score:.2f})"
            )
            if rank == 1:
                blocks.append(fence(match.solution_code.strip()))
    if len(failing) > SUMMARY_ERRORS:
        blocks.append(f"… and {len(failing) - SUMMARY_ERRORS} more errors.")
    return "\n\n".join(blocks) + "\n"


def _data(text: str) -> str:
    """Escape a command's message: %, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a command property: as the message, plus ``:`` and ``,``."""
    return _data(" ".join(text.split())).replace(":", "%3A").replace(",", "%2C")
