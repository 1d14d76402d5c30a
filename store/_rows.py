"""The rows span records become: one per span (its JSON, less resource and scope), the
trace's summary read off its root, its tags and metadata, and the resources and scopes
filed once each by content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table

from spanwise.common._json import make_c_encoder
from spanwise.model._records import ResourceRecord, ScopeRecord, SpanRecord
from spanwise.model._translate import span_type_of, trace_info

from . import _schema as s

__all__ = [
    "RANK",
    "SPAN_COLUMNS",
    "Rows",
    "Sources",
    "bulk_insert",
    "group_by_trace",
    "insert_ignoring",
    "insert_values",
    "rank_key",
    "span_row",
    "span_values",
    "summary_rows",
]

Rows = list[dict[str, Any]]

try:  # optional: not a dependency of spanwise
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _not_json(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json's C encoder called directly: JSONEncoder.encode makes one per call and tracks
# every container for cycles (a fifth of a span's encoding). Records are acyclic; one
# that is not ends in RecursionError, and json's own encoder then says what is wrong.
_c_encode = make_c_encoder(_not_json, allow_nan=True)


_PLAIN = frozenset({str, int, bool, type(None)})


def _finite(value: Any) -> bool:
    """Whether every float in ``value`` is finite (and every value is plain JSON)."""
    stack: list[Any] = [value]
    while stack:
        container: Any = stack.pop()
        items = cast("Iterable[Any]", container.values() if type(container) is dict else container)
        for item in items:
            kind = type(cast(object, item))
            if kind in _PLAIN:
                continue
            if kind is float:
                if item - item != 0.0:  # NaN or an infinity
                    return False
            elif kind is dict or kind is list or kind is tuple:
                stack.append(item)
            else:
                return False  # anything else: json decides
    return True


def _encode(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the same value.
    orjson, where installed, is several times faster on a span: what it cannot write as
    json does, it refuses, except NaN and infinities, which it writes as null (so output
    with a null is checked for them, and such a record goes to json)."""
    if _orjson is not None:
        try:
            out = _orjson.dumps(value)
        except (TypeError, ValueError):  # lone surrogates, non-str keys, huge ints, depth
            pass
        else:
            if b"null" not in out or _finite(value):
                return out.decode()
    if _c_encode is not None:
        try:
            return "".join(_c_encode(value, 0))
        except RecursionError:
            pass
    return _json_encode(value)


_canonical = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
).encode
_SHARED = ("resource", "scope")
_ABSENT = object()
_KEY_CHARS = 250  # the key columns' width


def group_by_trace(records: list[SpanRecord]) -> dict[str, dict[str, SpanRecord]]:
    """trace id -> span id -> record (the last record of an id wins)."""
    by_trace: dict[str, dict[str, SpanRecord]] = {}
    for record in records:
        by_trace.setdefault(record["trace_id"], {})[record["span_id"]] = record
    return by_trace


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _encode(value)


class Sources:
    """Resource and scope ids of one write, and the rows of those not stored yet.

    The decoders share one resource (scope) object among the spans of a request's group,
    so each object is hashed once (memo by identity, the objects outlive the write)."""

    def __init__(self, known: set[str]) -> None:
        self._known = known  # ids stored by earlier, committed writes
        self._memo: dict[int, str] = {}
        self.new: set[str] = set()
        self.resources: Rows = []
        self.resource_attributes: Rows = []
        self.scopes: Rows = []

    def _id(self, value: ResourceRecord | ScopeRecord) -> tuple[str, str, bool]:
        memo = self._memo.get(id(value))
        if memo is not None:
            return memo, "", False
        # Hashed with sorted keys (equal resources, one id); stored in the order sent.
        digest = hashlib.blake2b(_canonical(value).encode(), digest_size=16).hexdigest()
        self._memo[id(value)] = digest
        fresh = digest not in self._known and digest not in self.new
        if fresh:
            self.new.add(digest)
        return digest, _encode(value) if fresh else "", fresh

    def resource_id(self, resource: ResourceRecord | None) -> str | None:
        if resource is None:
            return None
        rid, content, fresh = self._id(resource)
        if fresh:
            self.resources.append({"resource_id": rid, "content": content})
            self.resource_attributes.extend(
                {
                    "resource_id": rid,
                    "key": key[:_KEY_CHARS],
                    "value": _text(value)[: s.SEARCH_VALUE_CHARS],
                }
                for key, value in resource["attributes"].items()
            )
        return rid

    def scope_id(self, scope: ScopeRecord | None) -> str | None:
        if scope is None:
            return None
        sid, content, fresh = self._id(scope)
        if fresh:
            self.scopes.append({"scope_id": sid, "name": scope["name"], "content": content})
        return sid


