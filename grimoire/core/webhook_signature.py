"""Webhook signatures: GitHub's ``X-Hub-Signature-256``, HMAC-SHA256 of the raw body.

https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

PREFIX = "sha256="
_HEX_DIGITS = frozenset("0123456789abcdef")


def sign(secret: str, body: bytes) -> str:
    """Return the ``X-Hub-Signature-256`` value GitHub sends for ``body`` signed with ``secret``."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secrets: Sequence[str], body: bytes, header: str | None) -> bool:
    """Return whether ``header`` is exactly ``sha256=`` + the lowercase hex HMAC of ``body``.

    Any of ``secrets`` may have made it (the current one and, during a rotation, the previous
    one). A ``sha1=`` signature alone is never enough. Every secret is compared in constant time.
    """
    if header is None or not header.startswith(PREFIX):
        return False
    digest = header[len(PREFIX) :]
    if len(digest) != 64 or not _HEX_DIGITS.issuperset(digest):
        return False
    matched = False
    for secret in secrets:
        expected = sign(secret, body).encode("ascii")
        matched |= hmac.compare_digest(expected, header.encode("ascii"))
    return matched
