"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

``spans`` holds each span's record as JSON, less its resource and scope, which are
filed once each in ``resources`` and ``scopes`` and referred to by id. ``traces``
(a summary read off the trace's root), ``trace_tags``, ``trace_metadata`` and
``trace_sources`` (which resources and scopes a trace's spans came from) exist for
search; a write keeps them current incrementally, touching only the spans that arrived.

``spans.root_rank`` makes that possible: 0 for a span with no parent (or a remote one),
1 for a span whose parent has not arrived, NULL otherwise; the trace's root is its
first span by (root_rank, start, span id), one index probe away.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

__all__ = [
    "SCHEMA_VERSION",
    "SEARCH_VALUE_CHARS",
    "meta",
    "metadata",
    "resource_attributes",
    "resources",
    "scopes",
    "spans",
    "tags",
    "trace_metadata",
    "trace_sources",
    "traces",
]

# Bump with a migration when a table changes; a store written by a newer spanwise is
# refused with a clear error instead of being misread.
# 2: OTLP kept whole (kind, resources, scopes), incremental writes (root_rank,
# root_span_id). A version-1 store is migrated in place when opened (see _migrate).
SCHEMA_VERSION = 2
# Tag and metadata values are indexed for search up to this length (PostgreSQL's btree
# rows are capped at ~2.7 kB); the full value stays on the trace's root span.
SEARCH_VALUE_CHARS = 1000

metadata = MetaData()

meta = Table(
    "spanwise_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

traces = Table(
    "traces",
    metadata,
    Column("trace_id", String(40), primary_key=True),
    Column("name", Text),
    Column("state", String(16), nullable=False),
    Column("request_time", BigInteger, nullable=False),
    # The root's exact start: orders traces that start within the same millisecond.
    Column("start_time_ns", BigInteger, nullable=False),
    Column("execution_duration", BigInteger),
    Column("request_preview", Text),
    Column("response_preview", Text),
    Column("client_request_id", String(256)),
    Column("span_count", Integer, nullable=False),
    # The span the summary was read off (NULL only in a store migrated from version 1
    # before any write touched the trace).
    Column("root_span_id", String(16)),
    # Serves the default order (newest first, exact start, id) so LIMIT stops early.
    Index("ix_traces_order", "request_time", "start_time_ns", "trace_id"),
)

spans = Table(
    "spans",
    metadata,
    Column("trace_id", String(40), primary_key=True),
    Column("span_id", String(16), primary_key=True),
    Column("parent_id", String(16)),
    Column("name", Text, nullable=False),
    Column("span_type", String(64), nullable=False),
    Column("start_time_ns", BigInteger, nullable=False),
    Column("end_time_ns", BigInteger),
    Column("status", String(8), nullable=False),
    Column("remote_parent", Boolean, nullable=False),
    Column("content", Text, nullable=False),
    Column("root_rank", SmallInteger),
    Column("kind", String(16), nullable=False, server_default="UNSPECIFIED"),
    Column("resource_id", String(32)),
    Column("scope_id", String(32)),
    # (value, trace_id): serve both `trace_id IN (SELECT ...)` and correlated EXISTS.
    Index("ix_spans_name", "name", "trace_id"),
    Index("ix_spans_span_type", "span_type", "trace_id"),
    Index("ix_spans_kind", "kind", "trace_id"),
    # The trace's root candidates, best first: the root is the first row.
    Index(
        "ix_spans_root",
        "trace_id",
        "root_rank",
        "start_time_ns",
        "span_id",
        sqlite_where=Column("root_rank").is_not(None),
        postgresql_where=Column("root_rank").is_not(None),
    ),
    # Spans waiting for their parent, found by it when it arrives (parent_id first: it
    # is selective whatever the planner believes of a trace's size).
    Index(
        "ix_spans_orphan",
        "parent_id",
        "trace_id",
        sqlite_where=Column("root_rank") == 1,
        postgresql_where=Column("root_rank") == 1,
    ),
)

# Resources and scopes by content hash (blake2b-128 of their canonical JSON).
resources = Table(
    "resources",
    metadata,
    Column("resource_id", String(32), primary_key=True),
    Column("content", Text, nullable=False),
)
resource_attributes = Table(
    "resource_attributes",
    metadata,
    Column("resource_id", String(32), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),  # as text, cut to SEARCH_VALUE_CHARS
    Index("ix_resource_attributes_key_value", "key", "value"),
)
scopes = Table(
    "scopes",
    metadata,
    Column("scope_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("content", Text, nullable=False),
    Index("ix_scopes_name", "name"),
)
trace_sources = Table(
    "trace_sources",
    metadata,
    Column("trace_id", String(40), primary_key=True),
    Column("resource_id", String(32), primary_key=True),  # "" for none
    Column("scope_id", String(32), primary_key=True),  # "" for none
    Index("ix_trace_sources_resource", "resource_id", "trace_id"),
    Index("ix_trace_sources_scope", "scope_id", "trace_id"),
)


def _key_value(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("trace_id", String(40), primary_key=True),
        Column("key", String(250), primary_key=True),
        Column("value", Text, nullable=False),
        Index(f"ix_{name}_key_value", "key", "value"),
    )


tags = _key_value("trace_tags")
trace_metadata = _key_value("trace_metadata")
