"""``grimoire spells`` (seed, import, export) and ``grimoire match``: the spellbook from a shell.

``grimoire match`` is what a CI step calls: it reads a log, prints the errors it finds with the
spells that explain them, and exits 0 when a spell matched, 1 when none did, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec

from grimoire import migrations
from grimoire.config import Settings
from grimoire.core.explain import EMPTY_SPELLBOOK, LogError, LogResponse, MatchOut, explain_log
from grimoire.core.github_format import step_summary, workflow_commands
from grimoire.core.matching import Spellbook, compile_spellbook
from grimoire.dryruns import describe_dry_run, dry_run_drafts
from grimoire.errors import ConfigError
from grimoire.spellbook import SpellDraft, load_starter_spellbook, parse_spellbook
from grimoire.spellbook.sync import (
    Format,
    ImportReport,
    draft_problems,
    dump_spellbook,
    export_drafts,
    import_drafts,
)
from grimoire.spellindex import SpellIndex
from grimoire.storage.db import (
    Sessions,
    check_reachable,
    create_engine,
    create_sessions,
    sqlite_path,
)

MATCHED, NOTHING_MATCHED, USAGE = 0, 1, 2
_LOGS = msgspec.json.Decoder(LogResponse)


def add_spells_commands(commands: Any) -> None:
    """Add ``grimoire spells seed|import|export``."""
    spells_cmd = commands.add_parser("spells", help="manage the spellbook from files")
    actions = spells_cmd.add_subparsers(required=True, metavar="ACTION")
    seed = actions.add_parser("seed", help="load the starter spellbook shipped with Grimoire")
    seed.set_defaults(command=seed_spells)
    load = actions.add_parser("import", help="create or update spells from a YAML/JSON file")
    load.add_argument("file", help="spellbook file (YAML or JSON list), or - for stdin")
    load.set_defaults(command=import_spells)
    dump = actions.add_parser("export", help="write every spell to a YAML/JSON file")
    dump.add_argument("file", nargs="?", default="-", help="output file (default: stdout)")
    dump.add_argument("--format", choices=("yaml", "json"), default=None)
    dump.set_defaults(command=export_spells)
    trial = actions.add_parser(
        "dry-run", help="show what saving the spells of a file would change on stored findings"
    )
    trial.add_argument("file", help="spellbook file (YAML or JSON list), or - for stdin")
    trial.set_defaults(command=dry_run_spells)


def add_match_command(commands: Any) -> None:
    """Add ``grimoire match``."""
    match = commands.add_parser(
        "match", help="explain the errors in a CI log (exit 0: matched, 1: nothing matched)"
    )
    match.add_argument("file", nargs="?", default="-", help="log file, or - for stdin")
    match.add_argument("--json", action="store_true", help="print JSON (same as --format json)")
    match.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default=None,
        help="github: workflow commands (::error ...) that annotate the run",
    )
    match.add_argument(
        "--summary-file",
        help='also append a Markdown summary to this file (e.g. "$GITHUB_STEP_SUMMARY")',
    )
    match.add_argument("--url", help="ask a running service instead of the local database")
    match.add_argument(
        "--starter", action="store_true", help="use the shipped starter spellbook, no database"
    )
    match.add_argument("--limit", type=int, default=3, help="spells per error (1-50)")
    match.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when no spell matched (a CI step that only reports)",
    )
    match.set_defaults(command=match_log)


def seed_spells(args: argparse.Namespace, settings: Settings) -> int:
    """Store the starter spellbook (idempotent by title)."""
    return _import(settings, load_starter_spellbook())


def import_spells(args: argparse.Namespace, settings: Settings) -> int:
    """Store the spells of a file (idempotent by title)."""
    try:
        drafts = parse_spellbook(_read(args.file))
    except OSError as exc:
        print(f"grimoire: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return USAGE
    except ValueError as exc:  # one line with the position: parse_spellbook says where
        print(f"grimoire: {args.file} is not a spellbook: {exc}", file=sys.stderr)
        return USAGE
    return _import(settings, drafts)


def dry_run_spells(args: argparse.Namespace, settings: Settings) -> int:
    """Print the stored findings each spell of a file would gain and lose (nothing is saved)."""
    try:
        drafts = parse_spellbook(_read(args.file))
    except (OSError, ValueError) as exc:
        print(f"grimoire: cannot read {args.file}: {exc}", file=sys.stderr)
        return USAGE
    if problems := draft_problems(drafts):
        print("grimoire: the spellbook has problems:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    async def run() -> list[str]:
        async with _database(settings) as sessions:
            results = await dry_run_drafts(sessions, drafts)
        return [describe_dry_run(*result) for result in results]

    print("\n".join(asyncio.run(run())))
    return 0


def export_spells(args: argparse.Namespace, settings: Settings) -> int:
    """Write every stored spell to a file (or stdout)."""

    async def run() -> list[SpellDraft]:
        async with _database(settings) as sessions:
            return await export_drafts(sessions)

    fmt: Format = args.format or ("json" if str(args.file).endswith(".json") else "yaml")
    text = dump_spellbook(asyncio.run(run()), fmt)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
    return 0


def match_log(args: argparse.Namespace, settings: Settings) -> int:
    """Print the errors of a log with the spells that explain them."""
    if not 1 <= args.limit <= 50:
        print("grimoire: --limit must be between 1 and 50", file=sys.stderr)
        return USAGE
    try:
        text = _read(args.file)
        answer = (
            _remote(args.url, text, args.limit, token=settings.client_api_token)
            if args.url
            else _local(args, settings, text)
        )
    except (OSError, httpx.HTTPError, ConfigError) as exc:
        print(f"grimoire: {exc}", file=sys.stderr)
        return USAGE
    if answer.notice:
        print(f"grimoire: {answer.notice}", file=sys.stderr)
    fmt = "json" if args.json else (args.format or "text")
    if fmt == "json":
        sys.stdout.write(msgspec.json.encode(answer).decode() + "\n")
    elif fmt == "github":
        sys.stdout.write(workflow_commands(answer.errors))
    else:
        sys.stdout.write(render_table(answer.errors, empty_spellbook=answer.notice is not None))
    if args.summary_file and not _append_summary(args.summary_file, answer.errors):
        return USAGE
    matched = any(error.matches for error in answer.errors)
    return MATCHED if matched or args.exit_zero else NOTHING_MATCHED


def _append_summary(path: str, errors: Sequence[LogError]) -> bool:
    """Append the Markdown summary to ``path``; say on stderr why not, if so."""
    try:
        with Path(path).open("a", encoding="utf-8") as summary:
            summary.write(step_summary(errors))
    except OSError as exc:
        print(f"grimoire: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def render_table(errors: Sequence[LogError], *, empty_spellbook: bool = False) -> str:
    """Render errors and their spells for a person reading a CI log."""
    if not errors:
        return "No errors found.\n"
    lines = []
    for error in errors:
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        lines.append(f"{_ROLE_MARK[error.role]} {error.error_type}: {message}")
        lines.append(f"  {error.role} (line {error.line}): {error.why}")
        shown = error.matches if error.role != "warning" else error.matches[:1]
        for rank, match in enumerate(shown, start=1):
            lines.append(f"  {rank}. {match.title}  (spell #{match.spell_id}; {_why(match)})")
            if error.role == "warning":
                continue
            for fix_line in match.solution_code.strip().splitlines()[:6]:
                lines.append(f"       {fix_line}")
        if not error.matches and not empty_spellbook:
            lines.append("  no spell fits this error")
        lines.append("")
    return "\n".join(lines)


_ROLE_MARK = {"failure": "✗", "consequence": "↳", "warning": "!"}


def _why(match: MatchOut) -> str:
    reasons = [f"score {match.score:.2f}"]
    if match.why.pattern:
        reasons.append("pattern")
    if match.why.error_type:
        reasons.append("type")
    if match.why.terms:
        reasons.append("terms: " + " ".join(match.why.terms))
    return ", ".join(reasons)


def _local(args: argparse.Namespace, settings: Settings, text: str) -> LogResponse:
    async def book() -> Spellbook:
        if args.starter:
            drafts = load_starter_spellbook()
            return compile_spellbook(draft.record(n) for n, draft in enumerate(drafts, start=1))
        path = sqlite_path(settings.database_url)
        if path is not None and not path.exists():
            # Reading must not leave an empty database file behind (a typo in DATABASE_URL, or
            # a directory where nobody ran `grimoire spells seed`).
            return compile_spellbook([])
        async with _database(settings) as sessions:
            return await SpellIndex().current(sessions)

    spellbook = asyncio.run(book())
    errors = explain_log(text, spellbook, limit=args.limit)
    return LogResponse(errors, notice=None if len(spellbook) else EMPTY_SPELLBOOK)


def _remote(url: str, text: str, limit: int, *, token: str | None) -> LogResponse:
    # GRIMOIRE_API_TOKEN: a service with API_TOKEN set answers /api/match/log only with it,
    # unless its operator opened the match group (API_PUBLIC_READS).
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{url.rstrip('/')}/api/match/log",
        json={"text": text, "limit": limit},
        headers=headers,
        timeout=60,
    )
    if response.status_code != 200:
        raise httpx.HTTPError(f"{url} answered {response.status_code}: {response.text[:500]}")
    return _LOGS.decode(response.content)


def _import(settings: Settings, drafts: Sequence[SpellDraft]) -> int:
    problems = draft_problems(drafts)
    if problems:
        print("grimoire: nothing imported, the spellbook has problems:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    async def run() -> ImportReport:
        async with _database(settings) as sessions:
            return await import_drafts(sessions, drafts)

    report = asyncio.run(run())
    print(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged"
    )
    return 0


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Sessions]:
    """Open the configured database, upgraded to the current schema."""
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine)
        await migrations.upgrade(engine)
        yield create_sessions(engine)
    finally:
        await engine.dispose()


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8", errors="replace")
