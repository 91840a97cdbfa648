"""The spellbook page in a real browser: empty state, counts, search, paging, hit counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.pages.conftest import Site

pytestmark = pytest.mark.parametrize("template", ["sqlite"], indirect=True)


def spell(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "title": f"Spell number {n}",
        "description": f"Description {n}.",
        "error_type": "ValueError",
        "error_pattern": f"marker{n}x",
        "solution_code": "fix it",
        "tags": "python",
    } | changes


async def add(site: Site, **fields: Any) -> int:
    response = await site.api.post("/api/spells", json=fields)
    assert response.status_code == 201, response.text
    spell_id: int = response.json()["id"]
    return spell_id


async def test_an_empty_spellbook_says_how_to_seed_it(curator: Any) -> None:
    page = curator
    await page.goto("/spells")
    assert await page.title() == "Spellbook · Grimoire Engine"
    empty = page.locator("section.empty")
    assert "No spells yet" in await empty.inner_text()
    assert "grimoire spells seed" in await empty.inner_text()


async def test_search_by_words_type_and_tag_then_page(curator: Any, site: Site) -> None:
    page = curator
    for n in range(1, 31):
        await add(site, **spell(n))
    special = await add(
        site,
        **spell(
            99,
            title="Docker daemon is not running",
            description="Cannot connect to the Docker daemon socket.",
            error_type="DockerError",
            tags="docker, ci",
        ),
    )
    await page.goto("/spells")
    assert (await page.locator("#count").inner_text()).startswith("31 spells, showing 1–25")
    assert await page.locator("tbody tr").count() == 25

    await page.get_by_role("link", name="Next →").click()
    assert await page.locator("tbody tr").count() == 6
    assert "Page 2 of 2" in await page.locator("nav.pager").inner_text()

    await page.get_by_label("Words").fill("daemon DOCKER")
    await page.get_by_role("button", name="Search").click()
    assert await page.locator("tbody tr").count() == 1
    assert await page.locator("tbody a").first.get_attribute("href") == f"/spells/{special}"
    assert await page.get_by_label("Words").input_value() == "daemon DOCKER"

    await page.goto("/spells?tag=ci")
    rows = page.locator("tbody tr")
    assert await rows.count() == 1
    await page.goto("/spells?error_type=valueerror")
    assert (await page.locator("#count").inner_text()).startswith("30 spells fit the search")

    await page.goto("/spells?q=nothing-like-this")
    assert "No spell fits this search" in await page.locator("section.empty").inner_text()
    await page.get_by_role("link", name="Clear the search").click()
    assert await page.locator("tbody tr").count() == 25
