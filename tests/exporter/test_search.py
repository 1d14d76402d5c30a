"""spanwise.search_traces: filters, ordering, the DataFrame, memory-only mode."""

from __future__ import annotations

import contextlib
import re
import sys
import time
from typing import Any

import pytest

import spanwise
from spanwise.entities import SpanType, Trace


def _make_traces() -> list[str]:
    """Five traces: fruit tags, one slow, one failing, tools in some."""

    @spanwise.trace(span_type=SpanType.TOOL)
    def lookup(item: str) -> str:
        return item.upper()

    @spanwise.trace
    def handle(
        question: str, fruit: str, slow: bool = False, fail: bool = False, tool: bool = False
    ) -> str:
        spanwise.update_current_trace(tags={"fruit": fruit})
        if slow:
            time.sleep(0.12)
        if tool:
            lookup(fruit)
        if fail:
            raise RuntimeError("no answer")
        return f"answer to {question}"

    ids: list[str] = []
    for args in [
        dict(question="q1", fruit="apple"),
        dict(question="q1", fruit="apple", slow=True, tool=True),
        dict(question="q2", fruit="pear", tool=True),
        dict(question="q3", fruit="apple", fail=True),
        dict(question="q4", fruit="banana"),
    ]:
        with contextlib.suppress(RuntimeError):
            handle(**args)  # type: ignore[arg-type]
        trace_id = spanwise.get_last_active_trace_id()
        assert trace_id is not None
        ids.append(trace_id)
    return ids


def test_filters_from_the_issue() -> None:
    ids = _make_traces()

    def found(text: str) -> set[str]:
        return {t.info.trace_id for t in spanwise.search_traces(text, return_type="list")}  # type: ignore[union-attr]

    assert found("status = 'OK'") == {ids[0], ids[1], ids[2], ids[4]}
    assert found("status = 'ERROR'") == {ids[3]}
    assert found("tags.fruit = 'apple' AND execution_time_ms > 100") == {ids[1]}
    assert found("span.type = 'TOOL'") == {ids[1], ids[2]}
    assert found("name = 'handle' AND tags.fruit != 'apple'") == {ids[2], ids[4]}
    assert found("") == set(ids)


def test_search_sees_every_trace_finished_before_the_call() -> None:
    @spanwise.trace
    def quick(i: int) -> int:
        return i

    for i in range(50):
        quick(i)
    assert len(spanwise.search_traces(return_type="list")) == 50  # no explicit flush


def test_ordering_and_max_results() -> None:
    ids = _make_traces()
    newest = spanwise.search_traces(max_results=2, return_type="list")
    assert [t.info.trace_id for t in newest] == [ids[4], ids[3]]  # type: ignore[union-attr]
    oldest = spanwise.search_traces(
        order_by=["timestamp_ms ASC"], max_results=1, return_type="list"
    )
    assert [t.info.trace_id for t in oldest] == [ids[0]]  # type: ignore[union-attr]
    slowest = spanwise.search_traces(
        order_by=["execution_time_ms DESC"], max_results=1, return_type="list"
    )
    assert [t.info.trace_id for t in slowest] == [ids[1]]  # type: ignore[union-attr]


def test_dataframe_has_mlflows_columns() -> None:
    pandas = pytest.importorskip("pandas")
    ids = _make_traces()
    df = spanwise.search_traces("status = 'OK'")
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == [
        "trace_id",
        "trace",
        "client_request_id",
        "state",
        "request_time",
        "execution_duration",
        "request",
        "response",
        "trace_metadata",
        "tags",
        "spans",
        "assessments",
    ]
    assert list(df["trace_id"]) == [ids[4], ids[2], ids[1], ids[0]]
    assert all(
        Trace.from_json(j).info.trace_id == i
        for j, i in zip(df["trace"], df["trace_id"], strict=True)
    )
    first = df[df["trace_id"] == ids[0]].iloc[0]
    assert first["request"] == {
        "question": "q1",
        "fruit": "apple",
        "slow": False,
        "fail": False,
        "tool": False,
    }
    assert first["response"] == "answer to q1"
    assert first["state"] == "OK"
    assert first["tags"] == {"fruit": "apple"}
    assert first["spans"][0]["name"] == "handle"
    # MLflow 3's DataFrame: request/response are values (dicts), as MLflow's are.
    questions = {r["question"] for r in df["request"]}
    assert questions == {"q1", "q2", "q4"}


