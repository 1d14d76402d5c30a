"""Tags of a trace that is only in the store (``SqlTraceStore.update_trace_tags``): set
and removed in one transaction on the root span's record and the tag rows, so reading
the trace and searching it agree, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, text

from spanwise.model._records import SpanRecord
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._schema import SEARCH_VALUE_CHARS
from spanwise.store._sql import SqlTraceStore

BASE = 1_700_000_000_000_000_000
TRACE = f"tr-{7:032x}"


def _span(span: int, parent: int | None, attributes: dict[str, Any]) -> SpanRecord:
    record: dict[str, Any] = {
        "v": 1,
        "trace_id": f"{7:032x}",
        "span_id": f"{span:016x}",
        "parent_id": None if parent is None else f"{parent:016x}",
        "remote_parent": False,
        "name": "agent" if parent is None else "tool",
        "start": BASE + span * 1000,
        "end": BASE + 10_000 - span,
        "status": "OK",
        "message": "",
        "attributes": attributes,
        "events": [],
    }
    return record  # pyright: ignore[reportReturnType]


ROOT = {
    "spanwise.span.type": "AGENT",
    "spanwise.span.inputs": '{"q":"hi"}',
    "spanwise.trace.tags.team": "search",
    "spanwise.trace.tags.stage": "draft",
    "spanwise.trace.metadata.session": "s1",
}


def _ids(store: SqlTraceStore, filter_string: str) -> list[str]:
    return store.search_ids(parse_filter(filter_string), parse_order_by(None), None)


def _tag_rows(store_uri: str) -> list[tuple[str, str]]:
    engine = create_engine(store_uri)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT key, value FROM trace_tags WHERE trace_id = :t ORDER BY key"),
                {"t": TRACE},
            )
            return [(k, v) for k, v in rows]
    finally:
        engine.dispose()


def test_update_trace_tags_sets_and_removes_on_the_root_and_for_search(store_uri: str) -> None:
    store = SqlTraceStore(store_uri)
    try:
        store.write_records([_span(2, 1, {"spanwise.span.type": "TOOL"}), _span(1, None, ROOT)])
        before = store.get_trace(TRACE)
        assert before is not None

        changed = store.update_trace_tags(
            TRACE, {"team": "ranking", "stage": None, "owner": "ada", "absent": None}
        )
        assert changed is True

        after = store.get_trace(TRACE)
        assert after is not None
        assert after.info.tags == {"team": "ranking", "owner": "ada"}
        # Nothing else moved: metadata, spans, their I/O, the summary.
        assert after.info.trace_metadata == {"session": "s1", "mlflow.trace.session": "s1"}
        assert [(s.name, s.inputs) for s in after.data.spans] == [
            (s.name, s.inputs) for s in before.data.spans
        ]
        assert (after.info.state, after.info.execution_duration, after.info.request_preview) == (
            before.info.state,
            before.info.execution_duration,
            before.info.request_preview,
        )
        root = after.data.root_span
        assert root is not None
        assert {k: v for k, v in root.attributes.items() if k.startswith("spanwise.trace.")} == {
            "spanwise.trace.tags.team": "ranking",
            "spanwise.trace.tags.owner": "ada",
            "spanwise.trace.metadata.session": "s1",
        }
        assert _tag_rows(store_uri) == [("owner", "ada"), ("team", "ranking")]
        assert _ids(store, "tags.team = 'ranking' AND tags.owner = 'ada'") == [TRACE]
        assert _ids(store, "tags.team = 'search'") == []
        assert _ids(store, "tags.stage = 'draft'") == []
        assert store.count() == 1
    finally:
        store.close()


def test_update_trace_tags_of_an_unknown_trace_is_false(store_uri: str) -> None:
    store = SqlTraceStore(store_uri)
    try:
        assert store.update_trace_tags(TRACE, {"team": "x"}) is False
        store.write_records([_span(1, None, ROOT)])
        assert store.update_trace_tags(f"tr-{8:032x}", {"team": "x"}) is False
        assert _tag_rows(store_uri) == [("stage", "draft"), ("team", "search")]
    finally:
        store.close()


def test_a_long_tag_is_whole_on_the_trace_and_cut_for_search(store_uri: str) -> None:
    store = SqlTraceStore(store_uri)
    long = "é" * (SEARCH_VALUE_CHARS + 50)
    try:
        store.write_records([_span(1, None, ROOT)])
        assert store.update_trace_tags(TRACE, {"note": long, "json": json.dumps([1, 2])})
        trace = store.get_trace(TRACE)
        assert trace is not None
        assert trace.info.tags["note"] == long
        assert trace.info.tags["json"] == "[1, 2]"
        rows = dict(_tag_rows(store_uri))
        assert rows["note"] == long[:SEARCH_VALUE_CHARS]
    finally:
        store.close()


def test_tags_survive_a_later_batch_of_the_same_trace(store_uri: str) -> None:
    # A late child joins the trace after the tags changed: the summary is kept, and the
    # tags with it (the root record carries them).
    store = SqlTraceStore(store_uri)
    try:
        store.write_records([_span(1, None, ROOT)])
        assert store.update_trace_tags(TRACE, {"team": "ranking"})
        store.write_records([_span(3, 1, {"spanwise.span.type": "TOOL"})])
        trace = store.get_trace(TRACE)
        assert trace is not None
        assert trace.info.tags == {"team": "ranking", "stage": "draft"}
        assert len(trace.data.spans) == 2
        assert _ids(store, "tags.team = 'ranking'") == [TRACE]
    finally:
        store.close()
