"""Intake while the workers drain: a 10 s burst of signed pull_request deliveries (wrk, 16
connections) against ``grimoire serve`` as installed (SQLite, WORKER_CONCURRENCY=2: the job loops
run in their own process), first for one pull request and head, then spread over 500 pull
requests. The fake GitHub of the tests serves the diffs (REPORT_MODE=none: comment writes are
paced at one per second per installation, which would measure GitHub's pacing, not intake).

Reported per scenario: acks/s, p50/p99 (wrk), then how long the queue takes to drain after the
burst and what became of the deliveries (done = analysed, skipped = coalesced or superseded).

Run from the repository root: ``python bench/intake_under_load.py [seconds] [connections]``
(needs wrk; 16 connections by default, as in the issue's measurement).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grimoire.core.webhook_signature import sign  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fixtures import WEBHOOKS  # noqa: E402
from tests.servers import serve  # noqa: E402
from tests.test_lossless import Service  # noqa: E402

SECRET = "load-secret"
TOKEN = "load-token"
REPOSITORY = "octo/load"
DIFF = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x\n+y = 1\n"
RESULTS = Path(__file__).with_name("results") / "intake_under_load.md"


def head_sha(n: int) -> str:
    return hashlib.sha1(f"load {n}".encode()).hexdigest()


def write_bodies(directory: Path, pulls: int) -> None:
    template = json.loads((WEBHOOKS / "pull_request" / "opened.1.json").read_bytes())
    for n in range(1, pulls + 1):
        template["number"] = template["pull_request"]["number"] = n
        template["pull_request"]["head"]["sha"] = head_sha(n)
        template["repository"]["full_name"] = REPOSITORY
        body = json.dumps(template).encode()
        (directory / f"body-{n}.json").write_bytes(body)
        (directory / f"sig-{n}").write_text(sign(SECRET, body))


async def counts(http: httpx.AsyncClient) -> dict[str, int]:
    found = {}
    for status in ("queued", "processing", "done", "skipped", "failed"):
        response = await http.get("/api/deliveries", params={"status": status, "limit": 1})
        found[status] = int(response.headers["x-total-count"])
    return found


async def scenario(pulls: int, seconds: int, connections: int) -> str:
    fake = FakeGitHub()
    fake.add_token(TOKEN)
    for n in range(1, pulls + 1):
        fake.add_pull(REPOSITORY, n, diff=DIFF, head_sha=head_sha(n))
    work = Path(tempfile.mkdtemp(prefix="grimoire-load-"))
    write_bodies(work, pulls)
    async with serve(fake) as github_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "WORKER_"))}
        env |= {
            "DATABASE_URL": f"sqlite+aiosqlite:///{work}/load.db",
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "GITHUB_API_URL": github_url,
            "GITHUB_API_TOKEN": TOKEN,
            "REPORT_MODE": "none",
            "LOG_LEVEL": "WARNING",
        }
        service = Service(env, work)
        await service.start()
        try:
            wrk = await asyncio.create_subprocess_exec(
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(ROOT / "bench" / "intake_bodies.lua"),
                f"{service.url}/webhook",
                "--",
                str(work),
                str(pulls),
                stdout=subprocess.PIPE,
            )
            out, _ = await wrk.communicate()
            burst_end = time.perf_counter()
            report = dict(line.split(": ", 1) for line in out.decode().splitlines() if ": " in line)
            async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
                at_end = await counts(http)
                while True:
                    now = await counts(http)
                    if now["queued"] + now["processing"] == 0:
                        break
                    if time.perf_counter() - burst_end > 600:
                        break
                    await asyncio.sleep(0.5)
                drained = time.perf_counter() - burst_end
        finally:
            await service.stop()
    analyses = len(fake.requests_to("GET", f"/repos/{REPOSITORY}/compare/*"))
    return (
        f"| {time.strftime('%Y-%m-%d %H:%M')} | {connections} | {pulls} | "
        f"{report.get('requests')} | {report.get('acks/s')} | {report.get('p50')} | "
        f"{report.get('p99')} | "
        f"{report.get('non-2xx')} | {at_end['done'] + at_end['skipped']} | {drained:.1f} s | "
        f"{now['done']} done, {now['skipped']} skipped, {now['failed']} failed | {analyses} |"
    )


async def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Intake under load (bench/intake_under_load.py)\n\n"
            "| when | connections | pull requests | requests | acks/s | p50 | p99 | non-2xx | "
            "settled during the burst | drain after the burst | outcome | diff reads |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        )
    for pulls in (1, 500):
        line = await scenario(pulls, seconds, connections)
        print(line)
        with RESULTS.open("a") as out:
            out.write(line + "\n")


if __name__ == "__main__":
    asyncio.run(main())
