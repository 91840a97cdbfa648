"""Alembic owns the schema: upgrade, downgrade and upgrade again, and the models agree with it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from grimoire import migrations
from grimoire.storage.db import create_engine
from grimoire.storage.tables import Base


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await migrations.current_revision(engine) == migrations.head_revision()
        await migrations.downgrade(engine, "base")
        assert await migrations.current_revision(engine) is None
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(tables) <= {"alembic_version"}
        await migrations.upgrade(engine)
        assert await migrations.current_revision(engine) == migrations.head_revision()
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        assert differences == []
    finally:
        await engine.dispose()


async def test_every_revision_downgrades_one_step_at_a_time(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        while await migrations.current_revision(engine) is not None:
            await migrations.downgrade(engine, "-1")
        await migrations.upgrade(engine)
        assert await migrations.current_revision(engine) == migrations.head_revision()
    finally:
        await engine.dispose()
