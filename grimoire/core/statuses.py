"""Every status set Grimoire stores and reports, each declared once as a ``Literal``.

The tables (``grimoire.storage.tables``), the storage functions, the API schemas and OpenAPI
all take their values from here.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

DeliveryStatus = Literal["queued", "processing", "done", "failed", "ignored", "skipped"]
"""A delivery: queued → processing → done | failed (retried with backoff until then);
ignored for events no source reads; skipped when another delivery's analysis covers it (the
same head, coalesced) or a newer push superseded its head (``last_error`` says which)."""
DELIVERY_STATUSES: Final[tuple[DeliveryStatus, ...]] = get_args(DeliveryStatus)

AnalysisStatus = Literal["processing", "done", "failed"]
"""An analysis: processing → done | failed (a retry of its job makes it processing again)."""

ReportStatus = Literal["pending", "reported", "skipped", "retrying", "failed"]
"""What became of an analysis's report: pending → reported | skipped (nothing to send, or a
newer report exists) | retrying (GitHub failed, the job runs again) | failed (for good)."""
