"""What this instrumentor instruments."""

from __future__ import annotations

__all__ = ["_instruments"]

_instruments = ("anthropic >= 0.47.0",)
