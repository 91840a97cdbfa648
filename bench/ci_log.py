"""A failed job's 50 MB log to a reported comment: how long, and how much memory it takes.

``grimoire serve`` (SQLite, the starter spellbook seeded) runs as a subprocess against the fake
GitHub of the tests, whose job log redirects (302) to a log storage on another port, as GitHub's
does. The log is build output (``Compiling …`` lines) with the failing step's Python traceback
at its end. Reported per log size: the seconds from the signed ``workflow_run`` delivery to the
PR's comment naming the root cause, and the service's peak RSS (``VmHWM``) before and after.
The reader keeps only the log's last 8 MiB, so the peak must not grow with the log.

Run from the repository root: ``python bench/ci_log.py [SIZES_MB]`` (default ``5,50,200``; a
few seconds each).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grimoire.core.webhook_signature import sign  # noqa: E402
from grimoire.github.actions import DEFAULT_MAX_LOG_BYTES  # noqa: E402
from tests.fakegithub import FakeGitHub, LogStorage, WorkflowStep  # noqa: E402
from tests.fixtures import WEBHOOKS  # noqa: E402
from tests.servers import serve  # noqa: E402
from tests.test_lossless import Service  # noqa: E402

SECRET = "ci-log-bench-secret"
TOKEN = "ghp_cilogbench"
REPOSITORY = "octo/bench"
HEAD = "3f" * 20
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TIME_LIMIT = 120.0
RESULTS = Path(__file__).with_name("results") / "ci_log.md"
FAILURE = [
    "Traceback (most recent call last):",
    '  File "/home/runner/work/bench/bench/app/main.py", line 3, in <module>',
    "    import requests",
    "ModuleNotFoundError: No module named 'requests'",
    "##[error]Process completed with exit code 1.",
]


def stamp(second: float) -> str:
    return (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def job_log(size: int) -> bytes:
    """About ``size`` bytes of build output, then the failing step."""
    line = f"{stamp(10)}    Compiling widget-core v0.1.0 (/home/runner/work/bench/crates/core)\n"
    body = line.encode() * (size // len(line))
    tail = "".join(f"{stamp(700)} {text}\n" for text in ["##[group]Run python -m app", *FAILURE])
    return body + tail.encode()


def delivery_body(run_id: int) -> bytes:
    payload = json.loads((WEBHOOKS / "workflow_run" / "completed.2.json").read_bytes())
    payload["workflow_run"].update(
        id=run_id, name="CI", conclusion="failure", head_sha=HEAD, event="pull_request"
    )
    payload["workflow_run"]["pull_requests"] = [{"number": 1, "head": {"sha": HEAD}}]
    payload["repository"]["full_name"] = REPOSITORY
    return json.dumps(payload).encode()


def peak_rss_mib(pid: int) -> tuple[float, float]:  # Linux
    """Return (current RSS, peak RSS) of a process in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


async def one_size(size_mb: int, service: Service, fake: FakeGitHub, run_id: int) -> str:
    log = job_log(size_mb * 1024 * 1024)
    run = fake.add_run(REPOSITORY, run_id, head_sha=HEAD)
    steps = [
        WorkflowStep(1, "Build", "success", stamp(0), stamp(600)),
        WorkflowStep(2, "Test", "failure", stamp(700), stamp(701)),
    ]
    fake.add_job(run, "test", log=log, steps=steps)
    fake.comments.clear()
    assert service.process is not None
    rss_before, peak_before = peak_rss_mib(service.process.pid)
    body = delivery_body(run_id)
    headers = {
        "X-GitHub-Event": "workflow_run",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET, body),
        "Content-Type": "application/json",
    }
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(f"{service.url}/webhook", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
    while not fake.comments:
        assert time.perf_counter() - started < TIME_LIMIT, "no comment in time"
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    comment = fake.comments[-1].body
    assert "No module named 'requests'" in comment, comment
    cut = "Only the end of this job's log was read" in comment
    assert cut == (len(log) > DEFAULT_MAX_LOG_BYTES), comment
    rss_after, peak_after = peak_rss_mib(service.process.pid)
    del log
    return (
        f"| {size_mb} MB | {elapsed:.2f} s | {rss_before:.0f} MiB | {peak_before:.0f} MiB "
        f"| {peak_after:.0f} MiB | {rss_after:.0f} MiB |"
    )


async def main(sizes: list[int]) -> None:
    fake, storage = FakeGitHub(), LogStorage()
    fake.add_token(TOKEN)
    fake.add_pull(REPOSITORY, 1, head_sha=HEAD)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with serve(fake) as api, serve(storage, lifespan="off") as blobs:
            storage.url = blobs
            fake.log_storage = storage
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
                "GITHUB_API_URL": api,
                "GITHUB_API_TOKEN": TOKEN,
                "GITHUB_WEBHOOK_SECRET": SECRET,
                "GITHUB_WRITE_SPACING": "0",
                "LOG_LEVEL": "WARNING",
            }
            seed = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "grimoire",
                "spells",
                "seed",
                env=env,
                cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL,
            )
            assert await seed.wait() == 0
            for n, size in enumerate(sizes):
                # A fresh process per size, so that each peak is that size's alone.
                service = Service(env, Path(tmp))
                await service.start()
                try:
                    rows.append(await one_size(size, service, fake, 5000 + n))
                    print(rows[-1], flush=True)
                finally:
                    await service.stop()
    report(rows)


def report(rows: list[str]) -> None:
    text = "\n".join(
        [
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs · "
            f"Python {sys.version.split()[0]}",
            "",
            "A fresh service process per size; the first job also compiles the spellbook.",
            "",
            "| log | delivery → comment | RSS before | peak before | peak after | RSS after |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as results:
        results.write(text + "\n")
    print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "5,50,200"
    asyncio.run(main([int(part) for part in arg.split(",")]))
