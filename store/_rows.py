"""The rows a batch of span records becomes: one per trace (its search summary, read off
the root), one per span (its JSON), and the trace's tags and metadata."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table

from spanwise.model._records import SpanRecord
from spanwise.model._translate import root_record, span_type_of, trace_info

from . import _schema as s

__all__ = ["bulk_insert", "group_by_trace", "table_rows"]

Rows = list[dict[str, Any]]

# json.dumps with options builds an encoder per call; one per span adds up.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def group_by_trace(records: list[SpanRecord]) -> dict[str, dict[str, SpanRecord]]:
    """trace id -> span id -> record (the last record of an id wins)."""
    by_trace: dict[str, dict[str, SpanRecord]] = {}
    for record in records:
        by_trace.setdefault(record["trace_id"], {})[record["span_id"]] = record
    return by_trace


def table_rows(by_trace: dict[str, dict[str, SpanRecord]]) -> tuple[Rows, Rows, Rows, Rows]:
    """Rows for the traces, spans, tags and metadata tables, in that order."""
    trace_rows: Rows = []
    span_rows: Rows = []
    tag_rows: Rows = []
    meta_rows: Rows = []
    for members in by_trace.values():
        records = list(members.values())
        trace_rows.append(_trace_row(records, tag_rows, meta_rows))
        trace_id = trace_rows[-1]["trace_id"]
        for record in records:
            span_rows.append(
                {
                    "trace_id": trace_id,
                    "span_id": record["span_id"],
                    "parent_id": record["parent_id"],
                    "name": record["name"],
                    "span_type": span_type_of(record["attributes"]),
                    "start_time_ns": record["start"],
                    "end_time_ns": record["end"],
                    "status": record["status"],
                    "remote_parent": record["remote_parent"],
                    "content": _encode(record),
                }
            )
    return trace_rows, span_rows, tag_rows, meta_rows


def _trace_row(records: list[SpanRecord], tag_rows: Rows, meta_rows: Rows) -> dict[str, Any]:
    """The searchable row of one trace, read off its root record (nothing decoded)."""
    root = root_record(records)
    assert root is not None
    info = trace_info(root)
    for key, value in info.tags.items():
        tag_rows.append(
            {"trace_id": info.trace_id, "key": key, "value": value[: s.SEARCH_VALUE_CHARS]}
        )
    for key, value in info.trace_metadata.items():
        meta_rows.append(
            {"trace_id": info.trace_id, "key": key, "value": value[: s.SEARCH_VALUE_CHARS]}
        )
    return {
        "trace_id": info.trace_id,
        "name": root["name"],
        "state": info.state.value,
        "request_time": info.request_time,
        "start_time_ns": root["start"],
        "execution_duration": info.execution_duration,
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "client_request_id": info.client_request_id,
        "span_count": len(records),
    }


def bulk_insert(conn: Connection, table: Table, rows: Rows) -> None:
    """One driver-level executemany: SQLAlchemy's per-row parameter processing costs
    more than SQLite's own insert, on the writer thread that shares the app's GIL."""
    if not rows:
        return
    columns = list(rows[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, [tuple(row[c] for c in columns) for row in rows])
