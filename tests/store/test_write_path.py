"""The write path's fast parts keep the store's behaviour: the stored JSON is the value
json writes (orjson, where installed, only when it writes the same value), rows go in
many to a statement, and writers of one process take turns without losing a span."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from spanwise.model._records import SpanRecord
from spanwise.store import _rows
from spanwise.store._sql import SqlTraceStore


def _record(trace: int, span: int, parent: int | None, **attributes: Any) -> SpanRecord:
    return {
        "v": 1,
        "trace_id": f"{trace:032x}",
        "span_id": f"{span:016x}",
        "parent_id": None if parent is None else f"{parent:016x}",
        "remote_parent": False,
        "name": f"s{span}",
        "start": 1_700_000_000_000_000_000 + span,
        "end": 1_700_000_000_000_000_000 + span + 1000,
        "status": "OK",
        "message": "",
        "attributes": {"spanwise.span.type": "TOOL", **attributes},
        "events": [],
    }


@pytest.fixture
def store(store_uri: str) -> Iterator[SqlTraceStore]:
    opened = SqlTraceStore(store_uri)
    yield opened
    opened.close()


_ODD_VALUES: dict[str, Any] = {
    "text": 'héllo \u2028 \x01 "quoted" \\ 😀',
    "big": 2**63 - 1,
    "bigger": 2**70,  # past 64 bits: orjson refuses it, json writes it
    "small": -(2**63),
    "tiny": 1e-07,
    "huge": 1.2345678901234568e17,
    "flags": [True, False],
    "numbers": [1.5, -0.0, 3],
    "empty": "",
}


def _content(store: SqlTraceStore, span_id: str) -> str:
    with store._read() as conn:  # pyright: ignore[reportPrivateUsage]
        return conn.execute(
            text("SELECT content FROM spans WHERE span_id = :s"), {"s": span_id}
        ).scalar_one()


@pytest.mark.parametrize("fast", [True, False], ids=["orjson-if-installed", "json-only"])
def test_stored_json_is_the_value_json_writes(
    store: SqlTraceStore, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    if not fast:
        monkeypatch.setattr(_rows, "_orjson", None)
    root = _record(1, 1, None, **_ODD_VALUES)
    child = _record(1, 2, 1, **_ODD_VALUES)
    store.write_records([root, child])
    for record in (root, child):
        stored = json.loads(_content(store, record["span_id"]))
        assert stored == json.loads(json.dumps(record))
    (trace,) = store.load([f"tr-{1:032x}"])
    assert [s.attributes["big"] for s in trace.data.spans] == [2**63 - 1] * 2


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_stay_themselves(store: SqlTraceStore, value: float) -> None:
    # orjson would write them as null: such records go through json, which keeps them.
    store.write_records([_record(2, 1, None, score=value, scores=[value, 1.0])])
    (trace,) = store.load([f"tr-{2:032x}"])
    stored = trace.data.spans[0].attributes
    assert repr(stored["score"]) == repr(value)
    assert repr(stored["scores"]) == repr([value, 1.0])


def test_more_rows_than_one_statement_binds(store: SqlTraceStore) -> None:
    # 999 parameters per statement at most: 14 columns make 71 span rows a statement.
    per = 999 // len(_rows.SPAN_COLUMNS)
    spans = 3 * per + 5
    records = [_record(3, 1, None)] + [_record(3, i, 1) for i in range(2, spans + 1)]
    store.write_records(records)
    (trace,) = store.load([f"tr-{3:032x}"])
    assert len(trace.data.spans) == spans
    assert {s.span_id for s in trace.data.spans} == {f"{i:016x}" for i in range(1, spans + 1)}
    assert trace.info.trace_id == f"tr-{3:032x}" and trace.info.state.value == "OK"


def test_threads_of_one_process_write_at_once_and_lose_nothing(store: SqlTraceStore) -> None:
    # Four threads, each with traces of its own and a share of one common trace.
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for batch in range(5):
                mine = [
                    _record(100 + n * 10 + batch, s, None if s == 1 else 1) for s in range(1, 9)
                ]
                shared = [_record(99, 1000 + n * 100 + batch * 10 + s, 1) for s in range(5)]
                store.write_records(mine + shared)
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    store.write_records([_record(99, 1, None)])  # the shared trace's root comes last
    assert store.count() == 4 * 5 + 1
    (shared,) = store.load([f"tr-{99:032x}"])
    assert len(shared.data.spans) == 4 * 5 * 5 + 1
    assert shared.info.state.value == "OK"
    with store._read() as conn:  # pyright: ignore[reportPrivateUsage]
        count = conn.execute(
            text("SELECT span_count FROM traces WHERE trace_id = :t"), {"t": f"tr-{99:032x}"}
        ).scalar_one()
    assert count == 4 * 5 * 5 + 1
