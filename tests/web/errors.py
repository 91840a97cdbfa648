"""Assertions on the documented error shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is an error in the documented shape, and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    datetime.fromisoformat(body["timestamp"])
    assert set(body) <= {"detail", "error_code", "timestamp", "errors"}
    assert ("errors" in body) == (status == 422)
    return body


def error_paths(response: httpx.Response) -> set[str]:
    """Return the field paths a 422 names."""
    return {error["path"] for error in response.json()["errors"]}
