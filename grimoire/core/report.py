"""What Grimoire tells a pull request: the sticky comment's Markdown and the check run's output.

Pure: findings and a ``ReportContext`` in, text and values out. The edge (``grimoire.reporting``)
decides when to send them. GitHub's limits on a comment's body and a check run's text shape the
output (``grimoire.core.limits``, in UTF-8 bytes): what does not fit is counted in a closing line
that links to the full analysis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import msgspec

from grimoire.core.findings import MAX_FINDINGS, Finding
from grimoire.core.limits import MAX_CHECK_TEXT_BYTES, MAX_COMMENT_BYTES, utf8_size

MARKER = "<!-- grimoire-engine:report -->"
"""Hidden in every Grimoire comment: how the comment is found again (never a second one)."""
CHECK_NAME = "Grimoire Engine"
MATCHED_CHARS = 1_000
SOLUTION_CHARS = 8_000
SUMMARY_GROUPS = 50

Level = Literal["warning", "failure"]
Conclusion = Literal["success", "neutral", "failure"]


class ReportContext(msgspec.Struct, frozen=True, kw_only=True):
    """Where a report goes and what it links to.

    ``web_url`` is GitHub's web host (``https://github.com``, or a GitHub Enterprise Server's
    ``https://HOST``); ``details_url`` the full analysis on this service (its page), if it is
    reachable; each finding's feedback page is under it.
    """

    repository: str
    pr_number: int
    head_sha: str
    analysis_id: int
    web_url: str
    details_url: str | None = None
    capped: bool = False


class Previous(msgspec.Struct, frozen=True):
    """The last report on the pull request: its head and how many findings it listed."""

    head_sha: str
    findings_count: int


class LineNote(msgspec.Struct, frozen=True, kw_only=True):
    """One finding as a check-run annotation (on one line of one file)."""

    path: str
    line: int
    level: Level
    title: str
    message: str
    details: str | None = None


class CheckReport(msgspec.Struct, frozen=True, kw_only=True):
    """A completed check run: conclusion, output texts and one note per located finding."""

    conclusion: Conclusion
    title: str
    summary: str
    text: str | None
    notes: tuple[LineNote, ...]


class _Group(msgspec.Struct, frozen=True):
    """The findings one spell explains (``spell_id`` None: errors no spell explains yet)."""

    spell_id: int | None
    findings: tuple[Finding, ...]


def web_url_for(api_url: str) -> str:
    """Return GitHub's web host for a REST base URL.

    ``https://api.github.com`` → ``https://github.com`` (and ``api.SUBDOMAIN.ghe.com`` →
    ``SUBDOMAIN.ghe.com``); GitHub Enterprise Server's ``https://HOST/api/v3`` → ``https://HOST``;
    anything else (a local fake) is its own web host.
    """
    parts = urlsplit(api_url.strip().rstrip("/"))
    host, path = parts.netloc, parts.path
    if path.endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    elif host.startswith("api.") and path in {"", "/"}:
        host = host[len("api.") :]
    return urlunsplit((parts.scheme, host, path.rstrip("/"), "", ""))


def check_conclusion(
    findings_count: int, *, on_findings: Literal["neutral", "failure"]
) -> Conclusion:
    """Return the check run's conclusion: success without findings, else the configured one."""
    return on_findings if findings_count else "success"


def render_comment(
    ctx: ReportContext,
    findings: Sequence[Finding],
    *,
    previous: Previous | None = None,
    limit: int = MAX_COMMENT_BYTES,
) -> str:
    """Render the sticky comment: findings grouped by spell, or that earlier ones are resolved."""
    if not findings:
        return _resolved(ctx, previous)
    groups = group_by_spell(findings)
    head = [MARKER, _title(ctx, findings, groups)]
    return _pack(head, _group_blocks(ctx, groups), ctx, len(findings), limit)


def render_check(
    ctx: ReportContext, findings: Sequence[Finding], *, on_findings: Literal["neutral", "failure"]
) -> CheckReport:
    """Render the check run's conclusion, title, summary, details and line annotations."""
    level: Level = "failure" if on_findings == "failure" else "warning"
    groups = group_by_spell(findings)
    if not findings:
        title, summary, text = "No known problems found", _clean_summary(ctx), None
    else:
        spells = sum(1 for group in groups if group.spell_id is not None)
        title = f"{_count(len(findings), 'finding')} · {_count(spells, 'known problem')}"
        summary = "\n\n".join([_title(ctx, findings, groups), *_spell_list(groups)])
        text = _pack([], _group_blocks(ctx, groups), ctx, len(findings), MAX_CHECK_TEXT_BYTES)
    return CheckReport(
        conclusion=check_conclusion(len(findings), on_findings=on_findings),
        title=title,
        summary=summary,
        text=text,
        notes=tuple(_notes(findings, level)),
    )


