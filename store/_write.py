"""One write transaction: span records of any traces into the store, in time linear in
the spans that arrived (never in the size of the traces they join).

A trace not stored yet is built in Python and inserted (the common case: one query to
learn that, then bulk inserts). A trace already stored takes its new spans with a few
indexed statements: which of them replace stored spans, which stored spans waited for a
parent that just arrived (``root_rank``, see ``_schema``), which span is now the root
(one index probe), and, only when the root changed or was re-sent, a new summary read
off it; otherwise just a new span count.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from spanwise.model._conversation import CONVERSATION_KEY, trace_conversation
from spanwise.model._records import SpanRecord
from spanwise.semconv import SpanwiseAttributes

from . import _schema as s
from ._rows import (
    RANK,
    SPAN_COLUMNS,
    Rows,
    Sources,
    bulk_insert,
    insert_ignoring,
    insert_values,
    rank_key,
    span_values,
    summary_rows,
)

__all__ = ["Batch", "TraceBatch", "Written", "prepare_batch", "update_tags", "write_batch"]

_CHUNK = 500  # values per IN (...) list: old SQLite builds bind at most 999
_KEY_CHARS = 250  # trace_tags.key's width


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class _Sql:
    """Driver-level statements (SQLAlchemy's per-statement work shows at this rate)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.postgres = conn.dialect.name == "postgresql"
        # SQLite would rather scan the trace's root candidates (equality on two columns)
        # than probe the waiting spans by parent (an IN list): told which index to use.
        self.orphans = "" if self.postgres else " INDEXED BY ix_spans_orphan"

    def marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def keys(self, column: str, trace_id: str, ids: Sequence[str]) -> tuple[str, list[str]]:
        """``trace_id = ? AND column IN (ids)`` and its parameters."""
        return f"trace_id = ? AND {column} IN ({self.marks(len(ids))})", [trace_id, *ids]

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        result = self.conn.exec_driver_sql(sql.replace("?", self.mark), tuple(params))
        return list(result) if result.returns_rows else []


def _rank(record: SpanRecord, present: set[str] | frozenset[str]) -> int | None:
    parent = record["parent_id"]
    if parent is None or record["remote_parent"]:
        return 0
    return None if parent in present else 1


@dataclass(slots=True)
class Written:
    sources: set[str] = field(default_factory=set[str])  # resource/scope ids filed


@dataclass(slots=True)
class TraceBatch:
    """One trace's spans of a write, made into rows before the write begins (outside
    the transaction): ranked, and summarised, as if the trace were not stored yet."""

    members: dict[str, SpanRecord]  # span id -> record
    rows: list[tuple[Any, ...]]  # span rows (SPAN_COLUMNS), in members' order
    summary: dict[str, Any]  # the traces row
    tags: Rows
    meta: Rows
    sources: dict[tuple[str, str], None]  # (resource id or "", scope id or "")

    def __len__(self) -> int:
        return len(self.members)


class Batch(dict[str, TraceBatch]):
    """trace id (32 hex) -> its ``TraceBatch``, and the write's resources and scopes."""

    def __init__(self, sources: Sources) -> None:
        super().__init__()
        self.sources = sources


def prepare_batch(by_trace: dict[str, dict[str, SpanRecord]], known: set[str]) -> Batch:
    """The rows of ``by_trace`` (trace id, 32 hex -> span id -> record): everything of a
    write that needs no database (JSON, span types, summaries), made before the
    transaction so that it holds the database (on SQLite, the write lock every process
    shares) only for the SQL. ``known``: resource/scope ids stored already."""
    batch = Batch(Sources(known))
    sources = batch.sources
    for hex_id, members in by_trace.items():
        trace_id = f"tr-{hex_id}"
        rows: list[tuple[Any, ...]] = []
        best: tuple[tuple[int, int, str], SpanRecord] | None = None
        for record in members.values():
            parent = record["parent_id"]
            if parent is None or record["remote_parent"]:
                rank: int | None = 0
            else:
                rank = None if parent in members else 1
            rows.append(span_values(trace_id, record, rank, sources))
            if rank is not None and (best is None or rank_key(record, rank) < best[0]):
                best = (rank_key(record, rank), record)
        if best is None:  # parent links in a cycle: the earliest span stands as root
            record = min(members.values(), key=lambda r: (r["start"], r["span_id"]))
            best = (rank_key(record, 1), record)
            index = list(members).index(record["span_id"])
            rows[index] = _ranked(rows[index], 1)
        tags: Rows = []
        meta: Rows = []
        summary = summary_rows(best[1], len(members), tags, meta)
        meta += _conversation_rows(trace_id, best[1], members, meta)
        links = {(row[_RESOURCE] or "", row[_SCOPE] or ""): None for row in rows}
        batch[hex_id] = TraceBatch(members, rows, summary, tags, meta, links)
    return batch


_RESOURCE = SPAN_COLUMNS.index("resource_id")
_SCOPE = SPAN_COLUMNS.index("scope_id")


def _ranked(row: tuple[Any, ...], rank: int | None) -> tuple[Any, ...]:
    return (*row[:RANK], rank, *row[RANK + 1 :])


def write_batch(conn: Connection, batch: Batch) -> Written:
    """Write ``batch`` (see ``prepare_batch``) in ``conn``'s transaction. Returns the
    resource/scope ids this write stored (for the caller to add to its known ids once the
    transaction commits)."""
    sql = _Sql(conn)
    if sql.postgres:
        # psycopg prepares a statement run often; PostgreSQL may then plan it once for
        # any values ("generic"), blind to how many spans this trace has: the lookups of
        # a long trace's ids would scan the whole trace (quadratic ingest). Planned per
        # execution instead (lookups of a few keys: planning costs microseconds).
        sql.run("SET LOCAL plan_cache_mode = force_custom_plan")
    sources = batch.sources
    stored = _stored_traces(sql, [f"tr-{t}" for t in batch])
    span_rows: list[tuple[Any, ...]] = []
    trace_rows: list[dict[str, Any]] = []
    tag_rows: Rows = []
    meta_rows: Rows = []
    source_rows: dict[tuple[str, str, str], None] = {}
    pending: list[tuple[str, dict[str, SpanRecord], int, str | None]] = []
    conversations: Rows = []  # stored traces' conversations, kept where they have one
    for hex_id, prepared in batch.items():
        trace_id = f"tr-{hex_id}"
        if trace_id not in stored:
            span_rows += prepared.rows
            trace_rows.append(prepared.summary)
            tag_rows += prepared.tags
            meta_rows += prepared.meta
        else:
            added = _join_stored(sql, trace_id, prepared, span_rows)
            conversations += [r for r in prepared.meta if r["key"] == CONVERSATION_KEY]
            pending.append((trace_id, prepared.members, added, stored[trace_id]))
        for resource_id, scope_id in prepared.sources:
            source_rows[(trace_id, resource_id, scope_id)] = None
    # Another process may have filed the same resource or scope since: no conflict.
    insert_ignoring(conn, s.resources, sources.resources)
    insert_ignoring(conn, s.resource_attributes, sources.resource_attributes)
    insert_ignoring(conn, s.scopes, sources.scopes)
    insert_values(conn, s.spans, SPAN_COLUMNS, span_rows)
    bulk_insert(conn, s.traces, trace_rows)
    for trace_id, members, added, root_id in pending:
        _update_summary(sql, trace_id, members, added, root_id, tag_rows, meta_rows)
    bulk_insert(conn, s.tags, tag_rows)
    bulk_insert(conn, s.trace_metadata, meta_rows)
    insert_ignoring(conn, s.trace_metadata, conversations)
    insert_ignoring(
        conn,
        s.trace_sources,
        [{"trace_id": t, "resource_id": r, "scope_id": c} for t, r, c in source_rows],
    )
    return Written(sources.new)


def _stored_traces(sql: _Sql, ids: list[str]) -> dict[str, str | None]:
    """The traces of ``ids`` stored already -> their root span id. On PostgreSQL their
    rows are locked: two writers of one trace take turns (SQLite: one writer at a time)."""
    found: dict[str, str | None] = {}
    lock = " ORDER BY trace_id FOR UPDATE" if sql.postgres else ""
    for chunk in _chunks(sorted(ids)):
        rows = sql.run(
            f"SELECT trace_id, root_span_id FROM traces WHERE trace_id IN "
            f"({sql.marks(len(chunk))}){lock}",
            chunk,
        )
        found.update((trace_id, root) for trace_id, root in rows)
    return found


def _join_stored(
    sql: _Sql, trace_id: str, prepared: TraceBatch, span_rows: list[tuple[Any, ...]]
) -> int:
    """New spans of a stored trace: replaced spans deleted, waiting children told their
    parent came, rows appended to ``span_rows`` (ranked against the stored spans).
    Returns how many spans are new."""
    members = prepared.members
    ids = list(members)
    parents = {
        r["parent_id"]
        for r in members.values()
        if r["parent_id"] is not None and r["parent_id"] not in members
    }
    asked = ids + sorted(parents)
    present: set[str] = set()
    for chunk in _chunks(asked):
        where, params = sql.keys("span_id", trace_id, chunk)
        present.update(
            span_id for (span_id,) in sql.run(f"SELECT span_id FROM spans WHERE {where}", params)
        )
    replaced = [i for i in ids if i in present]
    for chunk in _chunks(replaced):
        where, params = sql.keys("span_id", trace_id, chunk)
        sql.run(f"DELETE FROM spans WHERE {where}", params)
    # Stored spans that waited for a parent in this batch: found first, then updated by
    # key (an UPDATE with the IN list costs PostgreSQL far more than the lookup).
    waiting: list[str] = []
    for chunk in _chunks(ids):
        where, params = sql.keys("parent_id", trace_id, chunk)
        rows = sql.run(
            f"SELECT span_id FROM spans{sql.orphans} WHERE root_rank = 1 AND {where}", params
        )
        waiting += [span_id for (span_id,) in rows]
    for chunk in _chunks(waiting):
        where, params = sql.keys("span_id", trace_id, chunk)
        sql.run(f"UPDATE spans SET root_rank = NULL WHERE {where}", params)
    present.update(ids)
    for record, row in zip(members.values(), prepared.rows, strict=True):
        rank = _rank(record, present)
        span_rows.append(row if row[RANK] == rank else _ranked(row, rank))
    return len(ids) - len(replaced)


def _update_summary(
    sql: _Sql,
    trace_id: str,
    members: dict[str, SpanRecord],
    added: int,
    root_id: str | None,
    tag_rows: Rows,
    meta_rows: Rows,
) -> None:
    """The summary of a stored trace after its new spans went in."""
    found = sql.run(
        "SELECT span_id FROM spans WHERE trace_id = ? AND root_rank IS NOT NULL "
        "ORDER BY root_rank, start_time_ns, span_id LIMIT 1",
        [trace_id],
    )
    if not found:  # parent links in a cycle: keep the summary there is
        return
    new_root: str = found[0][0]
    if new_root == root_id and new_root not in members:
        if added:
            sql.run(
                "UPDATE traces SET span_count = span_count + ? WHERE trace_id = ?",
                [added, trace_id],
            )
        return
    root = members.get(new_root)
    if root is None:
        ((content,),) = sql.run(
            "SELECT content FROM spans WHERE trace_id = ? AND span_id = ?", [trace_id, new_root]
        )
        root = json.loads(content)
    assert root is not None
    (count,) = sql.run("SELECT span_count FROM traces WHERE trace_id = ?", [trace_id])[0]
    first_meta = len(meta_rows)
    row = summary_rows(root, int(count) + added, tag_rows, meta_rows)
    columns = [c for c in row if c != "trace_id"]
    sql.run(
        f"UPDATE traces SET {', '.join(f'{c} = ?' for c in columns)} WHERE trace_id = ?",
        [*(row[c] for c in columns), trace_id],
    )
    sql.run("DELETE FROM trace_tags WHERE trace_id = ?", [trace_id])
    # A conversation read off another span stays, unless the new root names one.
    if any(r["key"] == CONVERSATION_KEY for r in meta_rows[first_meta:]):
        sql.run("DELETE FROM trace_metadata WHERE trace_id = ?", [trace_id])
    else:
        sql.run(
            "DELETE FROM trace_metadata WHERE trace_id = ? AND key <> ?",
            [trace_id, CONVERSATION_KEY],
        )


def _conversation_rows(
    trace_id: str, root: SpanRecord, members: dict[str, SpanRecord], meta: Rows
) -> Rows:
    """The trace's conversation as a metadata row, when a span other than its root
    names it (see spanwise.model._conversation); none when ``meta`` has it already."""
    if any(r["key"] == CONVERSATION_KEY for r in meta):
        return []
    found = trace_conversation(root, members.values())
    if found is None:
        return []
    return [{"trace_id": trace_id, "key": CONVERSATION_KEY, "value": found[: s.SEARCH_VALUE_CHARS]}]


def update_tags(conn: Connection, trace_id: str, changes: Mapping[str, str | None]) -> bool:
    """Set (a string) or remove (None) tags of the stored trace ``trace_id`` (``tr-``
    prefixed) in ``conn``'s transaction: on its root span's record, where a trace's tags
    live, and in its tag rows (search). False when the trace is not stored."""
    sql = _Sql(conn)
    lock = " FOR UPDATE" if sql.postgres else ""  # a concurrent writer of the trace waits
    found = sql.run(f"SELECT root_span_id FROM traces WHERE trace_id = ?{lock}", [trace_id])
    if not found:
        return False
    root_id: str | None = found[0][0]
    if root_id is None:  # a store migrated from version 1, not written since: the index
        first = sql.run(
            "SELECT span_id FROM spans WHERE trace_id = ? AND root_rank IS NOT NULL "
            "ORDER BY root_rank, start_time_ns, span_id LIMIT 1",
            [trace_id],
        )
        if not first:
            return False
        root_id = first[0][0]
    rows = sql.run(
        "SELECT content FROM spans WHERE trace_id = ? AND span_id = ?", [trace_id, root_id]
    )
    if not rows:
        return False
    record: SpanRecord = json.loads(rows[0][0])
    attributes = record["attributes"]
    prefix = SpanwiseAttributes.TRACE_TAG_PREFIX
    for key, value in changes.items():
        if value is None:
            attributes.pop(prefix + key, None)
        else:
            attributes[prefix + key] = value
    sql.run(
        "UPDATE spans SET content = ? WHERE trace_id = ? AND span_id = ?",
        [json.dumps(record, ensure_ascii=False, separators=(",", ":")), trace_id, root_id],
    )
    tag_rows: Rows = []
    for key, value in changes.items():
        cut = key[:_KEY_CHARS]
        sql.run("DELETE FROM trace_tags WHERE trace_id = ? AND key = ?", [trace_id, cut])
        if value is not None:
            tag_rows.append(
                {"trace_id": trace_id, "key": cut, "value": value[: s.SEARCH_VALUE_CHARS]}
            )
    bulk_insert(conn, s.tags, tag_rows)
    return True
