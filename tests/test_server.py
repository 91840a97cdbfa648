"""The server's limits, probed over raw sockets the way a hostile client would.

Each test is a reproduction from issue 11: before the limits, a 1 MiB header was accepted, a
half-sent request held its connection forever, a body stalled one byte short held its memory
forever, parser errors were plain text, and a client leaving mid-body logged two tracebacks.
The limits here are small so the tests are quick; the defaults are in ``grimoire.limits``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest

from grimoire.app import create_app
from grimoire.config import Settings
from grimoire.limits import ServerLimits
from grimoire.server import server_options
from tests.servers import serve

LIMITS = ServerLimits(
    header_timeout=0.6,
    body_timeout=0.6,
    idle_timeout=0.6,
    max_connections=8,
    body_slots=2,
    slot_wait=0.3,
)
MATCH = b'{"message": "ModuleNotFoundError: No module named yaml"}'


@contextlib.asynccontextmanager
async def running(settings: Settings, limits: ServerLimits = LIMITS) -> AsyncIterator[str]:
    """Serve the app as ``grimoire serve`` does, with ``limits``; yield ``host:port``."""
    settings = dataclasses.replace(settings, limits=limits)
    async with serve(create_app(settings), **server_options(limits)) as url:
        yield urlsplit(url).netloc


class Answer:
    """A raw HTTP answer: status, headers, the JSON error body."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = dict(line.lower().split(": ", 1) for line in lines[1:])

    def assert_error(self, status: int, code: str) -> None:
        assert self.status == status, (self.status, self.body[:200])
        assert self.headers["content-type"] == "application/json"
        error = msgspec.json.decode(self.body)
        assert error["error_code"] == code
        assert error["detail"]
        datetime.fromisoformat(error["timestamp"])


async def exchange(netloc: str, *parts: bytes, pause: float = 0.0, wait: float = 5.0) -> bytes:
    """Send ``parts`` (``pause`` s apart) on a new connection; return all it answers until EOF."""
    host, port = netloc.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(pause)
        async with asyncio.timeout(wait):
            return await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_a_huge_header_is_refused_431_in_json(app_settings: Settings) -> None:
    async with running(app_settings) as netloc:
        big = (
            b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1024 * 1024) + b"\r\n\r\n"
        )
        with contextlib.suppress(ConnectionResetError):
            Answer(await exchange(netloc, big)).assert_error(431, "HEADERS_TOO_LARGE")
        async with httpx.AsyncClient(base_url=f"http://{netloc}") as client:
            assert (await client.get("/health/live")).status_code == 200


async def test_a_whole_head_over_the_limit_in_one_chunk_is_refused_431(
    app_settings: Settings,
) -> None:
    # Complete and small enough to arrive in one read: refused by the parsed size, not by the
    # bytes of an unfinished head.
    head = b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
    over = LIMITS.max_header_bytes + 1 - len(head) - len(b"X-Big: \r\n\r\n")
    async with running(app_settings) as netloc:
        answer = await exchange(netloc, head + b"X-Big: " + b"a" * over + b"\r\n\r\n")
        Answer(answer).assert_error(431, "HEADERS_TOO_LARGE")
        fits = head + b"X-Big: " + b"a" * (over - 100) + b"\r\nConnection: close\r\n\r\n"
        assert (await exchange(netloc, fits)).startswith(b"HTTP/1.1 200")


