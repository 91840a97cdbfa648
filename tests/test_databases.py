"""The test harness itself: the PostgreSQL database TEST_POSTGRES_URL names is made on demand."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.databases import POSTGRES_URL, PostgresTemplate

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set")


async def test_a_missing_test_database_is_created() -> None:
    assert POSTGRES_URL is not None
    name = f"grimoire_absent_{uuid.uuid4().hex[:8]}"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    template = PostgresTemplate(url)
    try:
        await template.create()  # fails on a missing database without ensure_admin_database
        clone = await template.clone()
        await template.drop(clone)
        await template.ensure_admin_database()  # idempotent
    finally:
        await template.destroy()
        await template._admin(f'DROP DATABASE IF EXISTS "{name}"', database="postgres")
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await template._admin("SELECT 1")
