"""The pure report renderer: the sticky comment's Markdown and the check run's output."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grimoire.core.findings import MAX_FINDINGS, Finding
from grimoire.core.limits import MAX_CHECK_TEXT_BYTES, MAX_COMMENT_BYTES, utf8_size
from grimoire.core.report import (
    MARKER,
    Previous,
    ReportContext,
    blob_url,
    check_conclusion,
    code_span,
    fence,
    group_by_spell,
    plain,
    render_check,
    render_comment,
    web_url_for,
)
from tests.strategies import characters

SHA = "0123456789abcdef0123456789abcdef01234567"
CTX = ReportContext(
    repository="octo/widgets",
    pr_number=7,
    head_sha=SHA,
    analysis_id=42,
    web_url="https://github.com",
)
LINK = re.compile(r"\]\(https://github\.com/octo/widgets/blob/")


def finding(rank: int, *, spell: int | None = 1, **fields: object) -> Finding:
    """A finding as find_errors makes them (``spell=None``: no spell explains it)."""
    values: dict[str, object] = {
        "rank": rank,
        "path": "app/settings.py",
        "line": rank,
        "error_type": "SecretLeak",
        "message": f'KEY_{rank} = "AKIAABCDEFGHIJKLMNOP"',
        "excerpt": "context",
        "stack_trace": "",
    }
    if spell is not None:
        values |= {
            "spell_id": spell,
            "spell_title": f"Spell {spell}",
            "spell_solution": f"fix for spell {spell}",
            "score": 0.9,
            "why": "its pattern matches",
        }
    return Finding(**(values | fields))  # type: ignore[arg-type]


# -- links --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "web_url"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://api.octo.ghe.com", "https://octo.ghe.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com"),
        ("https://example.com/github/api/v3", "https://example.com/github"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_web_url_for(api_url: str, web_url: str) -> None:
    assert web_url_for(api_url) == web_url


def test_blob_links_point_at_the_head_and_quote_the_path() -> None:
    assert blob_url(CTX, "src/a b/ü#.py", 3) == (
        f"https://github.com/octo/widgets/blob/{SHA}/src/a%20b/%C3%BC%23.py#L3"
    )
    assert blob_url(CTX, "README", None).endswith(f"/blob/{SHA}/README")


# -- the comment --------------------------------------------------------------------------------


def test_comment_groups_findings_by_spell_with_links_text_why_and_fix() -> None:
    findings = [
        finding(1, spell=2),
        finding(2, spell=None, error_type="ModuleNotFoundError", stack_trace="Traceback\nboom"),
        finding(3, spell=1),
        finding(4, spell=2),
    ]
    body = render_comment(CTX, findings)
    assert body.startswith(MARKER + "\n")
    assert "4 findings at [`0123456`]" in body
    assert "3 added lines match 2 known problems" in body
    assert "1 error in added lines has no spell yet" in body
    spell2, spell1, unexplained = (
        body.index("#### 1. Spell 2"),
        body.index("#### 2. Spell 1"),
        body.index("#### 3. Errors no spell explains yet"),
    )
    assert spell2 < body.index("app/settings.py:4") < spell1 < unexplained
    assert (
        f"[`app/settings.py:3`](https://github.com/octo/widgets/blob/{SHA}/app/settings.py#L3)"
        in body
    )
    assert '```text\nKEY_3 = "AKIAABCDEFGHIJKLMNOP"\n```' in body
    assert "why: its pattern matches" in body
    assert body.count("fix for spell 2") == 1  # once per spell, not per finding
    assert "```text\nTraceback\nboom\n```" in body  # a signature shows its lines
    assert "analysis 42" in body


def test_user_text_cannot_break_the_markdown_or_ping_anyone() -> None:
    sneaky = finding(
        1,
        spell_title="Ping @octo-org/team *now* [x](y)",
        spell_solution="run:\n```\nrm -rf build\n```",
        message="````four````",
    )
    body = render_comment(CTX, [sneaky])
    assert "@octo" not in body  # a word joiner follows every @
    assert r"\*now\* \[x\]\(y\)" in body
    assert "````text\nrun:\n```\nrm -rf build\n```\n````" in body
    assert "`````text\n````four````\n`````" in body


def test_fence_and_code_span_outlast_the_backticks_inside() -> None:
    assert fence("a") == "```text\na\n```"
    assert fence("x ``` y") == "````text\nx ``` y\n````"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`a") == "`` `a ``"
    assert plain("a\nb @c") == "a b @\u2060c"


def test_a_clean_head_after_findings_says_they_are_resolved() -> None:
    body = render_comment(CTX, [], previous=Previous("f" * 40, 3))
    assert body.startswith(MARKER)
    assert "resolved at [`0123456`]" in body
    assert "The 3 findings reported at `fffffff` are resolved." in body
    assert "are resolved" in render_comment(CTX, [], previous=None)


def test_a_long_report_is_cut_below_the_limit_with_a_summary_and_link() -> None:
    ctx = msgspec.structs.replace(CTX, details_url="https://g.example/api/analyses/42")
    findings = [finding(n, spell=n % 3 + 1, message="x" * 990) for n in range(1, 201)]
    body = render_comment(ctx, findings)
    assert utf8_size(body) <= MAX_COMMENT_BYTES
    shown = len(LINK.findall(body))
    assert 0 < shown < 200
    assert f"**{200 - shown} more findings not shown**" in body
    assert "[see all findings](https://g.example/api/analyses/42)" in body
    assert body.endswith("</sub>")


def test_without_a_public_url_the_summary_names_the_api_route() -> None:
    findings = [finding(n, message="x" * 990) for n in range(1, 101)]
    assert "`GET /api/analyses/42`" in render_comment(CTX, findings)


def test_a_capped_analysis_says_so() -> None:
    ctx = msgspec.structs.replace(CTX, capped=True)
    assert f"Only the first {MAX_FINDINGS} findings" in render_comment(ctx, [finding(1)])


def test_groups_follow_each_spells_best_rank() -> None:
    groups = group_by_spell([finding(3, spell=1), finding(1, spell=None), finding(2, spell=5)])
    assert [g.spell_id for g in groups] == [5, 1, None]


# -- the check run ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "configured", "expected"),
    [
        (0, "neutral", "success"),
        (0, "failure", "success"),
        (2, "neutral", "neutral"),
        (2, "failure", "failure"),
    ],
)
def test_check_conclusion(count: int, configured: str, expected: str) -> None:
    assert check_conclusion(count, on_findings=configured) == expected  # type: ignore[arg-type]


def test_check_report_annotates_each_located_finding() -> None:
    findings = [finding(1), finding(2, spell=None, path=None, line=None), finding(3, spell=2)]
    report = render_check(CTX, findings, on_findings="failure")
    assert (report.conclusion, report.title) == ("failure", "3 findings · 2 known problems")
    assert [(n.path, n.line, n.level) for n in report.notes] == [
        ("app/settings.py", 1, "failure"),
        ("app/settings.py", 3, "failure"),
    ]
    assert report.notes[0].title == "Spell 1"
    assert report.notes[0].details == "fix for spell 1"
    assert "- Spell 1: 1 finding" in report.summary
    assert report.text is not None and "#### 1. Spell 1" in report.text


def test_clean_check_report() -> None:
    report = render_check(CTX, [], on_findings="neutral")
    assert (report.conclusion, report.title, report.notes, report.text) == (
        "success",
        "No known problems found",
        (),
        None,
    )


def test_warning_level_by_default() -> None:
    assert {n.level for n in render_check(CTX, [finding(1)], on_findings="neutral").notes} == {
        "warning"
    }


# -- properties ---------------------------------------------------------------------------------

texts = st.text(characters, max_size=3000)
findings_lists = st.lists(
    st.builds(
        Finding,
        rank=st.integers(1, 1000),
        path=st.one_of(st.none(), st.text(characters, min_size=1, max_size=300)),
        line=st.one_of(st.none(), st.integers(1, 10**6)),
        error_type=st.text(characters, min_size=1, max_size=100),
        message=texts,
        excerpt=texts,
        stack_trace=texts,
        spell_id=st.one_of(st.none(), st.integers(1, 5)),
        spell_title=st.one_of(st.none(), st.text(characters, max_size=255)),
        spell_solution=st.one_of(st.none(), st.text(characters, max_size=20_000)),
        why=st.one_of(st.none(), texts),
    ),
    max_size=80,
)


@given(findings_lists)
def test_any_report_fits_githubs_limits(findings: list[Finding]) -> None:
    body = render_comment(CTX, findings)
    assert body.startswith(MARKER)
    assert utf8_size(body) <= MAX_COMMENT_BYTES
    report = render_check(CTX, findings, on_findings="neutral")
    assert utf8_size(report.summary) <= MAX_CHECK_TEXT_BYTES
    assert report.text is None or utf8_size(report.text) <= MAX_CHECK_TEXT_BYTES
    located = [f for f in findings if f.path is not None and f.line is not None]
    assert len(report.notes) == len(located)


def test_each_explained_finding_links_to_its_feedback_page() -> None:
    ctx = msgspec.structs.replace(CTX, details_url="https://g.example/analyses/42")
    body = render_comment(ctx, [finding(1), finding(2, spell=None), finding(3)])
    links = re.findall(r"\[helpful or wrong\?\]\(([^)]+)\)", body)
    assert links == [
        "https://g.example/analyses/42/findings/1/feedback",
        "https://g.example/analyses/42/findings/3/feedback",
    ]
    assert "helpful or wrong" not in render_comment(CTX, [finding(1)])  # no public URL