async def test_pipelined_requests_with_bodies_are_all_answered(app_settings: Settings) -> None:
    # A chunk that ends one body and begins the next head: the head is measured from its start.
    body = b"x" * (LIMITS.max_header_bytes * 2)
    post = (
        b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    last = b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    async with running(app_settings) as netloc:
        raw = await exchange(netloc, post + post + last)
    assert raw.count(b"HTTP/1.1 400") == 2  # not JSON: the body was read and answered
    assert raw.count(b"HTTP/1.1 200") == 1
    assert b"HEADERS_TOO_LARGE" not in raw


async def test_a_malformed_request_is_answered_400_in_json(app_settings: Settings) -> None:
    async with running(app_settings) as netloc:
        answer = Answer(await exchange(netloc, b"GET /health/live HTTP/1.1\r\nno colon\r\n\r\n"))
        answer.assert_error(400, "BAD_REQUEST")
        assert answer.headers["connection"] == "close"


async def test_too_many_headers_431_and_a_long_target_414(app_settings: Settings) -> None:
    async with running(app_settings) as netloc, httpx.AsyncClient() as client:
        headers = {f"x-h{i}": "1" for i in range(LIMITS.max_headers + 1)}
        answer = await client.get(f"http://{netloc}/health/live", headers=headers)
        assert answer.status_code == 431
        assert answer.json()["error_code"] == "HEADERS_TOO_LARGE"
        answer = await client.get(f"http://{netloc}/health/live?q={'a' * 9000}")
        assert answer.status_code == 414
        assert answer.json()["error_code"] == "REQUEST_LINE_TOO_LONG"


@pytest.mark.parametrize(
    "sent", [b"", b"GET /health/live HTTP/1.1\r\nHost: x\r\n"], ids=["nothing", "half a head"]
)
async def test_a_request_head_that_never_completes_times_out_408(
    app_settings: Settings, sent: bytes
) -> None:
    async with running(app_settings) as netloc:
        started = asyncio.get_running_loop().time()
        Answer(await exchange(netloc, sent)).assert_error(408, "REQUEST_TIMEOUT")
        assert asyncio.get_running_loop().time() - started < LIMITS.header_timeout + 2


async def test_a_slow_head_of_a_kept_alive_connection_times_out(app_settings: Settings) -> None:
    request = b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
    async with running(app_settings) as netloc:
        raw = await exchange(netloc, request, b"GET /health/live HT", pause=0.2)
        first, _, rest = raw.partition(b"HTTP/1.1 408")
        assert first.startswith(b"HTTP/1.1 200")
        assert b"REQUEST_TIMEOUT" in rest


async def test_an_idle_kept_alive_connection_is_closed(app_settings: Settings) -> None:
    async with running(app_settings) as netloc:
        raw = await exchange(netloc, b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 200")  # read to EOF: the server closed it


async def test_half_open_connections_cannot_lock_out_a_real_client(
    app_settings: Settings,
) -> None:
    async with running(app_settings) as netloc:
        host, port = netloc.split(":")
        held = [
            await asyncio.open_connection(host, int(port))
            for _ in range(3 * LIMITS.max_connections)
        ]
        try:
            async with httpx.AsyncClient(base_url=f"http://{netloc}") as client:
                assert (await client.get("/health/live")).status_code == 200
            closed = 0
            for reader, _ in held:
                with contextlib.suppress(TimeoutError, ConnectionResetError):
                    async with asyncio.timeout(0.1):
                        closed += await reader.read() is not None
            assert closed >= 2 * LIMITS.max_connections  # the oldest were closed to make room
        finally:
            for _, writer in held:
                writer.close()


async def test_a_body_stalled_one_byte_short_times_out_408(app_settings: Settings) -> None:
    head = b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    request = head + b"Content-Length: %d\r\n\r\n" % len(MATCH) + MATCH[:-1]
    async with running(app_settings) as netloc:
        started = asyncio.get_running_loop().time()
        Answer(await exchange(netloc, request)).assert_error(408, "REQUEST_TIMEOUT")
        assert asyncio.get_running_loop().time() - started < LIMITS.body_timeout + 2


async def test_bodies_beyond_the_slots_wait_then_get_503(app_settings: Settings) -> None:
    """Two stalled bodies take both slots: a third is refused instead of read into memory."""
    head = b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    stalled = head + b"Content-Length: %d\r\n\r\n" % len(MATCH) + MATCH[:1]
    complete = head + b"Content-Length: %d\r\n\r\n" % len(MATCH) + MATCH
    async with running(app_settings) as netloc:
        holders = [asyncio.create_task(exchange(netloc, stalled)) for _ in range(LIMITS.body_slots)]
        await asyncio.sleep(0.15)
        Answer(await exchange(netloc, complete)).assert_error(503, "SERVER_BUSY")
        for answer in await asyncio.gather(*holders):
            Answer(answer).assert_error(408, "REQUEST_TIMEOUT")
        assert Answer(await exchange(netloc, complete)).status == 200  # the slots are free again


async def test_a_refused_body_closes_the_connection(app_settings: Settings) -> None:
    """A client that keeps dribbling its body after the 408 no longer holds the connection."""
    head = b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    async with running(app_settings) as netloc:
        host, port = netloc.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head + b"Content-Length: 1000\r\n\r\n")
        answer = asyncio.create_task(reader.read())  # until EOF: the server closes
        with contextlib.suppress(ConnectionError):
            for _ in range(60):
                if answer.done():
                    break
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.1)
        assert answer.done(), "the connection is still open after 6 s of dribbling"
        try:
            async with asyncio.timeout(2):
                raw = await answer
        except ConnectionResetError:
            raw = b""  # closed while a byte was on its way: closed all the same
        writer.close()
    if raw:  # read to EOF while the client was still sending: the server closed it
        Answer(raw).assert_error(408, "REQUEST_TIMEOUT")


async def test_a_client_leaving_mid_body_logs_one_line_no_traceback(
    app_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    head = b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    async with running(app_settings, dataclasses.replace(LIMITS, body_timeout=5)) as netloc:
        host, port = netloc.split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(head + b"Content-Length: 1000\r\n\r\n" + MATCH)
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
        await asyncio.sleep(0.3)
    errors: list[Any] = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert errors == []
    assert any("left before sending its whole body" in r.getMessage() for r in caplog.records)


async def test_an_unsigned_webhook_body_is_refused_before_it_is_read(
    app_settings: Settings,
) -> None:
    head = (
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-GitHub-Event: push\r\nX-GitHub-Delivery: unsigned-1\r\n"
    )
    request = head + b"Content-Length: %d\r\n\r\n" % (25 * 1024 * 1024) + b"{" * 1024
    async with running(app_settings) as netloc:
        # Only 1 KiB of the 25 MiB is ever sent: the answer cannot wait for the rest.
        Answer(await exchange(netloc, request, wait=3)).assert_error(401, "INVALID_SIGNATURE")
