"""/metrics: Prometheus text whose values follow the requests, deliveries and jobs sent."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from grimoire.config import Settings
from grimoire.metrics import github_endpoint
from tests.apps import running
from tests.fakegithub import FakeGitHub
from tests.servers import serve
from tests.web.test_webhook import CLOSED, OPENED, REPOSITORY, deliver, pull_request

DIFF = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x\n+y\n"


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[Any]], float]:
    """Every sample of /metrics, keyed by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Mapping[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_and_status(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get("/api/spells")).status_code == 200
    for n in (1, 2):
        assert (await client.get(f"/api/spells/{n}")).status_code == 404
    await client.get("/no/such/route")
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "grimoire_http_requests_total"
    # The route's template, as Starlette names it (its convertor included).
    [by_id] = {
        labels["route"]
        for name, label_set in after
        if name == total and (labels := dict(label_set))["route"].startswith("/api/spells/{")
    }
    assert delta(total, route="/api/spells", method="GET", status="200") == 3
    assert delta(total, route=by_id, method="GET", status="404") == 2
    assert delta(total, route="unmatched", method="GET", status="404") == 1
    latency = "grimoire_http_request_duration_seconds_count"
    assert delta(latency, route="/api/spells", method="GET") == 3
    assert delta(latency, route=by_id, method="GET") == 2
    # The scrape before this one is counted too (its count is taken before it answers).
    assert delta(total, route="/metrics", method="GET", status="200") == 1


async def test_deliveries_and_the_queue_follow_intake(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    assert value(before, "grimoire_queue_deliveries", status="queued") == 0
    assert value(before, "grimoire_queue_oldest_due_age_seconds") == 0
    await deliver(client, pull_request(1))
    _, again = await deliver(client, pull_request(2))
    await deliver(client, pull_request(2), delivery=again)
    await deliver(client, CLOSED)
    await asyncio.sleep(0.05)
    after = await scrape(client)
    counted = "grimoire_deliveries_total"
    assert value(after, counted, event="pull_request", status="queued") == 2
    assert value(after, counted, event="pull_request", status="duplicate") == 1
    assert value(after, counted, event="pull_request", status="ignored") == 1
    assert value(after, "grimoire_queue_deliveries", status="queued") == 2
    assert value(after, "grimoire_queue_deliveries", status="ignored") == 1
    assert value(after, "grimoire_queue_oldest_due_age_seconds") >= 0.05


async def test_spells_loaded_and_match_latency(client: httpx.AsyncClient) -> None:
    spell = {
        "title": "t",
        "description": "d",
        "error_type": "ValueError",
        "error_pattern": "ValueError: bad",
        "solution_code": "fix",
    }
    assert (await client.post("/api/spells", json=spell)).status_code == 201
    for _ in range(2):
        answer = await client.post("/api/match", json={"message": "ValueError: bad"})
        assert answer.status_code == 200
    samples = await scrape(client)
    assert value(samples, "grimoire_spells_loaded") == 1
    assert value(samples, "grimoire_match_duration_seconds_count", kind="api") == 2


async def test_jobs_and_github_calls_are_counted(app_settings: Settings) -> None:
    fake = FakeGitHub()
    token = fake.add_token()
    payload = json.loads(OPENED)
    number, head = payload["number"], payload["pull_request"]["head"]["sha"]
    fake.add_pull(REPOSITORY, number, diff=DIFF, head_sha=head)
    # The first diff read is refused by the rate limit (remaining 0), the retry succeeds.
    reset = datetime.now(UTC) + timedelta(seconds=1)
    fake.rate_limit("GET", f"/repos/{REPOSITORY}/compare/*...{head}", reset=reset)
    async with serve(fake) as github_url:
        settings = dataclasses.replace(
            app_settings,
            github_api_url=github_url,
            github_api_token=token,
            worker_concurrency=1,
            github_write_spacing=0,
            retry_base_seconds=1,
        )
        async with running(settings) as client:
            _, delivery_id = await deliver(client, OPENED)
            for _ in range(100):
                status = (await client.get(f"/api/deliveries/{delivery_id}")).json()["status"]
                if status == "done":
                    break
                await asyncio.sleep(0.1)
            assert status == "done"
            samples = await scrape(client)
    jobs = "grimoire_job_duration_seconds_count"
    assert value(samples, jobs, source="pull_request", outcome="rate_limited") == 1
    assert value(samples, jobs, source="pull_request", outcome="done") == 1
    assert value(samples, "grimoire_match_duration_seconds_count", kind="job") == 1
    compare = "/repos/{owner}/{repo}/compare/{basehead}"
    calls = "grimoire_github_requests_total"
    assert value(samples, calls, endpoint=compare, method="GET", status="403") == 1
    assert value(samples, calls, endpoint=compare, method="GET", status="200") >= 1
    assert value(samples, "grimoire_github_rate_limit_remaining", resource="core") == 0


def test_github_endpoints_are_labelled_by_shape() -> None:
    sha = "a" * 40
    assert github_endpoint("/repos/o/r/pulls/12/files") == "/repos/{owner}/{repo}/pulls/{id}/files"
    assert github_endpoint(f"/repos/o/r/compare/{sha}...{'b' * 40}") == (
        "/repos/{owner}/{repo}/compare/{basehead}"
    )
    assert github_endpoint(f"/repos/o/r/commits/{sha}/check-runs") == (
        "/repos/{owner}/{repo}/commits/{sha}/check-runs"
    )
    assert github_endpoint("/app/installations/7/access_tokens") == (
        "/app/installations/{id}/access_tokens"
    )
