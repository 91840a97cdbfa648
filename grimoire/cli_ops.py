"""``grimoire prune`` and ``grimoire backup``: retention and backups from a shell (or cron)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from grimoire.config import Settings
from grimoire.storage.db import create_engine, create_sessions, sqlite_path
from grimoire.storage.retention import backup_sqlite, prune

USAGE = 2
_AGE = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def add_ops_commands(commands: Any) -> None:
    """Add ``grimoire prune`` and ``grimoire backup``."""
    prune_cmd = commands.add_parser(
        "prune", help="drop old payloads and analyses (the spellbook and reports are kept)"
    )
    prune_cmd.add_argument(
        "--older-than", required=True, type=age, help="e.g. 30d, 12h: what last changed before"
    )
    prune_cmd.add_argument("--dry-run", action="store_true", help="count, change nothing")
    prune_cmd.set_defaults(command=prune_command)
    backup_cmd = commands.add_parser(
        "backup", help="copy the live SQLite database to PATH (PostgreSQL: use pg_dump)"
    )
    backup_cmd.add_argument("path", help="the new file (it must not exist)")
    backup_cmd.set_defaults(command=backup_command)


def age(text: str) -> timedelta:
    """Parse ``30d``, ``12h`` or ``90m``."""
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age such as 30d, 12h or 90m")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def prune_command(args: argparse.Namespace, settings: Settings) -> int:
    """Prune, or with ``--dry-run`` say what would be pruned."""

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessions(engine).begin() as session:
                before = datetime.now(UTC) - args.older_than
                pruned = await prune(session, before=before, dry_run=args.dry_run)
        finally:
            await engine.dispose()
        verb = "would prune" if args.dry_run else "pruned"
        return (
            f"{verb}: {pruned.payloads} delivery payloads, {pruned.analyses} analyses, "
            f"{pruned.ci_analyses} CI analyses (unchanged since {before:%Y-%m-%d %H:%M} UTC)"
        )

    print(asyncio.run(run()))
    return 0


def backup_command(args: argparse.Namespace, settings: Settings) -> int:
    """Back up an SQLite database while the service runs."""
    source = sqlite_path(settings.database_url)
    if source is None:
        print(
            "grimoire: backup copies SQLite files; for PostgreSQL use pg_dump (see the README)",
            file=sys.stderr,
        )
        return USAGE
    try:
        pages = backup_sqlite(source, Path(args.path))
    except (OSError, FileExistsError) as exc:
        print(f"grimoire: {exc}", file=sys.stderr)
        return USAGE
    print(f"backed up {source} to {args.path} ({pages} pages)")
    return 0
