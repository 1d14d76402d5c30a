"""Writes touch only the spans that arrived: a trace sent in many batches, in any order,
reads back and searches exactly as the same trace written at once; the work per write
is bounded by the batch, not the trace; stores of schema version 1 are migrated."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text

from spanwise.model._records import SpanRecord
from spanwise.store import _write
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._sql import SqlTraceStore

from ._v1_schema import metadata as v1_metadata

BASE = 1_700_000_000_000_000_000


def _span(trace: int, span: int, parent: int | None, **changes: Any) -> SpanRecord:
    record: dict[str, Any] = {
        "v": 1,
        "trace_id": f"{trace:032x}",
        "span_id": f"{span:016x}",
        "parent_id": None if parent is None else f"{parent:016x}",
        "remote_parent": False,
        "name": "agent" if parent is None else ("step" if span % 5 == 1 else "chat"),
        "start": BASE + span * 1000,
        "end": BASE + span * 1000 + 500,
        "status": "OK",
        "message": "",
        "attributes": {"spanwise.span.type": "CHAIN" if span % 5 == 1 else "CHAT_MODEL"},
        "events": [],
    }
    record.update(changes)
    return record  # pyright: ignore[reportReturnType]


def _trace(trace: int, n: int) -> list[SpanRecord]:
    """A root (span 1) with steps, each with calls; in the order an SDK exports them:
    calls, then their step, the root last."""
    root = _span(
        trace,
        1,
        None,
        end=BASE + (n + 2) * 1000,
        attributes={
            "spanwise.span.type": "AGENT",
            "spanwise.span.inputs": '{"task":"long"}',
            "spanwise.trace.tags.team": "search",
            "spanwise.trace.metadata.session": "s1",
        },
    )
    out: list[SpanRecord] = []
    step = 1
    held: list[SpanRecord] = []
    for span in range(2, n + 1):
        if span % 5 == 1 or span == 2:
            out += held
            held = [_span(trace, span, 1)]
            step = span
        else:
            out.append(_span(trace, span, step))
    return out + held + [root]


def _snapshot(store: SqlTraceStore) -> dict[str, Any]:
    """What a reader can see: every trace as JSON, and the answers to searches."""
    order = parse_order_by(None)
    traces = store.search([], order, None)
    filters = [
        "tags.team = 'search'",
        "metadata.session = 's1'",
        "status = 'OK'",
        "span.name = 'step'",
        "name = 'agent'",
        "execution_time_ms >= 0",
    ]
    return {
        "traces": [t.to_dict() for t in traces],
        "count": store.count(),
        "searches": {f: store.search_ids(parse_filter(f), order, None) for f in filters},
    }


def _written(store_uri: str, batches: list[list[SpanRecord]]) -> dict[str, Any]:
    store = SqlTraceStore(store_uri)
    try:
        for batch in batches:
            store.write_records(batch)
        return _snapshot(store)
    finally:
        store.close()


def test_a_trace_in_many_batches_in_any_order_reads_as_written_at_once(
    tmp_path: Path, store_uri: str
) -> None:
    spans = _trace(7, 300) + _trace(8, 40)
    at_once = _written(f"sqlite:///{tmp_path / 'once.db'}", [spans])
    assert at_once["count"] == 2
    assert at_once["searches"]["tags.team = 'search'"] == [f"tr-{8:032x}", f"tr-{7:032x}"]
    in_order = [spans[i : i + 23] for i in range(0, len(spans), 23)]
    shuffled = list(spans)
    random.Random(14).shuffle(shuffled)
    # Every span sent twice as well (the in-process path resends a trace with a late span).
    shuffled_batches = [shuffled[i : i + 17] for i in range(0, len(shuffled), 17)]
    shuffled_batches += [shuffled[i : i + 50] for i in range(0, len(shuffled), 50)]
    assert _written(store_uri, in_order) == at_once
    other = (
        store_uri if store_uri.startswith("postgresql") else f"sqlite:///{tmp_path / 'shuffled.db'}"
    )
    if store_uri.startswith("postgresql"):  # a fresh database for the second run
        with create_engine(store_uri).begin() as conn:
            for table in ("traces", "spans", "trace_tags", "trace_metadata", "trace_sources"):
                conn.execute(text(f"DELETE FROM {table}"))
    assert _written(other, shuffled_batches) == at_once


def test_the_summary_follows_the_root_as_it_arrives(store_uri: str) -> None:
    store = SqlTraceStore(store_uri)
    trace_id = f"tr-{3:032x}"
    spans = _trace(3, 12)
    store.write_records(spans[:4])  # calls of the first step: no root yet
    (partial,) = store.load([trace_id])
    assert partial.info.state.value == "IN_PROGRESS"
    assert partial.info.tags == {}
    assert [s.span_id for s in partial.data.spans] == [f"{i:016x}" for i in (2, 3, 4, 5)]
    store.write_records(spans[4:])  # the rest, the root last
    (done,) = store.load([trace_id])
    assert done.info.state.value == "OK"
    assert done.info.tags == {"team": "search"}
    assert done.info.request_preview == '{"task":"long"}'
    assert done.info.execution_duration == 0  # (n + 1) us
    # A late child of the finished trace: counted, summary kept.
    store.write_records([_span(3, 99, 1)])
    (late,) = store.load([trace_id])
    assert len(late.data.spans) == 13 and late.info.to_dict() == done.info.to_dict()
    # The root sent again with other tags and an error: the summary follows it.
    root = dict(spans[-1])
    root["status"] = "ERROR"
    root["attributes"] = {**root["attributes"], "spanwise.trace.tags.team": "ads"}
    store.write_records([root])  # pyright: ignore[reportArgumentType]
    assert store.search_ids(parse_filter("tags.team = 'search'"), parse_order_by(None), None) == []
    (again,) = store.load([trace_id])
    assert (again.info.state.value, again.info.tags) == ("ERROR", {"team": "ads"})
    assert len(again.data.spans) == 13
    with store._engine.connect() as conn:  # pyright: ignore[reportPrivateUsage]
        row = conn.execute(text("SELECT span_count, root_span_id FROM traces")).one()
    assert tuple(row) == (13, f"{1:016x}")
    store.close()


def test_a_write_reads_only_what_its_batch_touches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows a write reads back are bounded by its own batch: a trace of n spans in b
    batches costs O(n), not O(n * b) as a re-read of the whole trace per write would."""
    read: list[int] = []
    original = _write._Sql.run  # pyright: ignore[reportPrivateUsage]

    def counting(self: Any, sql: str, params: Any = ()) -> list[Any]:
        rows = original(self, sql, params)
        read.append(len(rows))
        return rows

    monkeypatch.setattr(_write._Sql, "run", counting)  # pyright: ignore[reportPrivateUsage]
    store = SqlTraceStore(f"sqlite:///{tmp_path / 'bounded.db'}")
    spans = _trace(5, 2000)
    per_batch: list[int] = []
    for i in range(0, len(spans), 50):
        read.clear()
        store.write_records(spans[i : i + 50])
        per_batch.append(sum(read))
    # Per write: its own span ids and their parents found stored, the root's row and
    # count; and, once over the whole trace, each span that waited for its parent.
    # (A re-read of the whole trace per write would read 40,000+ rows here.)
    assert sum(per_batch) <= 2 * len(spans)
    waited = len(spans) // 5  # the steps wait for the root, which comes last
    assert max(per_batch[:-1]) <= 2 * 50 + 3 and per_batch[-1] <= 2 * 50 + 3 + waited
    assert store.count() == 1 and len(store.load([f"tr-{5:032x}"])[0].data.spans) == 2000
    store.close()


