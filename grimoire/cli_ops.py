"""``grimoire prune``, ``backup`` and ``reconcile``: upkeep from a shell (or cron)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from grimoire.config import Settings
from grimoire.errors import GitHubError
from grimoire.github.client import GitHubClient
from grimoire.github.http import create_http_client
from grimoire.reconcile import DEFAULT_SINCE, reconcile
from grimoire.resources import github_auth, github_timeout
from grimoire.storage.db import create_engine, create_sessions, sqlite_path
from grimoire.storage.retention import backup_sqlite, prune

USAGE = 2
_AGE = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def add_ops_commands(commands: Any) -> None:
    """Add ``grimoire prune``, ``grimoire backup`` and ``grimoire reconcile``."""
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
    reconcile_cmd = commands.add_parser(
        "reconcile",
        help="ask GitHub to redeliver the App's failed webhooks that were never stored",
    )
    reconcile_cmd.add_argument(
        "--since", type=age, default=DEFAULT_SINCE, help="how far back to look (default 3d)"
    )
    reconcile_cmd.set_defaults(command=reconcile_command)


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


def reconcile_command(args: argparse.Namespace, settings: Settings) -> int:
    """Redeliver the App's failed webhooks that never reached the database."""
    if not settings.has_app:
        print(
            "grimoire: reconcile reads the GitHub App's delivery log: "
            "set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY",
            file=sys.stderr,
        )
        return USAGE

    async def run() -> int:
        engine = create_engine(settings.database_url)
        http = create_http_client(
            base_url=settings.github_api_url, timeout=github_timeout(settings)
        )
        try:
            github = GitHubClient(http, auth=github_auth(settings))
            result = await reconcile(
                github, create_sessions(engine), now=datetime.now(UTC), since=args.since
            )
        except GitHubError as exc:
            print(f"grimoire: reconcile: {exc}", file=sys.stderr)
            return 1
        finally:
            await http.aclose()
            await engine.dispose()
        for attempt in result.redelivered:
            print(
                f"redelivered {attempt.guid} ({attempt.event}, failed with {attempt.status_code})"
            )
        for line in result.refused:
            print(f"refused {line}", file=sys.stderr)
        print(result.summary())
        return 1 if result.refused else 0

    return asyncio.run(run())
