"""Workflow commands: one line per error, whatever the error's text holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from grimoire.core.explain import LogError, MatchOut, WhyOut
from grimoire.core.github_format import step_summary, workflow_commands


def error(message: str, *, role: str = "failure", title: str = "A spell") -> LogError:
    match = MatchOut(
        spell_id=7,
        title=title,
        score=0.8,
        why=WhyOut(True, False, []),
        error_type="E",
        solution_code="fix it\nthen push",
    )
    return LogError(
        error_type="E",
        message=message,
        context="",
        stack_trace="",
        matches=[match],
        role=role,  # type: ignore[arg-type]
    )


@given(st.text(), st.text())
def test_each_error_is_one_command_line_that_round_trips(message: str, title: str) -> None:
    # The runner reads commands line by line, split at LF (CR LF).
    [line] = workflow_commands([error(message, title=title)]).removesuffix("\n").split("\n")
    assert "\r" not in line
    assert line.startswith("::error title=")
    head, _, data = line.partition("::E: ")
    # Unescape as the runner does: the text comes back as it was.
    decoded = data.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    assert decoded.startswith(message[:3000])
    assert "::" not in head.removeprefix("::error title=")


def test_roles_pick_the_command_and_warnings_get_no_fix() -> None:
    out = workflow_commands(
        [error("boom"), error("then", role="consequence"), error("hm", role="warning")]
    )
    kinds = [line.split(" ", 1)[0] for line in out.splitlines()]
    assert kinds == ["::error", "::notice", "::warning"]
    assert "fixed before" not in out.splitlines()[2]


def test_the_summary_leads_with_the_root_cause_and_skips_warnings() -> None:
    text = step_summary([error("first"), error("noise", role="warning")])
    assert "**1. E** (root cause): `first`" in text
    assert "noise" not in text
    assert step_summary([]).endswith("No errors found in this log.\n")
