"""Schema migrations: Alembic, driven from Python so the CLI, the app and the tests share it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import grimoire
from grimoire.errors import ConfigError

_PACKAGE = Path(grimoire.__file__).parent


def alembic_config() -> Config:
    """Return the Alembic config: shipped inside the wheel, or the checkout's own ``alembic/``."""
    for directory in (_PACKAGE / "_alembic", _PACKAGE.parent / "alembic"):
        if (directory / "env.py").is_file():
            config = Config()
            config.set_main_option("script_location", str(directory))
            return config
    raise ConfigError("the Alembic migrations are missing from this installation")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database schema to ``revision``."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the database schema to ``revision``."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at (``None`` before the first migration)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    """Return the newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def ensure_current(engine: AsyncEngine) -> None:
    """Raise ``ConfigError`` unless the database schema is at the newest revision."""
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise ConfigError(
            f"the database schema is at revision {current or 'none'}, this code needs {head}: "
            "run `grimoire db upgrade` (`grimoire serve` does it for you)"
        )


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)
