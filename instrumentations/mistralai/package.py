"""What this instrumentor instruments."""

from __future__ import annotations

__all__ = ["_instruments"]

_instruments = ("mistralai >= 1.5.0",)
