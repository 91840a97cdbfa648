"""/metrics under several processes: ``grimoire serve --workers 2`` and a separate ``grimoire
worker`` share PROMETHEUS_MULTIPROC_DIR, and every scrape, whichever process answers it, shows the
sum of all of them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from grimoire.core.webhook_signature import sign
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub
from tests.servers import serve
from tests.test_lossless import DIFF, REPOSITORY, TOKEN, Service, body_for, head_sha, service_env

pytestmark = pytest.mark.slow

DELIVERIES = 6
READS = 20


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_sum_every_process(database_url: str, tmp_path: Path) -> None:
    fake = FakeGitHub()
    fake.add_token(TOKEN)
    for n in range(1, DELIVERIES + 1):
        fake.add_pull(REPOSITORY, n, diff=DIFF, head_sha=head_sha(n))
    shared = tmp_path / "metrics"
    shared.mkdir()
    async with serve(fake) as github_url:
        env = service_env(database_url, github_url) | {
            "PROMETHEUS_MULTIPROC_DIR": str(shared),
            "WORKER_CONCURRENCY": "0",
        }
        service = Service(env, tmp_path, args=("--workers", "2", "--no-access-log"))
        await service.start()
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "grimoire", "worker", "--concurrency", "2", env=env, cwd=tmp_path
        )
        try:
            async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
                for _ in range(READS):
                    assert (await http.get("/api/spells")).status_code == 200
                for n in range(1, DELIVERIES + 1):
                    body = body_for(n)
                    headers = {
                        "X-GitHub-Event": "pull_request",
                        "X-GitHub-Delivery": f"mp-{n}",
                        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
                        "Content-Type": "application/json",
                    }
                    response = await http.post("/webhook", content=body, headers=headers)
                    assert response.status_code == 202
                for _ in range(300):
                    done = await http.get("/api/deliveries", params={"status": "done"})
                    if int(done.headers["x-total-count"]) == DELIVERIES:
                        break
                    await asyncio.sleep(0.1)
                assert int(done.headers["x-total-count"]) == DELIVERIES
                # Several scrapes land on both server processes; each sees the same sums.
                for _ in range(6):
                    seen = samples((await http.get("/metrics")).text)
                    reads = ("route", "/api/spells"), ("method", "GET"), ("status", "200")
                    assert seen[("grimoire_http_requests_total", frozenset(reads))] == READS
                    queued = ("event", "pull_request"), ("status", "queued")
                    assert seen[("grimoire_deliveries_total", frozenset(queued))] == DELIVERIES
                    done_jobs = ("source", "pull_request"), ("outcome", "done")
                    key = ("grimoire_job_duration_seconds_count", frozenset(done_jobs))
                    assert seen[key] == DELIVERIES  # counted in the worker process
        finally:
            worker.terminate()
            await asyncio.wait_for(worker.wait(), 30)
            await service.stop()
