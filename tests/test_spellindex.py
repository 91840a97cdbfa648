"""The compiled spellbook follows the database, in one process and across processes."""

from __future__ import annotations

import dataclasses

from grimoire.config import Settings
from grimoire.spellindex import REBUILD_AFTER, SpellIndex
from grimoire.storage.db import create_engine, create_sessions
from tests.apps import running

SPELL = {
    "title": "Disk full",
    "description": "The device has no space left.",
    "error_type": "OSError",
    "error_pattern": "No space left on device",
    "solution_code": "free some space",
}
QUERY = {"message": "OSError: [Errno 28] No space left on device", "error_type": "OSError"}


async def test_two_instances_on_one_database_rank_alike(app_settings: Settings) -> None:
    second_settings = dataclasses.replace(app_settings)
    async with running(app_settings) as first, running(second_settings) as second:
        assert (await second.post("/api/match", json=QUERY)).json()["matches"] == []
        spell_id = (await first.post("/api/spells", json=SPELL)).json()["id"]
        [match] = (await second.post("/api/match", json=QUERY)).json()["matches"]
        assert match["spell_id"] == spell_id

        renamed = SPELL | {"title": "No space left", "error_pattern": "Errno 28"}
        assert (await first.put(f"/api/spells/{spell_id}", json=renamed)).status_code == 200
        [match] = (await second.post("/api/match", json=QUERY)).json()["matches"]
        assert match["title"] == "No space left"

        assert (await first.delete(f"/api/spells/{spell_id}")).status_code == 204
        assert (await second.post("/api/match", json=QUERY)).json()["matches"] == []
        assert (await first.post("/api/match", json=QUERY)).json()["matches"] == []


async def test_patched_index_ranks_like_a_fresh_one(app_settings: Settings) -> None:
    engine = create_engine(app_settings.database_url)
    sessions = create_sessions(engine)
    patched = SpellIndex()
    try:
        async with running(app_settings) as client:
            await patched.current(sessions)  # compiled while the spellbook is empty
            ids = []
            for n in range(12):
                spell = SPELL | {"title": f"Disk full {n}", "error_pattern": f"No space left {n}"}
                ids.append((await client.post("/api/spells", json=spell)).json()["id"])
            await client.delete(f"/api/spells/{ids[3]}")
            await client.put(f"/api/spells/{ids[5]}", json=SPELL | {"title": "changed"})
        book = await patched.current(sessions)
        fresh = await SpellIndex().current(sessions)
        assert sorted(spell.id for spell in book) == sorted(spell.id for spell in fresh)
        assert {s.id: s for s in book} == {s.id: s for s in fresh}
        assert patched.revision == 14
        assert len(book) == 11
        assert REBUILD_AFTER > 14  # this test exercised patching, not a rebuild
    finally:
        await engine.dispose()
