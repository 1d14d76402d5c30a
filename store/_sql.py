"""``SqlTraceStore``: traces in SQLite (embedded default) or PostgreSQL, one SQL layer.

Writes take spans of any traces, possibly partial (the OTLP exporter path sends spans
as they end): spans of a trace already stored are merged with it and the trace's
search rows are recomputed, in one transaction per batch. Several processes may write
to one store: SQLite writers queue on the database lock (WAL, ``BEGIN IMMEDIATE``,
a busy timeout and bounded retries); PostgreSQL's transactions do the rest.
"""

from __future__ import annotations

import json
import os
import random
import time
import weakref
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from spanwise.model._conventions import canonical_record
from spanwise.model._model import Trace
from spanwise.model._records import SpanRecord
from spanwise.model._translate import build_trace, root_record, span_type_of, trace_info

from . import _schema as s

if TYPE_CHECKING:
    from ._filter import Comparison, OrderBy

__all__ = ["SqlTraceStore", "StoreSchemaError"]

_CHUNK = 500  # ids per IN (...) list
_RETRIES = 8

# json.dumps with options builds an encoder per call; one per span adds up.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Every open store, for the fork handler below.
_stores: weakref.WeakSet[SqlTraceStore] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A pooled connection (a SQLite handle with its locks, a PostgreSQL socket) must not
    # be used by two processes: the child forgets the parent's without closing them, as
    # SQLAlchemy recommends, and opens its own on first use.
    for store in list(_stores):
        store._engine.dispose(close=False)  # pyright: ignore[reportPrivateUsage]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
            # Pooled: opening a connection costs four PRAGMAs, and closing the last one
            # checkpoints and truncates the WAL (milliseconds per write). A pooled
            # connection is used by one thread at a time; a forked child drops the
            # parent's connections without closing them (see _after_fork_in_child).
            memory = database in ("", ":memory:")
            self._engine: Engine = create_engine(
                url,
                poolclass=NullPool if memory else QueuePool,
                connect_args={"timeout": 30, "check_same_thread": False},
                **({} if memory else {"pool_size": 2, "max_overflow": 4}),
            )
            event.listen(self._engine, "connect", _sqlite_connect)
            event.listen(self._engine, "begin", _sqlite_begin)
        else:
            self._engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
        _stores.add(self)
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
                    self._check_columns(conn)
                return
            except DBAPIError as exc:
                if attempt == _RETRIES - 1 or not _is_transient(exc):
                    raise
                _backoff(attempt)

    def _check_columns(self, conn: Connection) -> None:
        """Refuse, clearly, a store whose tables differ from this schema version's."""
        inspector = inspect(conn)
        for table in s.metadata.sorted_tables:
            found = {c["name"] for c in inspector.get_columns(table.name)}
            missing = sorted(set(table.columns.keys()) - found)
            if missing:
                raise StoreSchemaError(
                    f"The trace store at {self.uri} does not match this spanwise's schema "
                    f"(table {table.name} lacks {', '.join(missing)}); it was written by a "
                    "pre-release build: move it aside or set SPANWISE_TRACKING_URI elsewhere"
                )

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Generator[Connection, None, None]:
        with self._engine.connect() as raw:
            conn = raw.execution_options(spanwise_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Generator[Connection, None, None]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self._engine.dispose()

    # -- writing -----------------------------------------------------------------------

    def write_records(self, records: Iterable[SpanRecord]) -> int:
        """Store span records (of any traces); returns how many traces were written."""
        by_trace: dict[str, dict[str, SpanRecord]] = {}
        for record in map(canonical_record, records):  # stored in the canonical form
            by_trace.setdefault(record["trace_id"], {})[record["span_id"]] = record
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

    def _write_batch(self, conn: Connection, by_trace: dict[str, dict[str, SpanRecord]]) -> None:
        ids = [f"tr-{trace_id}" for trace_id in by_trace]
        # Traces that already have spans stored: merge, the new span winning per id.
        for chunk in _chunks(ids):
            rows = conn.execute(
                select(s.spans.c.trace_id, s.spans.c.span_id, s.spans.c.content).where(
                    s.spans.c.trace_id.in_(chunk)
                )
            )
            for trace_id, span_id, content in rows:
                by_trace[trace_id[3:]].setdefault(span_id, json.loads(content))
        for chunk in _chunks(ids):
            for table in (s.spans, s.tags, s.trace_metadata, s.traces):
                conn.execute(delete(table).where(table.c.trace_id.in_(chunk)))
        trace_rows: list[dict[str, Any]] = []
        span_rows: list[dict[str, Any]] = []
        tag_rows: list[dict[str, Any]] = []
        meta_rows: list[dict[str, Any]] = []
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
        for table, rows in (
            (s.traces, trace_rows),
            (s.spans, span_rows),
            (s.tags, tag_rows),
            (s.trace_metadata, meta_rows),
        ):
            _bulk_insert(conn, table, rows)

    # -- reading -----------------------------------------------------------------------

    def get_trace(self, trace_id: str) -> Trace | None:
        traces = self.load([trace_id])
        return traces[0] if traces else None

    def search(
        self,
        comparisons: Sequence[Comparison],
        order: Sequence[OrderBy],
        max_results: int | None,
    ) -> list[Trace]:
        return self.load(self.search_ids(comparisons, order, max_results))

    def search_ids(
        self,
        comparisons: Sequence[Comparison],
        order: Sequence[OrderBy],
        max_results: int | None,
    ) -> list[str]:
        """The ids of the matching traces, in order (load them with ``load``, in pages)."""
        from ._filter_sql import filter_clauses, order_clauses, side_subqueries

        tables = {
            "traces": s.traces,
            "tags": s.tags,
            "metadata": s.trace_metadata,
            "spans": s.spans,
        }
        with self._read() as conn:
            correlated = max_results is not None and self._broad(
                conn, side_subqueries(comparisons, **tables), max_results
            )
            query = (
                select(s.traces.c.trace_id)
                .where(*filter_clauses(comparisons, correlated=correlated, **tables))
                .order_by(*order_clauses(order, traces=s.traces))
            )
            if max_results is not None:
                query = query.limit(max_results)
            return list(conn.execute(query).scalars())

    @staticmethod
    def _broad(conn: Connection, subqueries: Sequence[Select[Any]], limit: int) -> bool:
        """Whether every side-table condition matches many traces (bounded counts): then
        scanning traces in order and stopping at ``limit`` beats collecting the matches."""
        if not subqueries:
            return False
        threshold = max(1000, 20 * limit)
        for inner in subqueries:
            sample = select(func.count()).select_from(inner.limit(threshold).subquery())
            if int(conn.execute(sample).scalar_one()) < threshold:
                return False
        return True

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(s.traces)).scalar_one())

    def load(self, ids: Sequence[str]) -> list[Trace]:
        """Traces by id, in the order given (missing ids are skipped)."""
        by_trace: dict[str, list[SpanRecord]] = {trace_id: [] for trace_id in ids}
        with self._read() as conn:
            for chunk in _chunks(list(ids)):
                rows = conn.execute(
                    select(s.spans.c.trace_id, s.spans.c.content).where(
                        s.spans.c.trace_id.in_(chunk)
                    )
                )
                for trace_id, content in rows:
                    by_trace[trace_id].append(json.loads(content))
        return [build_trace(records) for records in by_trace.values() if records]


def _trace_row(
    records: list[SpanRecord], tag_rows: list[dict[str, Any]], meta_rows: list[dict[str, Any]]
) -> dict[str, Any]:
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


def _bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
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
