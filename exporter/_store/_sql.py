"""``SqlTraceStore``: traces in SQLite (embedded default) or PostgreSQL, one SQL layer.

Writes take spans of any traces, possibly partial (the OTLP exporter path sends spans
as they end): spans of a trace already stored are merged with it and the trace's
search rows are recomputed, in one transaction per batch. Several processes may write
to one store: SQLite writers queue on the database lock (WAL, ``BEGIN IMMEDIATE``,
a busy timeout and bounded retries); PostgreSQL's transactions do the rest.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from .._model import Span, Trace
from .._translate import build_trace
from . import _schema as s

if TYPE_CHECKING:
    from .._filter import Comparison, OrderBy

__all__ = ["SqlTraceStore", "StoreSchemaError"]

_CHUNK = 500  # ids per IN (...) list
_RETRIES = 8


class StoreSchemaError(RuntimeError):
    """The store was written by a newer spanwise (or is not a spanwise store)."""


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(
        word in text
        for word in (
            "database is locked",
            "busy",
            "deadlock",
            "could not serialize",
            "duplicate key",
        )
    )


class SqlTraceStore:
    """Traces in a SQL database given by an SQLAlchemy URL."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        url = make_url(uri)
        self._sqlite = url.get_backend_name() == "sqlite"
        if self._sqlite:
            database = url.database or ""
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            # One connection per use: nothing to share across threads or forks.
            self._engine: Engine = create_engine(
                url, poolclass=NullPool, connect_args={"timeout": 30, "check_same_thread": False}
            )
            event.listen(self._engine, "connect", _sqlite_connect)
            event.listen(self._engine, "begin", _sqlite_begin)
        else:
            self._engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
        self._ensure_schema()

    # -- schema ------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        for attempt in range(_RETRIES):
            try:
                with self._write() as conn:
                    if self._engine.dialect.name == "postgresql":
                        # Serialise concurrent first-time creators.
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724031)")
                    s.metadata.create_all(conn, checkfirst=True)
                    row = conn.execute(
                        select(s.meta.c.value).where(s.meta.c.key == "schema_version")
                    ).scalar()
                    if row is None:
                        conn.execute(
                            insert(s.meta).values(key="schema_version", value=str(s.SCHEMA_VERSION))
                        )
                    elif int(row) > s.SCHEMA_VERSION:
                        raise StoreSchemaError(
                            f"The trace store at {self.uri} has schema version {row}, newer than "
                            f"this spanwise understands ({s.SCHEMA_VERSION}); upgrade spanwise"
                        )
                return
            except DBAPIError as exc:
                if attempt == _RETRIES - 1 or not _is_transient(exc):
                    raise
                _backoff(attempt)

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.connect() as raw:
            conn = raw.execution_options(spanwise_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self._engine.dispose()

    # -- writing -----------------------------------------------------------------------

    def write_spans(self, spans: Iterable[Span]) -> int:
        """Store spans (of any traces); returns how many traces were written."""
        by_trace: dict[str, dict[str, Span]] = {}
        for span in spans:
            by_trace.setdefault(span.trace_id, {})[span.span_id] = span
        if not by_trace:
            return 0
        for attempt in range(_RETRIES):
            try:
                with self._write() as conn:
                    self._write_batch(conn, by_trace)
                return len(by_trace)
            except DBAPIError as exc:  # locked, or two writers racing on one trace's rows
                if attempt == _RETRIES - 1 or not _is_transient(exc):
                    raise
                _backoff(attempt)
        return 0

    def _write_batch(self, conn: Connection, by_trace: dict[str, dict[str, Span]]) -> None:
        ids = list(by_trace)
        # Traces that already have spans stored: merge, the new span winning per id.
        for chunk in _chunks(ids):
            rows = conn.execute(
                select(
                    s.spans.c.trace_id,
                    s.spans.c.span_id,
                    s.spans.c.content,
                    s.spans.c.remote_parent,
                ).where(s.spans.c.trace_id.in_(chunk))
            )
            for trace_id, span_id, content, remote_parent in rows:
                merged = by_trace[trace_id]
                if span_id not in merged:
                    merged[span_id] = _span_from_row(content, remote_parent)
        for chunk in _chunks(ids):
            for table in (s.spans, s.tags, s.trace_metadata, s.traces):
                conn.execute(delete(table).where(table.c.trace_id.in_(chunk)))
        trace_rows: list[dict[str, Any]] = []
        span_rows: list[dict[str, Any]] = []
        tag_rows: list[dict[str, Any]] = []
        meta_rows: list[dict[str, Any]] = []
        for trace_id, members in by_trace.items():
            trace = build_trace(members.values())
            info = trace.info
            root = trace.data.root_span
            trace_rows.append(
                {
                    "trace_id": trace_id,
                    "name": _root_name(members, root),
                    "state": info.state.value,
                    "request_time": info.request_time,
                    "start_time_ns": None if root is None else root.start_time_ns,
                    "execution_duration": info.execution_duration,
                    "request_preview": info.request_preview,
                    "response_preview": info.response_preview,
                    "client_request_id": info.client_request_id,
                    "span_count": len(members),
                }
            )
            for key, value in info.tags.items():
                tag_rows.append(
                    {"trace_id": trace_id, "key": key, "value": value[: s.SEARCH_VALUE_CHARS]}
                )
            for key, value in info.trace_metadata.items():
                meta_rows.append(
                    {"trace_id": trace_id, "key": key, "value": value[: s.SEARCH_VALUE_CHARS]}
                )
            for span in members.values():  # raw names: the model's _1/_2 suffixes are not stored
                span_rows.append(
                    {
                        "trace_id": trace_id,
                        "span_id": span.span_id,
                        "parent_id": span.parent_id,
                        "name": span.name,
                        "span_type": span.span_type,
                        "start_time_ns": span.start_time_ns,
                        "end_time_ns": span.end_time_ns,
                        "status": span.status.status_code.value,
                        "remote_parent": span.remote_parent,
                        "content": json.dumps(span.to_dict(), ensure_ascii=False),
                    }
                )
        conn.execute(insert(s.traces), trace_rows)
        conn.execute(insert(s.spans), span_rows)
        if tag_rows:
            conn.execute(insert(s.tags), tag_rows)
        if meta_rows:
            conn.execute(insert(s.trace_metadata), meta_rows)

    # -- reading -----------------------------------------------------------------------

    def get_trace(self, trace_id: str) -> Trace | None:
        traces = self._load([trace_id])
        return traces[0] if traces else None

    def search(
        self,
        comparisons: Sequence[Comparison],
        order: Sequence[OrderBy],
        max_results: int | None,
    ) -> list[Trace]:
        from .._filter_sql import filter_clauses, order_clauses

        query = (
            select(s.traces.c.trace_id)
            .where(
                *filter_clauses(
                    comparisons,
                    traces=s.traces,
                    tags=s.tags,
                    metadata=s.trace_metadata,
                    spans=s.spans,
                )
            )
            .order_by(*order_clauses(order, traces=s.traces))
        )
        if max_results is not None:
            query = query.limit(max_results)
        with self._read() as conn:
            ids = list(conn.execute(query).scalars())
        return self._load(ids)

    def count(self) -> int:
        from sqlalchemy import func

        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(s.traces)).scalar_one())

    def _load(self, ids: Sequence[str]) -> list[Trace]:
        """Traces by id, in the order given (missing ids are skipped)."""
        by_trace: dict[str, list[Span]] = {trace_id: [] for trace_id in ids}
        with self._read() as conn:
            for chunk in _chunks(list(ids)):
                rows = conn.execute(
                    select(s.spans.c.trace_id, s.spans.c.content, s.spans.c.remote_parent).where(
                        s.spans.c.trace_id.in_(chunk)
                    )
                )
                for trace_id, content, remote_parent in rows:
                    by_trace[trace_id].append(_span_from_row(content, remote_parent))
        return [build_trace(spans) for spans in by_trace.values() if spans]


def _span_from_row(content: str, remote_parent: bool) -> Span:
    span = Span.from_dict(json.loads(content))
    span.remote_parent = bool(remote_parent)  # not part of MLflow's JSON
    return span


def _root_name(members: dict[str, Span], root: Span | None) -> str | None:
    # The trace's root in the model may carry a sibling suffix; search by the raw name.
    if root is None:
        return None
    raw = members.get(root.span_id)
    return raw.name if raw is not None else root.name


def _backoff(attempt: int) -> None:
    time.sleep(min(0.05 * 2**attempt, 2.0) * (0.5 + random.random()))


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event choose BEGIN vs BEGIN IMMEDIATE (pysqlite's own
    # transaction handling would start writers as deferred and fail them on upgrade).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # LIKE is case-sensitive as in MLflow and PostgreSQL; ILIKE is the insensitive one.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("spanwise_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
