"""The overview and the statistics page in a real browser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.web.pages.conftest import Site
from tests.web.pages.stored import NOW, analysis, delivery, finding, store

pytestmark = pytest.mark.parametrize("template", ["sqlite"], indirect=True)


def spell(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": "d",
        "error_type": "E",
        "error_pattern": title,
        "solution_code": "s",
    }


async def test_an_empty_service_says_how_to_start(curator: Any) -> None:
    await curator.goto("/")
    assert await curator.locator("#spell-count").inner_text() == "0"
    assert "grimoire spells seed" in await curator.locator("main").inner_text()
    await curator.goto("/stats")
    assert "No spell has explained a finding yet" in await curator.locator("main").inner_text()


async def test_statistics_and_overview(curator: Any, site: Site) -> None:
    page = curator
    busy = (await site.api.post("/api/spells", json=spell("busy spell"))).json()["id"]
    idle = (await site.api.post("/api/spells", json=spell("idle spell"))).json()["id"]
    await store(
        site.settings.database_url,
        delivery("d-1", status="failed"),
        analysis(
            [finding(1, "busy", spell_id=busy), finding(2, "No such table: users", spell_id=None)],
            created_at=NOW - timedelta(hours=1),
        ),
        analysis(
            [finding(1, "busy", spell_id=busy)],
            head_sha="b" * 40,
            repository="octo/lib",
            created_at=NOW - timedelta(days=10),
        ),
    )
    await page.goto("/")
    assert await page.locator("#spell-count").inner_text() == "2"
    assert "1 failed" in await page.locator("main").inner_text()
    assert await page.locator("#latest li").count() == 2

    await page.get_by_role("link", name="Statistics").click()
    totals = await page.locator("#totals .big").all_inner_texts()
    assert totals == ["1", "1", "2"]
    chart = page.get_by_role("img")
    assert "2 in all" in await chart.get_attribute("aria-label")
    assert await page.locator("svg.chart rect.bar").count() == 30
    row = await page.locator("#fired tbody tr").first.locator("td").all_inner_texts()
    assert row[:7] == ["busy spell", "1", "1", "2", "2", "2", "1 h ago"]
    assert await page.locator("#never-fired li").all_inner_texts() == ["idle spell"]
    assert "No such table: users" in await page.locator("#unmatched").inner_text()

    await page.locator("#unmatched").get_by_role("link", name="Write a spell").click()
    error_type = page.get_by_label("Error type", exact=True)
    assert await error_type.input_value() == "ModuleNotFoundError"
    assert await page.get_by_label("Examples", exact=True).input_value() == "No such table: users"

    await page.goto(f"/spells/{busy}")
    assert "2 in all" in await page.get_by_role("img").get_attribute("aria-label")
    await page.goto(f"/spells/{idle}")
    assert await page.get_by_role("img").count() == 0