# The spans table's columns in the order ``span_values`` gives them.
SPAN_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_id",
    "name",
    "span_type",
    "start_time_ns",
    "end_time_ns",
    "status",
    "remote_parent",
    "content",
    "root_rank",
    "kind",
    "resource_id",
    "scope_id",
)
RANK = SPAN_COLUMNS.index("root_rank")


def span_values(
    trace_id: str, record: SpanRecord, root_rank: int | None, sources: Sources
) -> tuple[Any, ...]:
    """The spans row of ``record`` (``trace_id`` with its ``tr-`` prefix), in the order of
    ``SPAN_COLUMNS`` (``root_rank`` at ``RANK``)."""
    resource, scope = record.get("resource"), record.get("scope")
    if resource is None and scope is None:
        content = _encode(record)
    else:  # filed apart: taken out for the encoding (cheaper than a copy), put back
        held: Any = record
        shared = held.pop("resource", _ABSENT), held.pop("scope", _ABSENT)
        try:
            content = _encode(held)
        finally:
            for key, value in zip(_SHARED, shared, strict=True):
                if value is not _ABSENT:
                    held[key] = value
    return (
        trace_id,
        record["span_id"],
        record["parent_id"],
        record["name"],
        span_type_of(record["attributes"]),
        record["start"],
        record["end"],
        record["status"],
        record["remote_parent"],
        content,
        root_rank,
        record.get("kind", "UNSPECIFIED"),
        sources.resource_id(resource),
        sources.scope_id(scope),
    )


def span_row(
    trace_id: str, record: SpanRecord, root_rank: int | None, sources: Sources
) -> dict[str, Any]:
    """``span_values`` by column name."""
    return dict(zip(SPAN_COLUMNS, span_values(trace_id, record, root_rank, sources), strict=True))


def rank_key(record: SpanRecord, rank: int) -> tuple[int, int, str]:
    """Root candidates are ordered by this (the index ix_spans_root is in this order)."""
    return (rank, record["start"], record["span_id"])


def summary_rows(
    root: SpanRecord, span_count: int, tag_rows: Rows, meta_rows: Rows
) -> dict[str, Any]:
    """The traces row read off ``root`` (nothing decoded); its tags and metadata rows are
    appended to ``tag_rows`` and ``meta_rows``."""
    info = trace_info(root)
    for key, value in info.tags.items():
        tag_rows.append(
            {
                "trace_id": info.trace_id,
                "key": key[:_KEY_CHARS],
                "value": value[: s.SEARCH_VALUE_CHARS],
            }
        )
    for key, value in info.trace_metadata.items():
        meta_rows.append(
            {
                "trace_id": info.trace_id,
                "key": key[:_KEY_CHARS],
                "value": value[: s.SEARCH_VALUE_CHARS],
            }
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
        "span_count": span_count,
        "root_span_id": root["span_id"],
    }


def _sql(conn: Connection, table: Table, columns: list[str], suffix: str = "") -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))}){suffix}"
    )


def bulk_insert(conn: Connection, table: Table, rows: Rows) -> None:
    """One driver-level executemany: SQLAlchemy's per-row parameter processing costs
    more than SQLite's own insert, on the writer thread that shares the app's GIL."""
    if rows:
        columns = list(rows[0])
        conn.exec_driver_sql(
            _sql(conn, table, columns), [tuple(row[c] for c in columns) for row in rows]
        )


# Rows per INSERT statement in ``insert_values``: within the 999 parameters older SQLite
# builds bind (PostgreSQL: 65,535).
_VALUES_PARAMETERS = 999


def insert_values(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Rows already in ``columns``' order, many to a statement (``VALUES (...), (...)``):
    fewer instructions than executemany, and fewer GIL hand-offs. sqlite3 gives up the
    GIL around each statement it steps; with an application thread busy in Python (the
    in-process writer's case), each one waits up to the switch interval (5 ms) to get it
    back, so a statement per row made a write crawl."""
    if not rows:
        return
    per = max(1, _VALUES_PARAMETERS // len(columns))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one = f"({', '.join([mark] * len(columns))})"
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        params = [value for row in chunk for value in row]
        conn.exec_driver_sql(head + ", ".join([one] * len(chunk)), tuple(params))


def insert_ignoring(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert, skipping rows whose key is there already (SQLite 3.24+, PostgreSQL 9.5+)."""
    if rows:
        columns = list(rows[0])
        conn.exec_driver_sql(
            _sql(conn, table, columns, " ON CONFLICT DO NOTHING"),
            [tuple(row[c] for c in columns) for row in rows],
        )
