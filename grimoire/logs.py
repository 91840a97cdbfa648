"""Process-wide logging: one line per record, to stderr, at the configured level."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send log records at ``level`` and above to stderr (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(handler, "_grimoire", False) for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._grimoire = True  # type: ignore[attr-defined]
        root.addHandler(handler)
