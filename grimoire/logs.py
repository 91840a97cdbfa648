"""Process-wide logging: one line per record, to stderr, at the configured level.

``LOG_FORMAT=text`` (the default, for a terminal) writes ``time LEVEL logger: message``;
``LOG_FORMAT=json`` writes one JSON object per line, for a log pipeline. Either way each record
carries the id of the HTTP request (``X-Request-ID``) or of the delivery (the worker's job) it
was logged for: both are context variables, so every log call inside the request or the job
gets them without passing them around.

What is logged never holds a secret: Grimoire logs no headers and no bodies, and GitHub tokens
travel in headers only. A test runs the service and greps its logs for every secret it was given.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(ids)s"

request_id: ContextVar[str | None] = ContextVar("grimoire_request_id", default=None)
delivery_id: ContextVar[str | None] = ContextVar("grimoire_delivery_id", default=None)

# Library lines that are chatter for an operator, and the level they need to pass below DEBUG:
# alembic's "Context impl SQLiteImpl" on every command and httpx's line per request are INFO;
# stamina logs each scheduled retry as a WARNING that says only "stamina.retry_scheduled" (ours
# say what failed). At LOG_LEVEL=DEBUG they all pass.
CHATTY_LIBRARIES = {
    "alembic": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "stamina": logging.ERROR,
}


def configure_logging(level: str, fmt: LogFormat = "text") -> None:
    """Send log records at ``level`` and above to stderr in ``fmt`` (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level)
    debug = logging.getLevelName(level) == logging.DEBUG
    for name, quiet in CHATTY_LIBRARIES.items():
        logging.getLogger(name).setLevel(logging.NOTSET if debug else quiet)
    formatter = JSONFormatter() if fmt == "json" else logging.Formatter(FORMAT)
    for handler in root.handlers:
        if getattr(handler, "_grimoire", False):
            handler.setFormatter(formatter)
            return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.addFilter(add_ids)
    handler._grimoire = True  # type: ignore[attr-defined]
    root.addHandler(handler)


@contextlib.contextmanager
def logging_delivery(delivery: str) -> Iterator[None]:
    """Tag every record logged inside the block with this delivery id."""
    token = delivery_id.set(delivery)
    try:
        yield
    finally:
        delivery_id.reset(token)


def add_ids(record: logging.LogRecord) -> bool:
    """Copy the current request and delivery ids onto the record (a handler filter)."""
    record.request_id = request_id.get()
    record.delivery_id = delivery_id.get()
    ids = [f"{name}={value}" for name, value in _ids(record).items()]
    record.ids = f" [{' '.join(ids)}]" if ids else ""
    return True


def _ids(record: logging.LogRecord) -> dict[str, str]:
    found = {
        "request_id": getattr(record, "request_id", None),
        "delivery_id": getattr(record, "delivery_id", None),
    }
    return {name: value for name, value in found.items() if value}


class JSONFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)
