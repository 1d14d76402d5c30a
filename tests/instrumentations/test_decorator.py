"""@spanwise.trace on functions, methods, coroutines, builtins."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.entities import SpanType

from _support import loads, span_dict, spans_by_name


def test_sync_function_whole_span(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert add(1) == 3
    (span,) = exporter.get_finished_spans()
    assert span_dict(span) == {
        "name": "add",
        "kind": "INTERNAL",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "OK",
        "attributes": {
            "spanwise.span.type": "UNKNOWN",
            "spanwise.span.inputs": '{"a":1,"b":2}',
            "spanwise.span.outputs": "3",
        },
    }
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "spanwise"
    assert span.instrumentation_scope.schema_url == "https://opentelemetry.io/schemas/1.41.0"


def test_name_type_and_static_attributes(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace(name="lookup", span_type="MY_TYPE", attributes={"team": "x", "cfg": {"k": [1]}})
    def f() -> None:
        return None

    f()
    attrs = dict(exporter.get_finished_spans()[0].attributes or {})
    assert exporter.get_finished_spans()[0].name == "lookup"
    assert attrs["spanwise.span.type"] == "MY_TYPE"
    assert attrs["team"] == "x"
    assert loads(attrs["cfg"]) == {"k": [1]}  # non-primitive attribute values become JSON
    assert attrs["spanwise.span.outputs"] == "null"


def test_tool_span_carries_genai_tool_attributes(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace(span_type=SpanType.TOOL)
    def get_weather(city: str) -> dict[str, Any]:
        return {"city": city, "temp_c": 21}

    get_weather("Paris")
    attrs = dict(exporter.get_finished_spans()[0].attributes or {})
    assert attrs == {
        "spanwise.span.type": "TOOL",
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}',
        "gen_ai.tool.call.result": '{"city":"Paris","temp_c":21}',
    }
    # The model reads the arguments/result back as the span's inputs/outputs.
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    assert trace is not None
    (model_span,) = trace.data.spans
    assert model_span.span_type == "TOOL"
    assert model_span.inputs == {"city": "Paris"}
    assert model_span.outputs == {"city": "Paris", "temp_c": 21}


@pytest.mark.parametrize(
    ("span_type", "operation", "extra"),
    [
        (SpanType.AGENT, "invoke_agent", {"gen_ai.agent.name": "step"}),
        (SpanType.EMBEDDING, "embeddings", {}),
        (SpanType.RETRIEVER, "retrieval", {}),
        (SpanType.CHAT_MODEL, "chat", {}),
        (SpanType.LLM, "chat", {}),
        (SpanType.WORKFLOW, "invoke_workflow", {}),
        (SpanType.CHAIN, None, {}),
        (SpanType.PARSER, None, {}),
    ],
)
def test_span_type_maps_to_genai_operation(
    exporter: InMemorySpanExporter,
    span_type: SpanType,
    operation: str | None,
    extra: dict[str, str],
) -> None:
    @spanwise.trace(span_type=span_type)
    def step(x: int) -> int:
        return x

    step(1)
    attrs = dict(exporter.get_finished_spans()[0].attributes or {})
    assert attrs.get("gen_ai.operation.name") == operation
    assert attrs["spanwise.span.type"] == span_type.value
    for key, value in extra.items():
        assert attrs[key] == value


def test_methods_drop_self_and_cls(exporter: InMemorySpanExporter) -> None:
    class Agent:
        @spanwise.trace
        def run(self, q: str, k: int = 3) -> str:
            return q * k

        @spanwise.trace
        @classmethod
        def make(cls, name: str) -> str:
            return name

        @spanwise.trace
        @staticmethod
        def helper(x: int) -> int:
            return x + 1

    assert Agent().run("a") == "aaa"
    assert Agent.make("n") == "n"
    assert Agent.helper(1) == 2
    spans = spans_by_name(exporter.get_finished_spans())
    assert loads(spans["run"].attributes["spanwise.span.inputs"]) == {"q": "a", "k": 3}  # type: ignore[index]
    assert loads(spans["make"].attributes["spanwise.span.inputs"]) == {"name": "n"}  # type: ignore[index]
    assert loads(spans["helper"].attributes["spanwise.span.inputs"]) == {"x": 1}  # type: ignore[index]


def test_varargs_and_kwargs_are_bound(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def f(a: int, *rest: int, flag: bool = False, **extra: Any) -> int:
        return a + sum(rest)

    assert f(1, 2, 3, flag=True, z=9) == 6
    inputs = loads(exporter.get_finished_spans()[0].attributes["spanwise.span.inputs"])  # type: ignore[index]
    assert inputs == {"a": 1, "rest": [2, 3], "flag": True, "extra": {"z": 9}}


def test_wrapping_a_builtin_keeps_results_and_errors(exporter: InMemorySpanExporter) -> None:
    traced_pow = spanwise.trace(math.pow)
    assert traced_pow(2, 10) == 1024.0
    with pytest.raises(TypeError) as info:
        traced_pow("x", 2)
    with pytest.raises(TypeError) as plain:
        math.pow("x", 2)  # type: ignore[arg-type]
    assert str(info.value) == str(plain.value)
    ok, failed = exporter.get_finished_spans()
    assert ok.name == "pow"
    assert loads(ok.attributes["spanwise.span.inputs"]) == {"x": 2, "y": 10}  # type: ignore[index]
    assert ok.attributes["spanwise.span.outputs"] == "1024.0"  # type: ignore[index]
    assert failed.status.status_code.name == "ERROR"


def test_exception_is_recorded_and_reraised_unchanged(exporter: InMemorySpanExporter) -> None:
    error = ValueError("bad input")

    @spanwise.trace
    def fail() -> None:
        raise error

    with pytest.raises(ValueError) as info:
        fail()
    assert info.value is error
    (span,) = exporter.get_finished_spans()
    snapshot = span_dict(span)
    stacktrace = snapshot["events"][0]["attributes"].pop("exception.stacktrace")
    assert "raise error" in stacktrace
    assert snapshot == {
        "name": "fail",
        "kind": "INTERNAL",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "ERROR",
        "status_description": "ValueError: bad input",
        "attributes": {
            "spanwise.span.type": "UNKNOWN",
            "spanwise.span.inputs": "{}",
            "error.type": "ValueError",
        },
        "events": [
            {
                "name": "exception",
                "attributes": {
                    "exception.type": "ValueError",
                    "exception.message": "bad input",
                    "exception.escaped": "False",
                },
            }
        ],
    }
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    assert trace is not None
    assert trace.info.state.value == "ERROR"


def test_keyboard_interrupt_ends_span_as_error(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert span.status.description == "KeyboardInterrupt: "
    assert span.events[0].name == "exception"


async def test_async_function_and_cancellation(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    async def answer(q: str) -> str:
        await asyncio.sleep(0)
        return q.upper()

    @spanwise.trace
    async def slow() -> None:
        await asyncio.sleep(10)

    assert await answer("hi") == "HI"
    task = asyncio.ensure_future(slow())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    spans = spans_by_name(exporter.get_finished_spans())
    assert spans["answer"].attributes["spanwise.span.outputs"] == '"HI"'  # type: ignore[index]
    assert spans["answer"].status.status_code.name == "OK"
    assert spans["slow"].status.status_code.name == "ERROR"
    assert spans["slow"].status.description is not None
    assert spans["slow"].status.description.startswith("CancelledError")
    assert spanwise.trace(answer).__name__ == "answer"
    assert asyncio.iscoroutinefunction(answer)


def test_nesting_with_other_opentelemetry_instrumentation(exporter: InMemorySpanExporter) -> None:
    other = otel_trace.get_tracer("some.other.library")

    @spanwise.trace
    def inner() -> int:
        with other.start_as_current_span("db.query"):
            return 1

    with other.start_as_current_span("http.request"):
        inner()
    spans = spans_by_name(exporter.get_finished_spans())
    assert spans["inner"].parent is not None
    assert spans["inner"].parent.span_id == spans["http.request"].context.span_id  # type: ignore[union-attr]
    assert spans["db.query"].parent.span_id == spans["inner"].context.span_id  # type: ignore[union-attr]
    assert len({s.context.trace_id for s in spans.values()}) == 1  # type: ignore[union-attr]


def test_non_serializable_and_oversized_values(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPANWISE_MAX_CONTENT_BYTES", "1000")

    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque thing>"

    @spanwise.trace
    def f(obj: object, text: str) -> object:
        return {1, 2}

    f(Opaque(), "x" * 5000)
    attrs = exporter.get_finished_spans()[0].attributes or {}
    inputs = loads(attrs["spanwise.span.inputs"])
    assert inputs["obj"] == "<Opaque thing>"
    assert "...[truncated" in inputs["text"]
    assert len(str(attrs["spanwise.span.inputs"]).encode()) <= 1000
    assert loads(attrs["spanwise.span.outputs"]) == [1, 2]


@pytest.mark.parametrize("value", ["false", "NO_CONTENT", "EVENT_ONLY", "0"])
def test_content_capture_off_is_a_hard_off(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", value)

    @spanwise.trace(span_type=SpanType.TOOL)
    def tool(secret: str) -> str:
        return secret

    @spanwise.trace
    def gen() -> Any:
        yield "item-secret"

    tool("prompt-secret")
    list(gen())
    with spanwise.start_span("manual") as span:
        span.set_inputs("input-secret")
        span.set_outputs("output-secret")
    spanwise.Client().end_trace(
        spanwise.Client().start_trace("client", inputs="client-secret").trace_id, outputs="o-secret"
    )
    dumped = repr([span_dict(s) for s in exporter.get_finished_spans()])
    assert "secret" not in dumped
    assert "gen_ai.tool.name" in dumped  # metadata is still there


def test_output_reducer_only_for_generators() -> None:
    with pytest.raises(ValueError, match="generator functions only"):

        @spanwise.trace(output_reducer=lambda items: items)
        def f() -> None: ...


def test_internal_error_never_breaks_the_call(
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.common import _safety
    from spanwise.instrumentations.manual import _run

    def broken_tracer() -> Any:
        raise RuntimeError("spanwise bug")

    monkeypatch.setattr(_run, "get_tracer", broken_tracer)
    monkeypatch.setattr(_safety, "_seen", set())

    @spanwise.trace
    def f(x: int) -> int:
        return x * 2

    # Under tests internal errors are loud...
    with pytest.raises(RuntimeError, match="spanwise bug"):
        f(1)
    # ...in an application they are logged once and the call proceeds untraced.
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    assert f(2) == 4
    assert f(3) == 6
    warnings = [r for r in caplog.records if "internal error in span start" in r.getMessage()]
    assert len(warnings) == 1
    assert exporter.get_finished_spans() == ()
