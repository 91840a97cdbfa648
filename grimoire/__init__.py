"""Grimoire Engine: names the known problem a pull request or a failing build hits, with its fix."""

from __future__ import annotations

__version__ = "0.1.0"
