"""Test databases: migrate once per engine, then hand each test its own clone.

SQLite clones copy the migrated file; PostgreSQL clones use ``CREATE DATABASE … TEMPLATE``.
PostgreSQL runs when TEST_POSTGRES_URL is set; under CI=true an unreachable server fails the run
instead of skipping it. The database TEST_POSTGRES_URL names is created when it does not exist
(through the ``postgres`` maintenance database), so a bare server with a user allowed to
CREATE DATABASE is all the PostgreSQL run needs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from grimoire import migrations
from grimoire.config import normalize_database_url
from grimoire.storage.db import create_engine

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class SQLiteTemplate:
    """A migrated SQLite file that tests copy."""

    directory: Path
    counter: itertools.count[int] = field(default_factory=itertools.count)
    engine_name: str = "sqlite"

    @property
    def path(self) -> Path:
        return self.directory / "template.db"

    async def create(self) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{self.path}")
        await migrations.upgrade(engine)
        await engine.dispose()

    async def clone(self) -> str:
        target = self.directory / f"test-{next(self.counter)}.db"
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"

    async def drop(self, url: str) -> None:
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    async def destroy(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class PostgresTemplate:
    """A migrated PostgreSQL database that tests clone with CREATE DATABASE … TEMPLATE."""

    admin_url: str
    name: str = field(default_factory=lambda: f"grimoire_tpl_{uuid.uuid4().hex[:10]}")
    engine_name: str = "postgres"

    def url_for(self, database: str) -> str:
        url = make_url(normalize_database_url(self.admin_url)).set(database=database)
        return url.render_as_string(hide_password=False)

    async def _admin(self, sql: str, *, database: str | None = None) -> None:
        url = make_url(self.admin_url)
        connection = await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=database or url.database,
        )
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def ensure_admin_database(self) -> None:
        """Create the database TEST_POSTGRES_URL names, unless it exists already."""
        try:
            await self._admin("SELECT 1")
        except asyncpg.InvalidCatalogNameError:
            name = make_url(self.admin_url).database
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # a parallel run made it
                await self._admin(f'CREATE DATABASE "{name}"', database="postgres")

    async def create(self) -> None:
        await self.ensure_admin_database()
        await self._admin(f'CREATE DATABASE "{self.name}"')
        engine = create_engine(self.url_for(self.name))
        await migrations.upgrade(engine)
        await engine.dispose()

    async def clone(self) -> str:
        name = f"grimoire_t_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return self.url_for(name)

    async def drop(self, url: str) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    async def destroy(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


Template = SQLiteTemplate | PostgresTemplate
