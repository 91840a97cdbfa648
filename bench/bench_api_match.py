"""Benchmark POST /api/match end to end: HTTP, the revision check, ranking, JSON.

For each spellbook size (the generated spellbooks of bench_match.py, stored in a fresh SQLite
database), start `grimoire serve` as a subprocess, wait until its spellbook is compiled, then send
300 different error payloads one after another over loopback and report p50/p99 latency, and the
throughput of 8 concurrent clients. Results go to bench/results/api_match.md.

Run: ``python bench/bench_api_match.py [--sizes 1000,10000,100000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).parent))
from bench_match import payload_for, percentile, spellbook_spells, store_spellbook

RESULTS = Path(__file__).with_name("results") / "api_match.md"
PORT = 8791


async def store_spells(url: str, size: int) -> list[dict[str, object]]:
    """Create the database with ``size`` spells; return 300 payloads that each fit one spell."""
    spells, examples = spellbook_spells(size)
    await store_spellbook(url, spells)
    rng = random.Random(7)
    chosen = rng.sample(spells, 300)
    return [
        msgspec.structs.asdict(payload_for(examples[spell.id], spell.error_type, rng))
        | {"limit": 5}
        for spell in chosen
    ]


def start_server(url: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": url,
        "WORKER_CONCURRENCY": "0",
        "LOG_LEVEL": "WARNING",
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }
    command = [sys.executable, "-m", "grimoire", "serve", "--port", str(PORT), "--no-access-log"]
    return subprocess.Popen(command, env=env)


async def wait_until_warm(client: httpx.AsyncClient, payload: dict[str, object]) -> float:
    started = time.perf_counter()
    while True:
        try:
            response = await client.post("/api/match", json=payload, timeout=120)
            if response.status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            await asyncio.sleep(0.2)


async def measure(size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite+aiosqlite:///{work}/bench.db"
        payloads = await store_spells(url, size)
        server = start_server(url)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
                warm = await wait_until_warm(client, payloads[0])
                latencies = []
                hits = 0
                for payload in payloads:
                    started = time.perf_counter()
                    response = await client.post("/api/match", json=payload)
                    latencies.append((time.perf_counter() - started) * 1000)
                    hits += bool(response.json()["matches"])
                throughput = await concurrent(client, payloads)
        finally:
            server.terminate()
            server.wait()
    return {
        "size": size,
        "warm_s": warm,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "hits": hits / len(payloads),
        "rps": throughput,
    }


async def concurrent(client: httpx.AsyncClient, payloads: list[dict[str, object]]) -> float:
    """Requests per second with 8 clients sending all payloads twice."""
    queue = [payload for _ in range(2) for payload in payloads]
    started = time.perf_counter()

    async def one_client(chunk: list[dict[str, object]]) -> None:
        for payload in chunk:
            await client.post("/api/match", json=payload)

    await asyncio.gather(*(one_client(queue[n::8]) for n in range(8)))
    return len(queue) / (time.perf_counter() - started)


def table(results: list[dict[str, float]]) -> str:
    lines = [
        "| spells | ready after start s | p50 ms | p99 ms | matched | req/s (8 clients) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {int(r['size']):,} | {r['warm_s']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} "
            f"| {r['hits']:.0%} | {r['rps']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    results = [asyncio.run(measure(size)) for size in sizes]
    text = table(results)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# POST /api/match over HTTP\n\nProduced by `python bench/bench_api_match.py`: "
        "`grimoire serve` on SQLite, one client on loopback sending 300 different payloads "
        "sequentially (latency includes HTTP, the spellbook revision check, ranking and JSON), "
        "then 8 concurrent clients.\n\n" + text + "\n"
    )


if __name__ == "__main__":
    main()
