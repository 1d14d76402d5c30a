"""``SqlTraceStore``: traces in SQLite (embedded default) or PostgreSQL, one SQL layer.

Writes take spans of any traces, possibly partial (the OTLP exporter path sends spans
as they end), in one transaction per batch: spans of a trace already stored join it,
touching only the spans that arrived and the trace's summary (see ``_write``). Several
processes may write to one store: SQLite writers queue on the database lock (WAL,
``BEGIN IMMEDIATE``, a busy timeout and bounded retries); PostgreSQL's transactions (and
row locks on the traces written) do the rest. A record the database refuses is isolated
(the batch is split until it stands alone) and handed to the caller's ``reject``; the
others are written. The engine never prints SQL
parameters (they hold users' inputs and outputs).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import weakref
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from spanwise.common._json import loads
from spanwise.model._conventions import canonical_record
from spanwise.model._model import Trace
from spanwise.model._records import SpanRecord
from spanwise.model._translate import build_trace

from . import _schema as s
from ._errors import Reject, check_record, describe_error, is_record_error, is_transient
from ._migrate import migrate, stored_version
from ._rows import group_by_trace
from ._write import Batch, Written, prepare_batch, update_tags, write_batch

if TYPE_CHECKING:
    from ._filter import Comparison, OrderBy

__all__ = ["SqlTraceStore", "StoreNotFoundError", "StoreSchemaError"]

_CHUNK = 500  # ids per IN (...) list
_RETRIES = 8

# Every open store, for the fork handler below.
_stores: weakref.WeakSet[SqlTraceStore] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A pooled connection (a SQLite handle with its locks, a PostgreSQL socket) must not
    # be used by two processes: the child forgets the parent's without closing them, as
    # SQLAlchemy recommends, and opens its own on first use.
    for store in list(_stores):
        store._engine.dispose(close=False)  # pyright: ignore[reportPrivateUsage]
        # Another thread may have held it at fork: it would stay held in the child.
        store._turn = threading.Lock()  # pyright: ignore[reportPrivateUsage]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class StoreSchemaError(RuntimeError):
    """The store was written by a newer spanwise (or is not a spanwise store)."""


class StoreNotFoundError(RuntimeError):
    """Opened for reading only (``create=False``) and there is no store there."""


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class SqlTraceStore:
    """Traces in a SQL database given by an SQLAlchemy URL.

    ``create=False`` (the read-only commands) opens an existing store only: a missing
    SQLite file, or a database without spanwise's tables, is ``StoreNotFoundError``
    and nothing is created.
    """

    def __init__(self, uri: str, *, create: bool = True) -> None:
        self.uri = uri
        url = make_url(uri)
        # For messages: a PostgreSQL password never reaches a log line or a traceback.
        self._shown = url.render_as_string(hide_password=True)
        self._sqlite = url.get_backend_name() == "sqlite"
        if self._sqlite:
            database = url.database or ""
            if database and database != ":memory:":
                path = Path(database).expanduser()
                if not create and not path.is_file():
                    why = "not a file" if path.exists() else "the file does not exist"
                    raise StoreNotFoundError(f"no trace store at {path} ({why})")
                if create:
                    path.parent.mkdir(parents=True, exist_ok=True)
            # Pooled: opening a connection costs four PRAGMAs, and closing the last one
            # checkpoints and truncates the WAL (milliseconds per write). A pooled
            # connection is used by one thread at a time; a forked child drops the
            # parent's connections without closing them (see _after_fork_in_child).
            memory = database in ("", ":memory:")
            self._engine: Engine = create_engine(
                url,
                poolclass=NullPool if memory else QueuePool,
                connect_args={"timeout": 30, "check_same_thread": False},
                hide_parameters=True,
                **({} if memory else {"pool_size": 2, "max_overflow": 4}),
            )
            event.listen(self._engine, "connect", _sqlite_connect)
            event.listen(self._engine, "begin", _sqlite_begin)
        else:
            self._engine = create_engine(
                url, pool_pre_ping=True, pool_size=2, max_overflow=4, hide_parameters=True
            )
        # This process's writes take turns: SQLite would make them queue on its lock
        # and retry, and under the GIL a second writing thread only slows the first.
        self._turn = threading.Lock()
        # Resource and scope ids known to be stored (they are never deleted).
        self._known: set[str] = set()
        # Resources and scopes read back, by id (shared by the records that name them).
        self._sources: dict[str, Any] = {}
        _stores.add(self)
        try:
            if create:
                self._ensure_schema()
            else:
                self._check_existing()
        except BaseException:
            self._engine.dispose()
            raise

    # -- schema ------------------------------------------------------------------------

    def _ensure_schema(self, *, create: bool = True) -> None:
        """Create the tables (``create``) and migrate a store of an older version."""
        for attempt in range(_RETRIES):
            try:
                with self._write() as conn:
                    if self._engine.dialect.name == "postgresql":
                        # Serialise concurrent first-time creators and migrators.
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724031)")
                    version = stored_version(conn)
                    if version is not None and version < s.SCHEMA_VERSION:
                        migrate(conn, version)
                    if not create:
                        return
                    s.metadata.create_all(conn, checkfirst=True)
                    if self._check_version(conn) is None:
                        conn.execute(
                            insert(s.meta).values(key="schema_version", value=str(s.SCHEMA_VERSION))
                        )
                return
            except DBAPIError as exc:
                if attempt == _RETRIES - 1 or not is_transient(exc):
                    raise
                _backoff(attempt)

    def _check_existing(self) -> None:
        """A store that is there already, without creating anything (one of an older
        schema version is migrated: see ``_migrate``)."""
        with self._read() as conn:
            if not inspect(conn).has_table(s.meta.name):
                raise StoreNotFoundError(
                    f"no trace store at {self._shown} (the database has no spanwise tables)"
                )
            version = stored_version(conn)
        if version is not None and version < s.SCHEMA_VERSION:
            self._ensure_schema(create=False)
        with self._read() as conn:
            self._check_version(conn)

    def _check_version(self, conn: Connection) -> str | None:
        """Refuse, clearly, a store of a newer schema version or whose tables differ from
        this version's. Returns the stored version (None: not recorded yet)."""
        row = conn.execute(select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar()
        if row is not None and int(row) > s.SCHEMA_VERSION:
            raise StoreSchemaError(
                f"The trace store at {self._shown} has schema version {row}, newer than "
                f"this spanwise understands ({s.SCHEMA_VERSION}); upgrade spanwise"
            )
        inspector = inspect(conn)
        for table in s.metadata.sorted_tables:
            found = {c["name"] for c in inspector.get_columns(table.name)}
            missing = sorted(set(table.columns.keys()) - found)
            if missing:
                raise StoreSchemaError(
                    f"The trace store at {self._shown} does not match this spanwise's schema "
                    f"(table {table.name} lacks {', '.join(missing)}); it was written by a "
                    "pre-release build: move it aside or set SPANWISE_TRACKING_URI elsewhere"
                )
        return row

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

    def write_records(self, records: Iterable[SpanRecord], *, reject: Reject | None = None) -> int:
        """Store span records (of any traces); returns how many traces were written.

        Without ``reject``, any failure raises (a malformed record: ``ValueError``). With
        it, a record that cannot be stored (malformed, or refused by the database: a
        constraint, a value out of range, text that is not Unicode) goes to
        ``reject(record, reason)`` (the reason holds no span content) and every other
        record is still written. A store in trouble (locked after the retries, full,
        gone) raises either way.
        """
        by_trace: dict[str, dict[str, SpanRecord]] = {}
        for record in records:
            try:
                if (reason := check_record(record)) is not None:
                    raise ValueError(f"Cannot store a span record: {reason}")
                canon = canonical_record(record)  # stored in the canonical form
                by_trace.setdefault(canon["trace_id"], {})[canon["span_id"]] = canon
            except Exception as exc:
                if reject is None or not is_record_error(exc):
                    raise
                reject(record, check_record(record) or f"unreadable record ({describe_error(exc)})")
        if not by_trace:
            return 0
        try:
            self._write_retrying(by_trace)
        except Exception as exc:
            if reject is None or not is_record_error(exc):
                raise
            return self._write_isolating(by_trace, reject, exc)
        return len(by_trace)

    def _write_retrying(self, by_trace: dict[str, dict[str, SpanRecord]]) -> None:
        # The rows are made before the transaction, which then holds the database (on
        # SQLite, the write lock every process shares) only for the SQL.
        batch = prepare_batch(by_trace, self._known)
        for attempt in range(_RETRIES):
            try:
                with self._turn, self._write() as conn:
                    written = self._write_batch(conn, batch)
                if written is not None:
                    # Only once committed: a later write may skip filing them again.
                    self._known.update(written.sources)
                return
            except DBAPIError as exc:  # locked, or two writers racing on one trace's rows
                if attempt == _RETRIES - 1 or not is_transient(exc):
                    raise
                _backoff(attempt)

    def _write_batch(self, conn: Connection, batch: Batch) -> Written | None:
        return write_batch(conn, batch)

    def _write_isolating(
        self, by_trace: dict[str, dict[str, SpanRecord]], reject: Reject, failure: Exception
    ) -> int:
        """Write what can be written of a refused batch: halve the refused parts until each
        bad record stands alone (O(log n) extra transactions per bad record, where trace
        by trace then span by span would cost one per record)."""
        written: set[str] = set()
        pending = [([r for members in by_trace.values() for r in members.values()], failure)]
        while pending:
            part, exc = pending.pop()
            if len(part) == 1:
                reject(part[0], check_record(part[0]) or describe_error(exc))
                continue
            middle = len(part) // 2
            for half in (part[middle:], part[:middle]):
                try:
                    self._write_retrying(group_by_trace(half))
                    written.update(r["trace_id"] for r in half)
                except Exception as error:
                    if not is_record_error(error):
                        raise
                    pending.append((half, error))
        return len(written)

    def update_trace_tags(self, trace_id: str, changes: Mapping[str, str | None]) -> bool:
        """Set (a string value) or remove (None) tags of a stored trace (``tr-<32 hex>``),
        in one transaction: on its root span and in its tag rows, so ``get_trace`` and
        ``search_traces`` both see them. False when the store does not have the trace."""
        for attempt in range(_RETRIES):
            try:
                with self._turn, self._write() as conn:
                    return update_tags(conn, trace_id, changes)
            except DBAPIError as exc:  # locked: as a write, retried
                if attempt == _RETRIES - 1 or not is_transient(exc):
                    raise
                _backoff(attempt)
        raise AssertionError("unreachable")  # the last attempt returned or raised

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
        return [build_trace(records) for records in self.load_records(ids).values() if records]

    def load_records(self, ids: Sequence[str]) -> dict[str, list[SpanRecord]]:
        """The stored records of traces by id (``tr-`` prefixed), resource and scope
        attached: what the OTLP export and ``build_trace`` read."""
        by_trace: dict[str, list[SpanRecord]] = {trace_id: [] for trace_id in ids}
        wanted: list[tuple[SpanRecord, str | None, str | None]] = []
        with self._read() as conn:
            for chunk in _chunks(list(ids)):
                # Fetched whole: row by row, SQLAlchemy's fetch costs as much as the decode.
                rows = conn.execute(
                    select(
                        s.spans.c.trace_id,
                        s.spans.c.content,
                        s.spans.c.resource_id,
                        s.spans.c.scope_id,
                    ).where(s.spans.c.trace_id.in_(chunk))
                ).all()
                for trace_id, content, resource_id, scope_id in rows:
                    record: SpanRecord = loads(content)
                    by_trace[trace_id].append(record)
                    if resource_id is not None or scope_id is not None:
                        wanted.append((record, resource_id, scope_id))
            if wanted:
                self._attach_sources(conn, wanted)
        return by_trace

    def _attach_sources(
        self, conn: Connection, wanted: list[tuple[SpanRecord, str | None, str | None]]
    ) -> None:
        cache = self._sources
        missing = {i for _, r, c in wanted for i in (r, c) if i is not None and i not in cache}
        if len(cache) + len(missing) > 10_000:  # immutable, so only a bound to keep
            cache.clear()
        for table, column in ((s.resources, "resource_id"), (s.scopes, "scope_id")):
            for chunk in _chunks(sorted(missing)):
                key = table.c[column]
                rows = conn.execute(select(key, table.c.content).where(key.in_(chunk)))
                cache.update((i, json.loads(content)) for i, content in rows)
        for record, resource_id, scope_id in wanted:
            if resource_id is not None and resource_id in cache:
                record["resource"] = cache[resource_id]
            if scope_id is not None and scope_id in cache:
                record["scope"] = cache[scope_id]


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
