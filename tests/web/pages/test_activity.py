"""Deliveries (with retry), analyses and the feedback page, in a real browser."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.pages.conftest import Site
from tests.web.pages.stored import analysis, ci_job, ci_run, delivery, finding, store

pytestmark = pytest.mark.parametrize("template", ["sqlite"], indirect=True)

SPELL = {
    "title": "Python package is not installed",
    "description": "The import names a package missing from the environment.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '(\w+)'",
    "solution_code": "pip install <package>",
}


async def test_empty_pages_say_what_to_do(curator: Any) -> None:
    await curator.goto("/deliveries")
    assert "No deliveries yet" in await curator.locator("section.empty").inner_text()
    await curator.goto("/analyses")
    assert "No analyses yet" in await curator.locator("section.empty").inner_text()


async def test_retry_a_failed_delivery(curator: Any, site: Site) -> None:
    page = curator
    await store(
        site.settings.database_url,
        delivery("d-failed", status="failed", attempts=8, last_error="GitHub answered 502"),
        delivery("d-ping", event="ping", action=None, pr_number=None, status="ignored"),
    )
    await page.goto("/deliveries")
    row = page.locator("#delivery-d-failed")
    assert "failed" in await row.inner_text()
    assert "GitHub answered 502" in await row.inner_text()
    assert await page.locator("#delivery-d-ping button").count() == 0  # nothing to retry

    await page.get_by_role("button", name="Retry delivery d-failed").click()
    assert "d-failed is queued to run again" in await page.get_by_role("status").inner_text()
    row = page.locator("#delivery-d-failed")
    assert "queued" in await row.inner_text()
    stored = (await site.api.get("/api/deliveries/d-failed")).json()
    assert (stored["status"], stored["attempts"]) == ("queued", 0)

    await page.get_by_label("Status").select_option("ignored")
    await page.get_by_role("button", name="Filter").click()
    assert await page.locator("#deliveries tbody tr").count() == 1
    assert "ping" in await page.locator("#deliveries tbody").inner_text()


async def test_an_anonymous_retry_goes_to_sign_in(page: Any, site: Site) -> None:
    await store(site.settings.database_url, delivery("d-1", status="failed"))
    async with httpx.AsyncClient(base_url=site.url, cookies={"grimoire_csrf": "x" * 40}) as http:
        response = await http.post("/deliveries/d-1/retry", data={"csrf": "x" * 40})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")
    assert (await site.api.get("/api/deliveries/d-1")).json()["status"] == "failed"


async def test_analyses_findings_and_feedback(curator: Any, site: Site) -> None:
    page = curator
    response = await site.api.post("/api/spells", json=SPELL)
    spell_id = response.json()["id"]
    [older, newer] = await store(
        site.settings.database_url,
        analysis([], repository="octo/lib", pr_number=3, head_sha="b" * 40),
        analysis(
            [
                finding(
                    1,
                    "ModuleNotFoundError: No module named 'yaml'",
                    path="src/app.py",
                    line=12,
                    spell_id=spell_id,
                    spell_title=SPELL["title"],
                    spell_solution="pip install pyyaml",
                    score=0.91,
                    why="its pattern matches",
                ),
                finding(2, "TypeError: unsupported operand", error_type="TypeError", path=None),
            ],
            report_status="failed",
            report_error="GitHub answered 403",
        ),
    )
    await page.goto("/analyses")
    assert await page.locator("#analyses tbody tr").count() == 2
    await page.get_by_label("Repository").fill("octo/app")
    await page.get_by_role("button", name="Filter").click()
    assert await page.locator("#analyses tbody tr").count() == 1
    await page.get_by_role("link", name="octo/app#42").click()
    assert page.url.endswith(f"/analyses/{newer}")
    assert "GitHub answered 403" in await page.locator("#report").inner_text()
    first = page.locator("#finding-1")
    line_link = first.get_by_role("link", name="src/app.py:12")
    assert await line_link.get_attribute("href") == (
        f"http://127.0.0.1:9/octo/app/blob/{'a' * 40}/src/app.py#L12"
    )
    assert await first.get_by_role("link", name=SPELL["title"]).get_attribute("href") == (
        f"/spells/{spell_id}"
    )
    assert "no spell explains it yet" in await page.locator("#finding-2").inner_text()

    await first.get_by_role("link", name="Was this helpful?").click()
    assert page.url.endswith(f"/analyses/{newer}/findings/1/feedback")
    await page.get_by_role("button", name="Helpful").click()
    assert "is counted" in await page.get_by_role("status").inner_text()
    await page.get_by_role("button", name="Wrong").click()
    await page.goto(f"/analyses/{newer}")
    assert "1 found it helpful, 1 wrong" in await page.locator("#finding-1").inner_text()
    await page.goto(f"/spells/{spell_id}")
    assert await page.locator("#votes").inner_text() == "1 helpful, 1 wrong"
    assert await page.locator("#hits").inner_text() == "1 finding"
    await page.goto(f"/analyses/{older}")
    assert "Nothing found" in await page.locator("main").inner_text()


async def test_readers_of_a_pr_can_vote_without_signing_in(page: Any, site: Site) -> None:
    spell_id = (await site.api.post("/api/spells", json=SPELL)).json()["id"]
    [analysis_id] = await store(
        site.settings.database_url,
        analysis([finding(1, "No module named 'x'", spell_id=spell_id, spell_title="Pkg")]),
    )
    await page.goto(f"/analyses/{analysis_id}/findings/1/feedback")
    main = await page.locator("main").inner_text()
    assert "No module named" not in main  # analyses are not public here: the text stays hidden
    await page.get_by_role("button", name="Wrong").click()
    assert '("wrong")' in await page.get_by_role("status").inner_text()
    await page.goto(f"/analyses/{analysis_id}/findings/9/feedback")
    assert await page.get_by_role("heading", level=1).inner_text() == "Not found"


async def test_an_analysis_shows_the_ci_failures_of_its_head(curator: Any, site: Site) -> None:
    spell_id = (await site.api.post("/api/spells", json=SPELL)).json()["id"]
    hit = {"spell_id": spell_id, "title": SPELL["title"], "score": 0.8, "why": "w", "solution": "s"}
    [analysis_id, _] = await store(
        site.settings.database_url,
        analysis([]),
        ci_run(
            [
                ci_job(0, "tests (3.12)", spells=[hit]),
                ci_job(
                    1, "lint", root_cause=None, outcome="log_expired", reason="the log has expired"
                ),
            ]
        ),
    )
    await curator.goto(f"/analyses/{analysis_id}")
    section = curator.locator("#ci")
    assert await section.get_by_role("link", name="CI").get_attribute("href") == (
        "https://github.example/octo/app/actions/runs/9001"
    )
    job = section.get_by_role("link", name="tests (3.12)")
    assert (await job.get_attribute("href")).endswith("/job/500")
    assert "No module named 'yaml'" in await section.inner_text()
    assert "the log has expired" in await section.inner_text()
    spell = section.get_by_role("link", name=SPELL["title"])
    assert await spell.get_attribute("href") == f"/spells/{spell_id}"
