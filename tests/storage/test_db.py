"""The blocking SQLite engine intake uses beside the async one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from grimoire.storage.db import sqlite_file_engine


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:shared?mode=memory&cache=shared&uri=true",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    ],
)
def test_no_file_engine_without_a_file(url: str) -> None:
    # A second connection to an in-memory database would see another, empty database.
    assert sqlite_file_engine(url) is None


def test_file_engine_opens_the_same_file_tuned_alike(tmp_path: Path) -> None:
    path = tmp_path / "grimoire.db"
    engine = sqlite_file_engine(f"sqlite+aiosqlite:///{path}")
    assert engine is not None
    try:
        assert engine.dialect.driver == "pysqlite"
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            autocheckpoint = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.commit()
        assert (mode, synchronous) == ("wal", 2)  # 2 = FULL
        assert autocheckpoint == 0  # intake's writer checkpoints from another thread
        assert path.exists()
    finally:
        engine.dispose()
