"""start_span, get_current_active_span, update_current_trace, threads, Client."""

from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.entities import SpanType

from _support import loads, span_dict, spans_by_name


def test_start_span_live_span_api(exporter: InMemorySpanExporter) -> None:
    with spanwise.start_span("step", span_type=SpanType.RETRIEVER, attributes={"k": 1}) as span:
        assert span.trace_id == f"tr-{1:032x}"
        assert span.span_id == f"{1:016x}"
        current = spanwise.get_current_active_span()
        assert current is not None and current.span_id == span.span_id
        assert current.span_type == "RETRIEVER"
        span.set_inputs({"query": "q"})
        span.set_outputs([{"doc": 1}])
        span.set_attribute("score", 0.5)
        span.set_attributes({"tags": ["a", "b"], "obj": {"x": 1}})
        span.add_event("hit", {"n": 2})
    assert spanwise.get_current_active_span() is None
    (exported,) = exporter.get_finished_spans()
    assert span_dict(exported) == {
        "name": "step",
        "kind": "INTERNAL",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "OK",
        "attributes": {
            "spanwise.span.type": "RETRIEVER",
            "gen_ai.operation.name": "retrieval",
            "k": 1,
            "spanwise.span.inputs": '{"query":"q"}',
            "spanwise.span.outputs": '[{"doc":1}]',
            "score": 0.5,
            "tags": ("a", "b"),
            "obj": '{"x":1}',
        },
        "events": [{"name": "hit", "attributes": {"n": 2}}],
    }


def test_start_span_user_status_and_exception(exporter: InMemorySpanExporter) -> None:
    with spanwise.start_span("judged") as span:
        span.set_status("ERROR", "model refused")
    with pytest.raises(ZeroDivisionError), spanwise.start_span("crash"):
        _ = 1 / 0
    with pytest.raises(ValueError, match="Invalid span status"):
        span.set_status("MAYBE")
    judged, crash = exporter.get_finished_spans()
    assert (judged.status.status_code.name, judged.status.description) == ("ERROR", "model refused")
    assert crash.status.description == "ZeroDivisionError: division by zero"
    assert crash.events[0].attributes["exception.type"] == "ZeroDivisionError"  # type: ignore[index]


