"""GET /api/stats: hits per spell over 24 h / 7 d / 30 d, never-fired spells, unmatched errors."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx

from grimoire.config import Settings
from tests.apps import running
from tests.conftest import API_TOKEN
from tests.web.errors import assert_error
from tests.web.pages.stored import NOW, analysis, ci_job, ci_run, finding, store

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def spell(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": "d",
        "error_type": "E",
        "error_pattern": title,
        "solution_code": "s",
    }


async def stock(http: httpx.AsyncClient, database_url: str) -> tuple[int, int, int]:
    ids = []
    for title in ("busy", "quiet", "idle"):
        response = await http.post("/api/spells", json=spell(title), headers=AUTH)
        ids.append(response.json()["id"])
    busy, quiet, idle = ids
    ages = (timedelta(hours=2), timedelta(days=3), timedelta(days=20), timedelta(days=40))
    rows = [
        analysis(
            [finding(1, "busy error", spell_id=busy), finding(2, "Unknown thing", spell_id=None)],
            head_sha=str(n) * 40,
            repository="octo/app" if n % 2 else "octo/lib",
            created_at=NOW - age,
        )
        for n, age in enumerate(ages)
    ]
    rows.append(
        analysis(
            [finding(1, "quiet error", spell_id=quiet), finding(2, "Rare thing", spell_id=None)],
            head_sha="f" * 40,
            created_at=NOW - timedelta(days=6),
        )
    )
    await store(database_url, *rows)
    return busy, quiet, idle


async def test_stats_count_hits_per_window(app_settings: Settings) -> None:
    settings = dataclasses.replace(app_settings, api_token=API_TOKEN)
    async with running(settings) as http:
        busy, quiet, idle = await stock(http, settings.database_url)
        assert_error(await http.get("/api/stats"), 401, "UNAUTHORIZED")
        response = await http.get("/api/stats", headers=AUTH)
        assert response.status_code == 200, response.text
        body = response.json()
    first, second = body["spells"]
    assert first["spell_id"] == busy
    assert [first[k] for k in ("hits_24h", "hits_7d", "hits_30d", "hits_total")] == [1, 2, 3, 4]
    assert first["repositories"] == 2
    assert first["last_seen"].startswith((NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    assert (first["helpful"], first["wrong"]) == (0, 0)
    assert second["spell_id"] == quiet
    assert [second[k] for k in ("hits_24h", "hits_7d", "hits_30d")] == [0, 1, 1]
    assert body["never_fired"] == [{"id": idle, "title": "idle"}]
    assert [(e["message"], e["count"]) for e in body["unmatched"]] == [
        ("Unknown thing", 4),
        ("Rare thing", 1),
    ]
    daily = body["daily_hits"]
    assert len(daily) == 30
    assert (daily[-1], daily[-4], daily[-7], daily[-21], sum(daily)) == (1, 1, 1, 1, 4)


async def test_public_stats_follow_api_public_reads(app_settings: Settings) -> None:
    settings = dataclasses.replace(
        app_settings, api_token=API_TOKEN, api_public_reads=frozenset({"stats"})
    )
    async with running(settings) as http:
        response = await http.get("/api/stats")
        assert response.status_code == 200
        assert response.json()["spells"] == []
        assert response.json()["daily_hits"] == [0] * 30


async def test_failed_ci_jobs_count_as_hits_of_their_best_spell(app_settings: Settings) -> None:
    settings = dataclasses.replace(app_settings, api_token=API_TOKEN)
    async with running(settings) as http:
        busy, _, idle = await stock(http, settings.database_url)
        hit = {"spell_id": idle, "title": "idle", "score": 0.8, "why": "w", "solution": "s"}
        second = {"spell_id": busy, "title": "busy", "score": 0.5, "why": "w", "solution": "s"}
        await store(
            settings.database_url,
            ci_run(
                [ci_job(0, "tests", spells=[hit, second]), ci_job(1, "lint", spells=[])],
                repository="acme/ci",
                created_at=NOW - timedelta(hours=3),
            ),
        )
        body = (await http.get("/api/stats", headers=AUTH)).json()
    by_id = {spell["spell_id"]: spell for spell in body["spells"]}
    assert [by_id[idle][k] for k in ("hits_24h", "hits_7d", "hits_30d", "hits_total")] == [1] * 4
    assert by_id[idle]["repositories"] == 1
    assert by_id[busy]["hits_total"] == 4  # only a job's best spell counts
    assert body["never_fired"] == []
