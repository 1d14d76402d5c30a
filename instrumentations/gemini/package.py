"""What this instrumentor instruments."""

from __future__ import annotations

__all__ = ["_instruments"]

_instruments = ("google-genai >= 1.0.0",)
