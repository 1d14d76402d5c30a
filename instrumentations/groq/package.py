"""What this instrumentor instruments."""

from __future__ import annotations

__all__ = ["_instruments"]

_instruments = ("groq >= 0.4.0",)
