"""Hostile traffic against a real `grimoire serve` on loopback: each attack answered in bounded
time and memory, and /health/live answering throughout (issue 11).

Starts `grimoire serve` as a subprocess (SQLite in a temporary directory, no workers), probes
/health/live every 50 ms on its own connection for the whole run, samples the server's resident
memory every 50 ms from /proc, and runs each attack in turn, every one bounded in time:

- 1 MiB of repeated ``Traceback (most recent call last):`` lines to /api/match/log (and 7 MiB,
  just under its 8 MiB limit once JSON-escaped);
- JSON nested 1,000 deep to /api/match, /api/spells and (signed) /webhook;
- a 64 MiB header, streamed until the server closes the connection;
- 20 bodies sent one byte a second; 8 bodies of 25 MiB stalled one byte short;
- 50 concurrent unsigned 25 MiB webhook bodies, then 50 with a forged signature;
- 2,000 half-open connections (a partial request line each), held open.

The body and header timeouts are set to 5 s for the run (the defaults are 30 s and 10 s) so it
finishes in about two minutes; every other limit has its default. Results go to
bench/results/adversarial.md.

Run: ``python bench/adversarial.py``
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RESULTS = Path(__file__).with_name("results") / "adversarial.md"
PORT = 8793
SECRET = "adversarial-bench-secret"
MIB = 1024 * 1024
ENV = {
    "WORKER_CONCURRENCY": "0",
    "LOG_LEVEL": "ERROR",
    "GITHUB_API_URL": "http://127.0.0.1:9",
    "GITHUB_WEBHOOK_SECRET": SECRET,
    "HTTP_BODY_TIMEOUT": "5",
    "HTTP_HEADER_TIMEOUT": "5",
}


@dataclass
class Probe:
    """/health/live latencies and server RSS, sampled in the background."""

    pid: int
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    rss: list[int] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    response = await client.get("/health/live", timeout=5)
                    response.raise_for_status()
                    self.latencies.append(time.perf_counter() - started)
                except httpx.HTTPError:
                    self.failures += 1
                self.rss.append(rss_kib(self.pid))
                await asyncio.sleep(0.05)

    def window(self) -> tuple[int, int]:
        return len(self.latencies), len(self.rss)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def signed(body: bytes, delivery: str) -> dict[str, str]:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={signature}",
        "Content-Type": "application/json",
    }


async def raw(parts: list[bytes], *, pause: float = 0.0, wait: float = 30.0) -> bytes:
    """Send ``parts`` on a new connection, until the server answers; return what it answered
    (read until EOF, or ``wait`` s)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    answer = asyncio.create_task(reader.read())
    try:
        for part in parts:
            if answer.done():
                break
            writer.write(part)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        async with asyncio.timeout(wait):
            return await answer
    except (ConnectionError, TimeoutError) as exc:
        if answer.done() and not answer.cancelled() and answer.exception() is None:
            return answer.result()
        return f"({type(exc).__name__})".encode()
    finally:
        answer.cancel()
        writer.close()


def status_of(answer: bytes) -> str:
    return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/1.1 ") else answer.decode()