def test_bad_arguments_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="at position 9"):
        spanwise.search_traces("status = OK")
    with pytest.raises(ValueError, match="return_type"):
        spanwise.search_traces(return_type="dict")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_results"):
        spanwise.search_traces(max_results=0)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"spanwise\[pandas\]"):
        spanwise.search_traces(return_type="pandas")
    assert spanwise.search_traces() == []  # without pandas: a list, as in MLflow
    assert spanwise.search_traces(return_type="list") == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"filter_string": 123}, TypeError, "filter_string must be a string or None, got int"),
        ({"max_results": -5}, ValueError, "max_results must be a positive integer, got -5"),
        ({"max_results": 0}, ValueError, "max_results must be a positive integer, got 0"),
        ({"max_results": 2.5}, TypeError, "max_results must be a positive integer or None"),
        ({"max_results": True}, TypeError, "max_results must be a positive integer or None"),
        ({"max_results": "10"}, TypeError, "max_results must be a positive integer or None"),
        ({"max_results": 2**64}, ValueError, "max_results must be below 2**63"),
        ({"order_by": 5}, TypeError, "order_by must be a list of strings, got int"),
        ({"order_by": [None]}, TypeError, "order_by must be a list of strings"),
        ({"order_by": ["name; DROP TABLE traces"]}, ValueError, "Invalid order_by item"),
        ({"return_type": "dict"}, ValueError, "return_type must be 'pandas' or 'list'"),
        (
            {"filter_string": "timestamp_ms > 99999999999999999999999999"},
            ValueError,
            "out of range",
        ),
        (
            {"filter_string": " AND ".join(["name = 'a'"] * 1001)},
            ValueError,
            "too many comparisons",
        ),
    ],
)
@pytest.mark.parametrize("tracking_uri", ["store", "none"])
def test_every_bad_argument_is_a_type_or_value_error_naming_it(
    kwargs: dict[str, Any], error: type[Exception], message: str, tracking_uri: str
) -> None:
    if tracking_uri == "none":  # the in-memory path checks the same way
        spanwise.set_tracking_uri("none")
    _make_traces()
    kwargs.setdefault("return_type", "list")
    with pytest.raises(error) as raised:
        spanwise.search_traces(**kwargs)
    assert message in str(raised.value)
    assert len(spanwise.search_traces(return_type="list")) == 5  # nothing else changed


def test_max_results_accepts_numpy_integers() -> None:
    numpy = pytest.importorskip("numpy")
    _make_traces()
    assert len(spanwise.search_traces(max_results=numpy.int64(2), return_type="list")) == 2


@pytest.mark.parametrize(
    ("trace_id", "error", "message"),
    [
        (123, TypeError, "trace_id must be a string, got int"),
        (None, TypeError, "trace_id must be a string, got NoneType"),
        ("tr-xyz", ValueError, "Invalid trace_id 'tr-xyz'"),
    ],
)
def test_get_trace_bad_ids(trace_id: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        spanwise.get_trace(trace_id)


def test_memory_only_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    spanwise.set_tracking_uri("none")
    assert spanwise.get_tracking_uri() is None
    ids = _make_traces()
    found = spanwise.search_traces("tags.fruit = 'apple'", return_type="list")
    assert [t.info.trace_id for t in found] == [ids[3], ids[1], ids[0]]  # type: ignore[union-attr]
    assert spanwise.get_trace(ids[2]) is not None


def test_set_tracking_uri_validates() -> None:
    with pytest.raises(ValueError, match="Unsupported tracking URI"):
        spanwise.set_tracking_uri("mysql://x")