def group_by_spell(findings: Iterable[Finding]) -> list[_Group]:
    """Group findings by spell, in order of each spell's best-ranked finding; unexplained last."""
    by_spell: dict[int | None, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: f.rank):
        by_spell.setdefault(finding.spell_id, []).append(finding)
    groups = [_Group(spell, tuple(items)) for spell, items in by_spell.items() if spell is not None]
    if None in by_spell:
        groups.append(_Group(None, tuple(by_spell[None])))
    return groups


def blob_url(ctx: ReportContext, path: str, line: int | None) -> str:
    """Link to a line of a file at the head commit."""
    url = f"{ctx.web_url}/{ctx.repository}/blob/{ctx.head_sha}/{quote(path, safe='/')}"
    return url if line is None else f"{url}#L{line}"


# -- the comment's parts -----------------------------------------------------------------------


def _title(ctx: ReportContext, findings: Sequence[Finding], groups: Sequence[_Group]) -> str:
    explained = sum(len(g.findings) for g in groups if g.spell_id is not None)
    spells = sum(1 for g in groups if g.spell_id is not None)
    unexplained = len(findings) - explained
    sentences = []
    if spells:
        verb = "matches" if explained == 1 else "match"
        sentences.append(
            f"{_count(explained, 'added line')} {verb} {_count(spells, 'known problem')} "
            "from your team's spellbook."
        )
    if unexplained:
        verb = "has" if unexplained == 1 else "have"
        sentences.append(f"{_count(unexplained, 'error')} in added lines {verb} no spell yet.")
    heading = f"### 🔮 Grimoire Engine: {_count(len(findings), 'finding')} at {_commit(ctx)}"
    return heading + "\n\n" + " ".join(sentences)


def _resolved(ctx: ReportContext, previous: Previous | None) -> str:
    earlier = "The findings reported earlier are"
    if previous is not None and previous.findings_count and previous.head_sha != ctx.head_sha:
        verb = "is" if previous.findings_count == 1 else "are"
        earlier = (
            f"The {_count(previous.findings_count, 'finding')} reported at "
            f"`{previous.head_sha[:7]}` {verb}"
        )
    return "\n\n".join(
        [
            MARKER,
            f"### 🔮 Grimoire Engine: resolved at {_commit(ctx)}",
            f"✅ No known problems in the lines this pull request adds. {earlier} resolved.",
            _footer(ctx),
        ]
    )


def _clean_summary(ctx: ReportContext) -> str:
    return (
        f"No lines added at {_commit(ctx)} match a known problem, and no errors were found in them."
    )


def _spell_list(groups: Sequence[_Group]) -> list[str]:
    items = [
        f"- {_group_name(g)}: {_count(len(g.findings), 'finding')}" for g in groups[:SUMMARY_GROUPS]
    ]
    if len(groups) > SUMMARY_GROUPS:
        items.append(f"- … and {len(groups) - SUMMARY_GROUPS:,} more")
    return ["\n".join(items)] if items else []


def _group_blocks(ctx: ReportContext, groups: Sequence[_Group]) -> Iterator[tuple[str, bool]]:
    """Yield ``(block, is_finding)``: each group's heading and fix, then its findings."""
    for number, group in enumerate(groups, start=1):
        yield _group_head(number, group), False
        for finding in group.findings:
            yield _finding_block(ctx, finding), True


def _group_head(number: int, group: _Group) -> str:
    first = group.findings[0]
    meta = [f"error type {code_span(first.error_type)}", _count(len(group.findings), "finding")]
    if group.spell_id is None:
        return f"#### {number}. {_group_name(group)}\n\n" + " · ".join(meta[1:])
    meta.insert(0, f"spell #{group.spell_id}")
    head = f"#### {number}. {_group_name(group)}\n\n" + " · ".join(meta)
    solution = _clip(first.spell_solution or "", SOLUTION_CHARS)
    return head + ("\n\n**How it was fixed before:**\n\n" + fence(solution) if solution else "")


