"""The trace store (SQLite / PostgreSQL) and its background writer.

``_sql`` (SQLAlchemy) is imported on first use of the store, not with spanwise.
"""

from __future__ import annotations

from ._writer import StoreWriter

__all__ = ["StoreWriter"]
