"""The store's tables as schema version 1 wrote them (spanwise before issue 14), to
test that such a store is migrated when opened."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

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
    # (value, trace_id): serve both `trace_id IN (SELECT ...)` and correlated EXISTS.
    Index("ix_spans_name", "name", "trace_id"),
    Index("ix_spans_span_type", "span_type", "trace_id"),
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