def _v1_store(store_uri: str) -> None:
    """A store as spanwise wrote it at schema version 1: one finished trace, one whose
    root has not arrived."""
    engine = create_engine(store_uri)
    import json

    from spanwise.store._rows import span_row

    with engine.begin() as conn:
        v1_metadata.create_all(conn)
        conn.execute(
            insert(v1_metadata.tables["spanwise_meta"]), [{"key": "schema_version", "value": "1"}]
        )
        spans = [*_trace(1, 8), *_trace(2, 8)[:3]]
        rows: list[dict[str, Any]] = []
        for record in spans:
            row = span_row(f"tr-{record['trace_id']}", record, None, _NoSources())
            rows.append({k: v for k, v in row.items() if k in v1_metadata.tables["spans"].c})
            rows[-1]["content"] = json.dumps(record)
        conn.execute(insert(v1_metadata.tables["spans"]), rows)
        summary = {
            "name": "agent",
            "state": "OK",
            "request_time": BASE // 1_000_000,
            "start_time_ns": BASE + 1000,
            "execution_duration": 0,
            "request_preview": '{"task":"long"}',
            "response_preview": None,
            "client_request_id": None,
            "span_count": 8,
        }
        conn.execute(
            insert(v1_metadata.tables["traces"]),
            [
                {"trace_id": f"tr-{1:032x}", **summary},
                {
                    **summary,
                    "trace_id": f"tr-{2:032x}",
                    "name": "chat",
                    "state": "IN_PROGRESS",
                    "span_count": 3,
                },
            ],
        )
        conn.execute(
            insert(v1_metadata.tables["trace_tags"]),
            [{"trace_id": f"tr-{1:032x}", "key": "team", "value": "search"}],
        )
    engine.dispose()


class _NoSources:
    def resource_id(self, _resource: object) -> None:
        return None

    def scope_id(self, _scope: object) -> None:
        return None


@pytest.mark.parametrize("create", [True, False])
def test_a_version_1_store_is_migrated_when_opened(store_uri: str, create: bool) -> None:
    _v1_store(store_uri)
    store = SqlTraceStore(store_uri, create=create)
    with store._engine.connect() as conn:  # pyright: ignore[reportPrivateUsage]
        version = conn.execute(text("SELECT value FROM spanwise_meta")).scalar()
        roots = conn.execute(
            text("SELECT trace_id, root_span_id FROM traces ORDER BY trace_id")
        ).all()
    assert version == "2"
    # Trace 2 has only calls 3-5 of step 2: the earliest of them stands in as root.
    assert [tuple(r) for r in roots] == [
        (f"tr-{1:032x}", f"{1:016x}"),
        (f"tr-{2:032x}", f"{3:016x}"),
    ]
    order = parse_order_by(None)
    assert store.search_ids(parse_filter("tags.team = 'search'"), order, None) == [f"tr-{1:032x}"]
    (old,) = store.load([f"tr-{1:032x}"])
    assert old.data.spans[0].kind == "UNSPECIFIED" and old.data.spans[0].resource is None
    # Writes go on where version 1 stopped: trace 2's other spans, its root last.
    store.write_records(_trace(2, 8)[3:])
    (finished,) = store.load([f"tr-{2:032x}"])
    assert (finished.info.state.value, len(finished.data.spans)) == ("OK", 8)
    assert store.search_ids(parse_filter("tags.team = 'search'"), order, None) == [
        f"tr-{2:032x}",
        f"tr-{1:032x}",
    ]
    store.close()
    SqlTraceStore(store_uri).close()  # opened again: nothing left to migrate
