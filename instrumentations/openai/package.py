"""What this instrumentor instruments."""

from __future__ import annotations

__all__ = ["_instruments"]

_instruments = ("openai >= 1.40.0",)
