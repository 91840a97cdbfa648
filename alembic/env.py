"""Alembic environment: async engines, and an existing connection when Grimoire passes one."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from grimoire.config import Settings, normalize_database_url
from grimoire.storage.db import create_engine
from grimoire.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("database_url")
    return normalize_database_url(url) if url else Settings.from_environ().database_url


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    run_migrations(connection)
else:
    asyncio.run(run_async_migrations(database_url()))
