"""Stores written by an earlier spanwise, brought to the current schema in place.

Decision: a store of an older schema version is migrated when it is opened (by a
writer or a reader: the steps only add, so nothing the older version wrote is lost or
reread differently), in one transaction, so a failure leaves it as it was. A store of
a newer version is refused (``StoreSchemaError`` in ``_sql``).

Version 1 -> 2: spans gain ``root_rank`` (computed from the stored parent links),
``kind`` (``UNSPECIFIED``: version 1 did not keep it), ``resource_id`` and ``scope_id``
(none: version 1 did not keep them); traces gain ``root_span_id`` (the root the
summary was read off, found the way writes now find it); the new tables and indexes
are created.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, select

from . import _schema as s

__all__ = ["migrate", "stored_version"]

_V2_COLUMNS = (
    ("spans", "root_rank SMALLINT"),
    ("spans", "kind VARCHAR(16) DEFAULT 'UNSPECIFIED' NOT NULL"),
    ("spans", "resource_id VARCHAR(32)"),
    ("spans", "scope_id VARCHAR(32)"),
    ("traces", "root_span_id VARCHAR(16)"),
)
_V2_INDEXES = ("ix_spans_kind", "ix_spans_root", "ix_spans_orphan")


def stored_version(conn: Connection) -> int | None:
    """The store's schema version (None: a new database, or no version recorded yet)."""
    if not inspect(conn).has_table(s.meta.name):
        return None
    value = conn.execute(select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar()
    return None if value is None else int(value)


def migrate(conn: Connection, version: int) -> None:
    """Bring a store of ``version`` to ``SCHEMA_VERSION`` (in ``conn``'s transaction)."""
    if version < 2:
        _to_v2(conn)
    conn.execute(
        s.meta.update().where(s.meta.c.key == "schema_version").values(value=str(s.SCHEMA_VERSION))
    )


def _to_v2(conn: Connection) -> None:
    for table, column in _V2_COLUMNS:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column}")
    conn.exec_driver_sql(
        "UPDATE spans SET root_rank = CASE "
        "WHEN parent_id IS NULL OR remote_parent THEN 0 "
        "WHEN NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = spans.trace_id "
        "AND p.span_id = spans.parent_id) THEN 1 END"
    )
    for index in s.spans.indexes:
        if index.name in _V2_INDEXES:
            index.create(conn)
    conn.exec_driver_sql(
        "UPDATE traces SET root_span_id = (SELECT r.span_id FROM spans r "
        "WHERE r.trace_id = traces.trace_id AND r.root_rank IS NOT NULL "
        "ORDER BY r.root_rank, r.start_time_ns, r.span_id LIMIT 1)"
    )
    s.metadata.create_all(conn, checkfirst=True)  # the new tables
