"""TraceAssembler: spans grouped by trace, whole traces handed to the sink once."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from spanwise.exporter._assembler import TraceAssembler


def _setup() -> tuple[TraceAssembler, list[list[str]], trace.Tracer]:
    received: list[list[str]] = []

    def sink(spans: Sequence[ReadableSpan]) -> None:
        received.append([s.name for s in spans])

    assembler = TraceAssembler(sink, max_traces=2)
    provider = TracerProvider()
    provider.add_span_processor(assembler)
    return assembler, received, provider.get_tracer("test")


def test_a_lone_span_is_a_finished_trace() -> None:
    assembler, received, tracer = _setup()
    span = tracer.start_span("chat")
    span.end()
    trace_id = span.get_span_context().trace_id
    assert received == [["chat"]]
    assert assembler.last_trace_id() == trace_id
    assert assembler.last_trace_id(thread_local=True) == trace_id
    got = assembler.get_trace(trace_id)
    assert got is not None and [s.name for s in got.data.spans] == ["chat"]
    assert assembler.local_root(trace_id) is None


def test_children_wait_for_their_root_and_late_spans_resend_the_trace() -> None:
    assembler, received, tracer = _setup()
    root = tracer.start_span("agent")
    context = trace.set_span_in_context(root)
    trace_id = root.get_span_context().trace_id
    assert assembler.local_root(trace_id) is root
    early = tracer.start_span("chat", context=context)
    late = tracer.start_span("tool", context=context)
    early.end()
    assert received == []  # the trace is open until its root ends
    root.end()
    assert received == [["chat", "agent"]]
    late.end()  # outlived its root: the trace is handed over again, whole
    assert received[-1] == ["chat", "agent", "tool"]
    got = assembler.get_trace(trace_id)
    assert got is not None and len(got.data.spans) == 3


def test_late_span_after_a_lone_span_trace() -> None:
    assembler, received, tracer = _setup()
    root = tracer.start_span("chat")
    child = tracer.start_span("http", context=trace.set_span_in_context(root))
    root.end()
    child.end()
    assert received == [["chat"], ["chat", "http"]]
    got = assembler.get_trace(root.get_span_context().trace_id)
    assert got is not None and {s.name for s in got.data.spans} == {"chat", "http"}


def test_only_the_last_traces_are_kept() -> None:
    assembler, _, tracer = _setup()
    ids: list[int] = []
    for name in ("a", "b", "c"):
        span = tracer.start_span(name)
        span.end()
        ids.append(span.get_span_context().trace_id)
    assert assembler.get_trace(ids[0]) is None
    assert [t.data.spans[0].name for t in assembler.finished_traces()] == ["b", "c"]
