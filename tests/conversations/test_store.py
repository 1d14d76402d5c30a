"""The trace's conversation in the store: kept as the metadata ``mlflow.trace.session``
whatever order a trace's spans arrive in, searched as ``conversation.id`` on SQLite and
PostgreSQL, and the same answers as the in-memory matcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from spanwise.exporter._read import _fields  # pyright: ignore[reportPrivateUsage]
from spanwise.model._conversation import CONVERSATION_KEY
from spanwise.model._translate import build_trace
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._match import matches
from spanwise.store._sql import SqlTraceStore

META = "spanwise.trace.metadata."
CONV = "gen_ai.conversation.id"


def _traces(record: Callable[..., dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Trace number -> its records (root first), one placement of the conversation each."""
    return {
        1: [record(1, 10, None, {CONV: "c1"}), record(1, 11, 10, start=1)],
        2: [
            record(2, 20, None),
            record(2, 21, 20, start=1),
            record(2, 22, 21, {CONV: "c1"}, start=2),
        ],
        3: [record(3, 30, None, {META + "session": "s1"}), record(3, 31, 30, start=1)],
        4: [
            record(4, 40, None, {META + "mlflow.trace.session": "c2"}),
            record(4, 41, 40, {CONV: "c1"}, start=1),
        ],
        5: [record(5, 50, None), record(5, 51, 50, start=1)],
        6: [record(6, 60, None), record(6, 61, 60, {CONV: "c'3"}, start=1)],
    }


EXPECTED = {1: "c1", 2: "c1", 3: "s1", 4: "c2", 6: "c'3"}

FILTERS = {
    "conversation.id = 'c1'": {1, 2},
    "trace.conversation.id = 'c2'": {4},
    "conversation.id IN ('c1', 'c2')": {1, 2, 4},
    "conversation.id NOT IN ('c1')": {3, 4, 6},
    "conversation.id != 'c1'": {3, 4, 6},
    "conversation.id LIKE 'c%'": {1, 2, 4, 6},
    "conversation.id ILIKE 'S%'": {3},
    "conversation.id = 'c\\'3'": {6},
    "metadata.`mlflow.trace.session` = 's1'": {3},
    "request_metadata.`mlflow.trace.session` = 'c1'": {1, 2},
    "metadata.session = 's1'": {3},
    "conversation.id = 'c1' AND span.name = 'span22'": {2},
    "conversation.id = 'nope'": set(),
}


def _id(number: int) -> str:
    return f"tr-{number:032x}"


def _search(store: SqlTraceStore, filter_string: str) -> set[int]:
    ids = store.search_ids(parse_filter(filter_string), parse_order_by(None), None)
    return {int(i[3:], 16) for i in ids}


def _write_in(store: SqlTraceStore, traces: dict[int, list[dict[str, Any]]], order: str) -> None:
    spans = [r for records in traces.values() for r in records]
    if order == "one batch":
        store.write_records(spans)  # type: ignore[arg-type]
        return
    # One span a write: children before their parents (the root arrives last, as a
    # BatchSpanProcessor sends them), or roots first (children join a stored trace).
    spans.sort(key=lambda r: r["start"], reverse=order == "children first")
    for span in spans:
        store.write_records([span])  # type: ignore[list-item]


@pytest.mark.parametrize("order", ["one batch", "children first", "roots first"])
def test_the_conversation_is_kept_and_searched(
    store_uri: str, record: Callable[..., dict[str, Any]], order: str
) -> None:
    traces = _traces(record)
    store = SqlTraceStore(store_uri)
    try:
        _write_in(store, traces, order)
        for number in traces:
            stored = store.get_trace(_id(number))
            assert stored is not None
            assert stored.info.trace_metadata.get(CONVERSATION_KEY) == EXPECTED.get(number)
        for filter_string, expected in FILTERS.items():
            assert _search(store, filter_string) == expected, filter_string
    finally:
        store.close()


def test_sql_and_memory_agree(store_uri: str, record: Callable[..., dict[str, Any]]) -> None:
    traces = _traces(record)
    store = SqlTraceStore(store_uri)
    try:
        _write_in(store, traces, "one batch")
        built = {n: _fields(build_trace(records)) for n, records in traces.items()}  # type: ignore[arg-type]
        for filter_string in FILTERS:
            comparisons = parse_filter(filter_string)
            in_memory = {n for n, fields in built.items() if matches(fields, comparisons)}
            assert in_memory == _search(store, filter_string), filter_string
    finally:
        store.close()


def test_a_later_root_naming_a_session_replaces_a_childs(
    store_uri: str, record: Callable[..., dict[str, Any]]
) -> None:
    store = SqlTraceStore(store_uri)
    try:
        store.write_records([record(7, 71, 70, {CONV: "from-child"}, start=1)])  # type: ignore[list-item]
        assert _search(store, "conversation.id = 'from-child'") == {7}
        store.write_records([record(7, 70, None, {META + "mlflow.trace.session": "explicit"})])  # type: ignore[list-item]
        assert _search(store, "conversation.id = 'from-child'") == set()
        assert _search(store, "conversation.id = 'explicit'") == {7}
        # Tags changed later leave the conversation alone.
        assert store.update_trace_tags(_id(7), {"reviewed": "yes"})
        assert _search(store, "conversation.id = 'explicit' AND tags.reviewed = 'yes'") == {7}
    finally:
        store.close()


def test_a_long_conversation_id_is_searchable_by_its_head(
    store_uri: str, record: Callable[..., dict[str, Any]]
) -> None:
    long_id = "x" * 1500  # past SEARCH_VALUE_CHARS (1000): indexed by its head
    store = SqlTraceStore(store_uri)
    try:
        store.write_records([record(8, 80, None), record(8, 81, 80, {CONV: long_id}, start=1)])  # type: ignore[list-item]
        assert _search(store, f"conversation.id LIKE '{'x' * 1000}%'") == {8}
        stored = store.get_trace(_id(8))
        assert stored is not None and stored.info.trace_metadata[CONVERSATION_KEY] == long_id
    finally:
        store.close()
