"""LOG_FORMAT=json: the real service's every log line is one JSON object with its ids, and no
line holds a secret, a token or a signature it was given or sent."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from grimoire.core.webhook_signature import sign
from grimoire.logs import JSONFormatter, add_ids, logging_delivery, request_id
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub
from tests.servers import serve
from tests.test_lossless import DIFF, REPOSITORY, TOKEN, Service, body_for, head_sha, service_env

API_TOKEN = "api-token-that-must-not-leak"
CLIENT_ID = "client-chosen-id-42"


async def test_service_logs_are_json_with_ids_and_no_secrets(
    database_url: str, tmp_path: Path
) -> None:
    fake = FakeGitHub()
    fake.add_token(TOKEN)
    fake.add_pull(REPOSITORY, 1, diff=DIFF, head_sha=head_sha(1))
    body = body_for(1)
    signature = sign(WEBHOOK_SECRET, body)
    async with serve(fake) as github_url:
        env = service_env(database_url, github_url) | {
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "DEBUG",  # the most a log can say
            "API_TOKEN": API_TOKEN,
        }
        service = Service(env, tmp_path, args=())  # with uvicorn's access lines
        await service.start()
        try:
            answers = await exercise(service.url, body, signature)
        finally:
            await service.stop()
    lines = service.log.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line parses, or this fails
    assert records
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record), record
    by_request = [r for r in records if r.get("request_id") == CLIENT_ID]
    assert by_request, "the access line of the request that sent X-Request-ID"
    assert answers["echoed"] == CLIENT_ID
    made = answers["made"]
    assert len(made) >= 16 and made != CLIENT_ID
    assert any(r.get("request_id") == made for r in records)
    job_lines = [r for r in records if r.get("delivery_id") == "logs-1"]
    assert any(r["logger"].startswith("httpx") for r in job_lines), "the job's GitHub calls"
    text = "\n".join(lines)
    signature_hex = signature.removeprefix("sha256=")
    for secret in (WEBHOOK_SECRET, API_TOKEN, TOKEN_SENT, signature_hex):
        assert secret not in text, secret


TOKEN_SENT = f"Bearer {TOKEN}"


async def exercise(url: str, body: bytes, signature: str) -> dict[str, Any]:
    """Send a signed delivery, read the API with the token, wait until the job is done."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        sent = await http.get("/api/spells", headers=auth | {"X-Request-ID": CLIENT_ID})
        made = await http.get("/api/spells", headers={"Authorization": "Bearer wrong-token"})
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "logs-1",
            "X-Hub-Signature-256": signature,
            "Content-Type": "application/json",
        }
        assert (await http.post("/webhook", content=body, headers=headers)).status_code == 202
        for _ in range(200):
            status = (await http.get("/api/deliveries/logs-1", headers=auth)).json()["status"]
            if status in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
        assert status == "done"
    return {"echoed": sent.headers["x-request-id"], "made": made.headers["x-request-id"]}


@pytest.mark.parametrize(
    ("sent", "kept"), [("abc-123", True), ("evil\nline", False), ("x" * 200, False)]
)
async def test_request_id_is_taken_only_when_safe(
    client: httpx.AsyncClient, sent: str, kept: bool
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": sent})
    echoed = response.headers["x-request-id"]
    assert (echoed == sent) == kept
    assert echoed


def test_json_formatter_carries_ids_and_tracebacks() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("grimoire.x", logging.ERROR, __file__, 1, "hi %s", ("x",), exc_info)
    token = request_id.set("r1")
    try:
        with logging_delivery("d1"):
            add_ids(record)
    finally:
        request_id.reset(token)
    entry = json.loads(JSONFormatter().format(record))
    assert entry["message"] == "hi x"
    assert (entry["request_id"], entry["delivery_id"], entry["level"]) == ("r1", "d1", "ERROR")
    assert "ValueError: boom" in entry["exception"]
    # What the text format appends (add_ids sets it on the record).
    assert record.__dict__["ids"] == " [request_id=r1 delivery_id=d1]"
