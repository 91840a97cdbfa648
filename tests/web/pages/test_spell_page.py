"""A spell in a real browser: view, try it, edit with checks, dry-run an edit, create one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.pages.conftest import Site
from tests.web.pages.stored import analysis, finding, store

pytestmark = pytest.mark.parametrize("template", ["sqlite"], indirect=True)

SPELL = {
    "title": "Python package is not installed",
    "description": "The import names a package missing from the environment.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '(\w+)'",
    "solution_code": "pip install <package>",
    "tags": "python, imports",
    "examples": ["ModuleNotFoundError: No module named 'yaml'"],
    "counter_examples": ["No module named 'a.b' in this sentence?"],
}
LOG = """\
Run pytest
Traceback (most recent call last):
  File "app.py", line 1, in <module>
    import yaml
ModuleNotFoundError: No module named 'yaml'
Error: Process completed with exit code 1.
"""


async def add(site: Site, **fields: Any) -> int:
    response = await site.api.post("/api/spells", json=SPELL | fields)
    assert response.status_code == 201, response.text
    spell_id: int = response.json()["id"]
    return spell_id


async def test_view_and_try_it_on_a_log(curator: Any, site: Site) -> None:
    page = curator
    spell_id = await add(site)
    await page.goto(f"/spells/{spell_id}")
    assert (
        await page.get_by_role("heading", level=1).inner_text() == f"{SPELL['title']} #{spell_id}"
    )
    assert await page.locator("#pattern").inner_text() == SPELL["error_pattern"]
    assert await page.locator("#examples li").all_inner_texts() == SPELL["examples"]
    assert await page.locator("#counter-examples li").all_inner_texts() == SPELL["counter_examples"]
    assert await page.locator("#hits").inner_text() == "0 findings"

    await page.get_by_label("A log or a snippet").fill(LOG)
    await page.get_by_role("button", name="Try it").click()
    summary = await page.locator("#trial-summary").inner_text()
    assert summary.startswith("This spell matches: its pattern matches 1 line;")
    assert await page.locator("#matched-lines mark").all_inner_texts() == ["No module named 'yaml'"]
    focal = page.locator("table.scores tr.focal").first
    cells = await focal.locator("td").all_inner_texts()
    assert cells[0] == f"{SPELL['title']} (this spell)"
    pattern, error_type, keywords, total = (float(c) for c in cells[1:5])
    assert (pattern, error_type) == (0.55, 0.15)
    assert pattern + error_type + keywords == pytest.approx(total, abs=0.011)
    assert await page.get_by_label("A log or a snippet").input_value() == LOG


async def test_edit_is_checked_then_saved(curator: Any, site: Site) -> None:
    page = curator
    spell_id = await add(site)
    await page.goto(f"/spells/{spell_id}")
    await page.get_by_role("link", name="Edit").click()
    assert page.url.endswith(f"/spells/{spell_id}/edit")

    await page.get_by_label("Pattern", exact=True).fill(r"(?<=x)module")
    await page.get_by_role("button", name="Save").click()
    assert "The spell was not saved" in await page.get_by_role("alert").inner_text()
    assert await page.get_by_label("Pattern", exact=True).get_attribute("aria-invalid") == "true"
    assert "look-behind" in await page.locator("#error_pattern-problem").inner_text()

    await page.get_by_label("Pattern", exact=True).fill(r"No module named 'yam'")
    await page.get_by_role("button", name="Save").click()
    assert "does not match this example" in await page.locator("#examples-problem").inner_text()
    unchanged = (await site.api.get(f"/api/spells/{spell_id}")).json()
    assert unchanged["error_pattern"] == SPELL["error_pattern"]

    await page.get_by_label("Pattern", exact=True).fill(r"No module named '?(\w+)'?")
    await page.get_by_label("Counter-examples").fill("")
    await page.get_by_label("Tags", exact=True).fill("python, packaging")
    await page.get_by_role("button", name="Save").click()
    assert page.url.endswith(f"/spells/{spell_id}?saved=1")
    assert await page.get_by_role("status").inner_text() == "Saved."
    assert await page.locator("#pattern").inner_text() == r"No module named '?(\w+)'?"
    stored = (await site.api.get(f"/api/spells/{spell_id}")).json()
    assert stored["error_pattern"] == r"No module named '?(\w+)'?"
    assert (stored["tags"], stored["counter_examples"]) == ("python, packaging", [])
    assert stored["examples"] == SPELL["examples"]


async def test_try_an_unsaved_pattern(curator: Any, site: Site) -> None:
    page = curator
    spell_id = await add(site)
    await page.goto(f"/spells/{spell_id}/edit")
    await page.get_by_label("Pattern", exact=True).fill(r"exit code (\d+)")
    await page.get_by_label("Examples", exact=True).fill("")
    await page.get_by_label("Try it on a log").fill(LOG)
    await page.get_by_role("button", name="Try it").click()
    assert await page.locator("#matched-lines mark").all_inner_texts() == ["exit code 1"]
    stored = (await site.api.get(f"/api/spells/{spell_id}")).json()
    assert stored["error_pattern"] == SPELL["error_pattern"]  # trying saves nothing


async def test_dry_run_lists_findings_gained_and_lost(curator: Any, site: Site) -> None:
    page = curator
    spell_id = await add(site)
    other = await add(
        site,
        title="Docker daemon is not running",
        description="Cannot connect to the Docker daemon.",
        error_type="DockerError",
        error_pattern="Is the docker daemon running",
        tags="docker",
        examples=[],
        counter_examples=[],
    )
    [analysis_id] = await store(
        site.settings.database_url,
        analysis(
            [
                finding(1, "No module named 'yaml'", spell_id=spell_id),
                finding(
                    2,
                    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
                    error_type="DockerError",
                    spell_id=other,
                ),
            ]
        ),
    )
    await page.goto(f"/spells/{spell_id}/edit")
    await page.get_by_label("Pattern", exact=True).fill("Cannot connect to the Docker daemon at")
    await page.get_by_label("Examples", exact=True).fill("")
    await page.get_by_label("Error type", exact=True).fill("DockerError")
    await page.get_by_role("button", name="Dry run on stored analyses").click()
    summary = await page.locator("#dry-run-summary").inner_text()
    assert "gain 1 and lose 1 of the 2 newest stored findings" in summary
    lost = page.locator("#lost li")
    assert "No module named 'yaml'" in await lost.inner_text()
    assert await lost.locator("a").get_attribute("href") == f"/analyses/{analysis_id}#finding-1"
    gained = page.locator("#gained li")
    assert "Docker daemon at unix" in await gained.inner_text()
    assert "before: Docker daemon is not running" in await gained.inner_text()
    stored = (await site.api.get(f"/api/spells/{spell_id}")).json()
    assert stored["error_pattern"] == SPELL["error_pattern"]


async def test_create_a_spell(curator: Any, site: Site) -> None:
    page = curator
    await page.goto("/spells")
    await page.get_by_role("link", name="New spell").click()
    await page.get_by_label("Title", exact=True).fill("Port already in use")
    await page.get_by_label("Description").fill("Another process listens on the port.")
    await page.get_by_label("Error type", exact=True).fill("OSError")
    await page.get_by_label("Pattern", exact=True).fill("Address already in use")
    await page.get_by_label("How it was fixed before").fill("lsof -i :8000")
    await page.get_by_label("Examples", exact=True).fill(
        "OSError: [Errno 98] Address already in use"
    )
    await page.get_by_role("button", name="Save").click()
    assert page.url.endswith("?saved=1")
    spell_id = int(page.url.split("/spells/")[1].split("?")[0])
    stored = (await site.api.get(f"/api/spells/{spell_id}")).json()
    assert stored["title"] == "Port already in use"
    assert stored["examples"] == ["OSError: [Errno 98] Address already in use"]
    assert stored["tags"] is None


async def test_an_unknown_spell_is_a_page_not_json(curator: Any) -> None:
    response = await curator.goto("/spells/999999")
    assert response.status == 404
    assert await curator.get_by_role("heading", level=1).inner_text() == "Not found"
