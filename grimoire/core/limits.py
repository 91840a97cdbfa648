"""GitHub's limits on what Grimoire sends, each declared once, all texts in UTF-8 bytes.

GitHub documents its text limits in characters; a UTF-8 byte count is never smaller than the
character count, so a text within these byte limits fits whichever way GitHub counts. The
renderer (``grimoire.core.report``) packs its texts within them, and the GitHub client
(``grimoire.github.checks``) cuts anything else that would not fit, in the same unit.
"""

from __future__ import annotations

MAX_COMMENT_BYTES = 65_536
"""An issue comment's body: "body is too long (maximum is 65536 characters)".
https://docs.github.com/en/rest/issues/comments#create-an-issue-comment"""

MAX_CHECK_TEXT_BYTES = 65_535
"""A check run output's ``summary`` and ``text`` each (65,535 characters).
https://docs.github.com/en/rest/checks/runs#update-a-check-run"""

MAX_ANNOTATION_TEXT_BYTES = 65_535
"""An annotation's ``message`` and ``raw_details`` each (64 KB)."""

MAX_ANNOTATION_TITLE_BYTES = 255
"""An annotation's ``title`` (255 characters)."""

MAX_ANNOTATIONS_PER_REQUEST = 50
"""Annotations in one check run request: "To create more than 50 annotations, you have to make
multiple requests ... annotations are appended"."""


def utf8_size(text: str) -> int:
    """Return how many bytes ``text`` takes in UTF-8, the unit of every limit here."""
    return len(text.encode())
