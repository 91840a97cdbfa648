"""What ``grimoire serve`` does before it serves: ready the database, then say what will run."""

from __future__ import annotations

import grimoire
from grimoire import migrations
from grimoire.config import Settings
from grimoire.storage.db import check_reachable, create_engine, create_readers, redacted_url
from grimoire.storage.spells import count_spells


async def check_database(settings: Settings) -> None:
    """Raise ``ConfigError`` (one line naming DATABASE_URL) unless the database can be used."""
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine)
    finally:
        await engine.dispose()


async def prepare_database(settings: Settings) -> int:
    """Check that the database answers, upgrade its schema, and return how many spells it holds."""
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine)
        await migrations.upgrade(engine)
        async with create_readers(engine)() as session:
            return await count_spells(session)
    finally:
        await engine.dispose()


def summary(settings: Settings, *, url: str, spells: int, processes: int) -> str:
    """Describe the service about to start in one log line (no secret, no password)."""
    loops = settings.worker_concurrency * processes
    spellbook = (
        f"{spells} spells loaded"
        if spells
        else "no spells loaded (run `grimoire spells seed` for the starter spellbook)"
    )
    return "; ".join(
        (
            f"Grimoire Engine {grimoire.__version__} serving {url} (API docs: {url}/docs)",
            f"database {redacted_url(settings.database_url)}",
            f"report mode {settings.effective_report_mode}",
            f"webhook secret {_is_set(settings.github_webhook_secret)}",
            f"API token {_is_set(settings.api_token)}",
            spellbook,
            f"{loops} worker loop{'s' if loops != 1 else ''}",
        )
    )


def _is_set(value: str | None) -> str:
    return "set" if value else "not set"