async def tracebacks(mib: int) -> str:
    text = "Traceback (most recent call last):\n" * (mib * MIB // 35)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=120) as client:
        response = await client.post("/api/match/log", json={"text": text})
    return str(response.status_code)


async def deep_json() -> str:
    deep = b'{"a":' * 1000 + b"1" + b"}" * 1000
    answers = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
        for path in ("/api/match", "/api/match/log", "/api/spells"):
            response = await client.post(
                path, content=deep, headers={"Content-Type": "application/json"}
            )
            answers.append(response.status_code)
        response = await client.post("/webhook", content=deep, headers=signed(deep, "deep-1"))
        answers.append(response.status_code)
    return ", ".join(map(str, answers))


async def huge_header() -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ")
    sent = 0
    chunk = b"a" * (256 * 1024)
    try:
        while sent < 64 * MIB:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
    except ConnectionError:
        pass
    try:
        async with asyncio.timeout(10):
            answer = await reader.read()
    except (ConnectionError, TimeoutError):
        answer = b"(closed)"
    writer.close()
    return f"{status_of(answer)} after {sent // 1024} KiB sent"


async def slow_bodies() -> str:
    head = b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    request = [head + b"Content-Length: 1000\r\n\r\n"] + [b" "] * 60
    answers = await asyncio.gather(*(raw(request, pause=1.0, wait=60) for _ in range(20)))
    return summarize(answers)


async def stalled_bodies() -> str:
    head = b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += b"X-Hub-Signature-256: sha256=" + b"0" * 64 + b"\r\n"  # read, then judged
    size = 25 * MIB
    body = [b" " * MIB] * 24 + [b" " * (MIB - 1)]
    request = [head + f"Content-Length: {size}\r\n\r\n".encode(), *body]
    answers = await asyncio.gather(*(raw(request, wait=60) for _ in range(8)))
    return summarize(answers)


async def concurrent_unsigned(forged: bool = False) -> str:
    head = b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if forged:
        head += b"X-Hub-Signature-256: sha256=" + b"0" * 64 + b"\r\n"
    body = [b" " * MIB] * 25
    request = [head + f"Content-Length: {25 * MIB}\r\nConnection: close\r\n\r\n".encode(), *body]
    answers = await asyncio.gather(*(raw(request, wait=60) for _ in range(50)))
    return summarize(answers)


async def half_open() -> str:
    conns = []
    for _ in range(2000):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", PORT)
            writer.write(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
            conns.append(writer)
        except OSError:
            break
    await asyncio.sleep(8)  # past the header timeout
    for writer in conns:
        writer.close()
    return f"{len(conns)} opened and held 8 s"


def summarize(answers: list[bytes]) -> str:
    counts: dict[str, int] = {}
    for answer in answers:
        counts[status_of(answer)] = counts.get(status_of(answer), 0) + 1
    return ", ".join(f"{n}x {status}" for status, n in sorted(counts.items()))


ATTACKS: list[tuple[str, Callable[[], Awaitable[str]]]] = [
    ("1 MiB of repeated Traceback headers, /api/match/log", lambda: tracebacks(1)),
    ("7 MiB of repeated Traceback headers, /api/match/log", lambda: tracebacks(7)),
    ("JSON nested 1,000 deep: /api/match, /api/match/log, /api/spells, /webhook", deep_json),
    ("a 64 MiB header", huge_header),
    ("20 bodies at one byte a second", slow_bodies),
    ("8 bodies of 25 MiB stalled one byte short", stalled_bodies),
    ("50 concurrent unsigned 25 MiB webhook bodies", concurrent_unsigned),
    (
        "50 concurrent 25 MiB webhook bodies with a forged signature",
        lambda: concurrent_unsigned(forged=True),
    ),
    ("2,000 half-open connections", half_open),
]


async def attack_all(pid: int) -> list[str]:
    probe = Probe(pid)
    stop = asyncio.Event()
    prober = asyncio.create_task(probe.run(stop))
    await asyncio.sleep(1)
    rows = []
    for name, attack in ATTACKS:
        lat0, rss0 = probe.window()
        failures0 = probe.failures
        started = time.perf_counter()
        async with asyncio.timeout(120):
            outcome = await attack()
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.2)
        lats = sorted(probe.latencies[lat0:]) or [float("nan")]
        peak = max(probe.rss[rss0:] or [0]) / 1024
        rows.append(
            f"| {name} | {outcome} | {elapsed:.1f} s | {peak:.0f} MiB | "
            f"{lats[len(lats) // 2] * 1000:.1f} / {lats[-1] * 1000:.1f} ms | "
            f"{probe.failures - failures0} |"
        )
        print(rows[-1], flush=True)
    stop.set()
    await prober
    return rows


def wait_until_up() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", PORT)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("grimoire serve did not start")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db"}
        command = [sys.executable, "-m", "grimoire", "serve", "--port", str(PORT)]
        server = subprocess.Popen([*command, "--no-access-log"], env=env)
        try:
            wait_until_up()
            rows = asyncio.run(attack_all(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    header = [
        "# Adversarial traffic (bench/adversarial.py)",
        "",
        f"`grimoire serve` on loopback, SQLite, no workers, {os.cpu_count()} CPUs (shared), "
        "HTTP_BODY_TIMEOUT=5 and HTTP_HEADER_TIMEOUT=5, every other limit at its default. "
        "/health/live is probed every 50 ms throughout on its own connection; RSS is the "
        "server's, sampled every 50 ms.",
        "",
        "| attack | answers | took | peak RSS | /health/live p50 / max | probe failures |",
        "|---|---|---|---|---|---|",
    ]
    RESULTS.write_text("\n".join([*header, *rows]) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