def test_update_current_trace_from_any_depth(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def leaf() -> None:
        spanwise.update_current_trace(
            tags={"fruit": "apple", "n": 3},
            metadata={"user": "u1"},
            request_preview="what is up?",
        )

    @spanwise.trace
    def root() -> str:
        with spanwise.start_span("middle"):
            leaf()
        return "fine"

    root()
    spans = spans_by_name(exporter.get_finished_spans())
    root_attrs = spans["root"].attributes or {}
    assert root_attrs["spanwise.trace.tags.fruit"] == "apple"
    assert root_attrs["spanwise.trace.tags.n"] == "3"
    assert root_attrs["spanwise.trace.metadata.user"] == "u1"
    assert not any(k.startswith("spanwise.trace") for k in spans["leaf"].attributes or {})
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    assert trace is not None
    assert trace.info.tags == {"fruit": "apple", "n": "3"}
    assert trace.info.trace_metadata == {"user": "u1"}
    assert trace.info.request_preview == "what is up?"
    assert trace.info.response_preview == '"fine"'  # the recorded JSON


def test_update_current_trace_outside_a_trace_warns(caplog: pytest.LogCaptureFixture) -> None:
    from spanwise.common import _safety

    _safety._seen.discard("warn:update_current_trace")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        spanwise.update_current_trace(tags={"a": "b"})
    assert "outside an active trace" in caplog.text


def test_threads_are_isolated_unless_context_is_carried(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def work(i: int) -> int:
        return i

    with spanwise.start_span("parent") as parent, ThreadPoolExecutor(2) as pool:
        pool.submit(work, 1).result()  # a worker thread starts with an empty context
        pool.submit(spanwise.with_current_context(work), 2).result()
        ctx = contextvars.copy_context()
        thread = threading.Thread(target=ctx.run, args=(work, 3))
        thread.start()
        thread.join()
    spans = exporter.get_finished_spans()
    by_input = {
        loads(s.attributes["spanwise.span.inputs"])["i"]: s  # type: ignore[index]
        for s in spans
        if s.name == "work"
    }
    parent_id = int(parent.span_id, 16)
    assert by_input[1].parent is None
    assert by_input[2].parent is not None and by_input[2].parent.span_id == parent_id
    assert by_input[3].parent is not None and by_input[3].parent.span_id == parent_id


def test_with_current_context_is_reentrant_across_threads(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def work(i: int) -> int:
        return i

    with spanwise.start_span("fanout"), ThreadPoolExecutor(4) as pool:
        wrapped = spanwise.with_current_context(work)
        assert sorted(pool.map(wrapped, range(20))) == list(range(20))
    spans = exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1  # type: ignore[union-attr]
    assert len(spans) == 21


def test_client_explicit_spans_across_functions(exporter: InMemorySpanExporter) -> None:
    client = spanwise.Client()
    root = client.start_trace(
        "request", span_type=SpanType.AGENT, inputs={"q": "hi"}, tags={"env": "test"}
    )

    def on_tool_start() -> str:
        return (
            spanwise.Client()
            .start_span(
                "tool",
                trace_id=root.trace_id,
                parent_id=root.span_id,
                span_type="TOOL",
                inputs={"x": 1},
            )
            .span_id
        )

    tool_id = on_tool_start()
    child = client.start_span("child", trace_id=root.trace_id, parent_id=tool_id)
    client.end_span(root.trace_id, child.span_id, outputs="c", attributes={"a": 1})
    client.end_span(root.trace_id, tool_id, outputs={"y": 2}, status="ERROR")
    client.end_trace(root.trace_id, outputs={"answer": 42})

    trace = spanwise.get_trace(root.trace_id)
    assert trace is not None
    assert trace.info.tags == {"env": "test"}
    assert trace.info.state.value == "OK"
    spans = {s.name: s for s in trace.data.spans}
    assert spans["request"].parent_id is None
    assert spans["tool"].parent_id == spans["request"].span_id
    assert spans["child"].parent_id == spans["tool"].span_id
    assert spans["tool"].outputs == {"y": 2}
    assert spans["tool"].status.status_code.value == "ERROR"
    assert spans["child"].attributes["a"] == 1
    assert spans["request"].outputs == {"answer": 42}
    assert spans["request"].inputs == {"q": "hi"}


def test_client_unknown_ids_are_clear_errors(exporter: InMemorySpanExporter) -> None:
    client = spanwise.Client()
    root = client.start_trace("t")
    with pytest.raises(ValueError, match="Invalid trace_id 'nope'"):
        client.start_span("x", trace_id="nope", parent_id=root.span_id)
    with pytest.raises(ValueError, match="Unknown trace_id"):
        client.start_span("x", trace_id="tr-" + "f" * 32, parent_id=root.span_id)
    with pytest.raises(ValueError, match="Unknown parent_id"):
        client.start_span("x", trace_id=root.trace_id, parent_id="0" * 15 + "9")
    with pytest.raises(ValueError, match="Invalid span_id"):
        client.end_span(root.trace_id, "xyz")
    with pytest.raises(ValueError, match="Invalid span status"):
        client.end_trace(root.trace_id, status="FINE")
    client.end_trace(root.trace_id)  # the failed calls above changed nothing
    with pytest.raises(ValueError, match="Unknown trace_id"):
        client.end_trace(root.trace_id)  # already ended
    assert len(exporter.get_finished_spans()) == 1


def test_client_end_trace_ends_open_children_and_says_so(
    exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    client = spanwise.Client()
    root = client.start_trace("t")
    a = client.start_span("a", trace_id=root.trace_id, parent_id=root.span_id)
    client.start_span("b", trace_id=root.trace_id, parent_id=a.span_id)
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        client.end_trace(root.trace_id)
    assert "ended 2 span(s) that were still open: a" in caplog.text
    spans = spans_by_name(exporter.get_finished_spans())
    assert [s.name for s in exporter.get_finished_spans()] == ["b", "a", "t"]
    assert spans["a"].attributes["spanwise.span.auto_ended"] is True  # type: ignore[index]
    assert "spanwise.span.auto_ended" not in (spans["t"].attributes or {})
    trace = spanwise.get_trace(root.trace_id)
    assert trace is not None and len(trace.data.spans) == 3