def _group_name(group: _Group) -> str:
    if group.spell_id is None:
        return "Errors no spell explains yet"
    return plain(group.findings[0].spell_title or f"spell #{group.spell_id}")


def _finding_block(ctx: ReportContext, finding: Finding) -> str:
    where = "(no file)"
    if finding.path is not None:
        label = finding.path if finding.line is None else f"{finding.path}:{finding.line}"
        where = f"[{code_span(label)}]({blob_url(ctx, finding.path, finding.line)})"
    parts = [f"**{where}** · {code_span(finding.error_type)}"]
    if finding.why:
        parts.append(f"why: {plain(finding.why)}")
    if ctx.details_url and finding.spell_id is not None:
        # The analysis page's feedback form for this finding: readers say helpful or wrong.
        parts.append(f"[helpful or wrong?]({ctx.details_url}/findings/{finding.rank}/feedback)")
    matched = finding.stack_trace or finding.message
    return " · ".join(parts) + "\n\n" + fence(_clip(matched, MATCHED_CHARS))


def _pack(
    head: list[str],
    blocks: Iterable[tuple[str, bool]],
    ctx: ReportContext,
    total: int,
    limit: int,
) -> str:
    """Join ``head`` and as many blocks as fit in ``limit`` bytes with the closing lines."""
    reserve = utf8_size(_closing(ctx, total, 0)) + 2  # the longest closing there can be
    parts, shown, pending = list(head), 0, ""
    used = utf8_size("\n\n".join(parts))
    for block, is_finding in blocks:
        text = f"{pending}\n\n{block}" if pending else block
        if not is_finding:
            pending = text  # a heading is only worth showing with a finding under it
            continue
        size = utf8_size(text)
        if used + 2 + size + reserve > limit:
            break
        parts.append(text)
        used += 2 + size
        pending, shown = "", shown + 1
    return "\n\n".join([*parts, _closing(ctx, total, shown)])


def _closing(ctx: ReportContext, total: int, shown: int) -> str:
    lines = []
    if shown < total:
        lines.append(
            f"**{_count(total - shown, 'more finding')} not shown** (GitHub limits the length "
            f"of this text); {_where_all(ctx)}."
        )
    if ctx.capped:
        lines.append(f"Only the first {MAX_FINDINGS} findings were kept for this head.")
    lines.append(_footer(ctx))
    return "\n\n".join(lines)


def _where_all(ctx: ReportContext) -> str:
    if ctx.details_url:
        return f"[see all findings]({ctx.details_url})"
    return f"all findings: `GET /api/analyses/{ctx.analysis_id}` on Grimoire Engine"


def _footer(ctx: ReportContext) -> str:
    analysis = f"analysis {ctx.analysis_id}"
    if ctx.details_url:
        analysis = f"[{analysis}]({ctx.details_url})"
    return f"<sub>Grimoire Engine · {analysis} · this comment is updated on every push</sub>"


def _notes(findings: Iterable[Finding], level: Level) -> Iterator[LineNote]:
    for finding in findings:
        if finding.path is None or finding.line is None:
            continue  # an annotation needs a file and a line
        title = finding.spell_title or finding.error_type
        why = f" ({finding.why})" if finding.why else ""
        yield LineNote(
            path=finding.path,
            line=finding.line,
            level=level,
            title=title,
            message=f"{finding.error_type}{why}: {_clip(finding.message, MATCHED_CHARS)}",
            details=finding.spell_solution,
        )


def _commit(ctx: ReportContext) -> str:
    return f"[`{ctx.head_sha[:7]}`]({ctx.web_url}/{ctx.repository}/commit/{ctx.head_sha})"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Markdown that user text cannot break out of ------------------------------------------------

_BACKTICKS = re.compile(r"`+")
# CommonMark lets any ASCII punctuation be backslash-escaped.
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def fence(text: str) -> str:
    """Put ``text`` in a fenced code block whose fence no backtick run inside can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}text\n{text.rstrip()}\n{marks}"


def code_span(text: str) -> str:
    """Put ``text`` (one line) in an inline code span that its own backticks cannot end."""
    text = " ".join(text.split())
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    marks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{marks}{pad}{text}{pad}{marks}"


def plain(text: str) -> str:
    """Render user text as literal Markdown on one line, without pinging anyone.

    Punctuation is escaped; ``@`` gets a word joiner after it, so a spell titled "ask @team"
    does not mention the team on every pull request.
    """
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split())).replace("@", "@\u2060")
