"""``spanwise.tracing.disable()`` / ``enable()`` (MLflow's ``mlflow.tracing.disable``):
a process-wide switch. While off, the manual API gives non-recording spans and
instrumented libraries run untraced; the application's code runs as usual."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise import SpanType

from fake_openai import CANARY_KEY, FakeOpenAI


@pytest.fixture(autouse=True)
def _tracing_back_on() -> Iterator[None]:
    yield
    spanwise.tracing.enable()  # a failing test must not leave the process untraced


@spanwise.trace(span_type=SpanType.TOOL)
def add(a: int, b: int) -> int:
    spanwise.update_current_trace(tags={"k": "v"})
    span = spanwise.get_current_active_span()
    if span is not None:
        span.set_attribute("x", 1)
    return a + b


@spanwise.trace
async def add_async(a: int, b: int) -> int:
    return a + b


@spanwise.trace
def count(n: int) -> Iterator[int]:
    yield from range(n)


def _names(exporter: InMemorySpanExporter) -> list[str]:
    return [s.name for s in exporter.get_finished_spans()]


def test_disable_then_enable_the_manual_api(
    exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    assert spanwise.tracing.is_tracing_enabled()
    assert add(1, 2) == 3
    before = spanwise.get_last_active_trace_id()
    assert _names(exporter) == ["add"]

    spanwise.tracing.disable()
    assert not spanwise.tracing.is_tracing_enabled()
    assert add(2, 3) == 5  # the function runs, untraced
    assert asyncio.run(add_async(1, 1)) == 2
    assert list(count(3)) == [0, 1, 2]
    with spanwise.start_span("block", span_type=SpanType.CHAIN) as span:
        span.set_inputs({"q": 1})
        span.set_outputs({"a": 2})
        assert not span.otel_span.is_recording()
    loose = spanwise.start_span_no_context("loose", tags={"k": "v"})
    loose.end()
    spanwise.log_trace("logged", request={"q": 1}, response="a", tags={"k": "v"})
    client = spanwise.Client()
    root = client.start_trace("request", inputs={"q": "hi"}, tags={"env": "prod"})
    child = client.start_span("tool", trace_id=root.trace_id, parent_id=root.span_id)
    client.end_span(root.trace_id, child.span_id, outputs={"y": 2})
    client.end_trace(root.trace_id, outputs={"answer": 42})
    second = client.start_trace("again")  # two inert traces at once: no clash
    client.end_trace(second.trace_id)
    assert _names(exporter) == ["add"]  # nothing recorded while off
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert spanwise.get_last_active_trace_id() == before

    spanwise.tracing.enable()
    assert add(3, 4) == 7
    assert _names(exporter) == ["add", "add"]
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    assert trace.info.tags == {"k": "v"}
    (span,) = trace.data.spans
    assert (span.span_type, span.inputs, span.outputs, span.attributes["x"]) == (
        "TOOL",
        {"a": 3, "b": 4},
        7,
        1,
    )


def test_the_switch_is_process_wide_and_spans_already_started_finish(
    exporter: InMemorySpanExporter,
) -> None:
    with spanwise.start_span("outer") as outer:
        spanwise.tracing.disable()  # mid-trace: what started goes on
        outer.set_outputs("done")
        done = threading.Event()
        results: list[int] = []

        def other_thread() -> None:
            results.append(add(5, 5))
            done.set()

        threading.Thread(target=other_thread).start()
        assert done.wait(10)
    assert results == [10]
    assert _names(exporter) == ["outer"]  # the thread's call, after disable(): untraced
    trace = spanwise.get_trace(outer.trace_id)
    assert trace.data.spans[0].outputs == "done"


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def test_instrumented_libraries_are_called_untraced_while_off(
    exporter: InMemorySpanExporter, fake_server: FakeOpenAI
) -> None:
    openai = pytest.importorskip("openai")
    spanwise.openai.autolog()
    try:
        client: Any = openai.OpenAI(
            base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0
        )

        def ask() -> str:
            response = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
            return str(response.choices[0].message.content)

        spanwise.tracing.disable()
        answer = ask()
        assert answer  # the application gets its answer
        assert _names(exporter) == []
        spanwise.tracing.enable()
        assert ask() == answer
        assert _names(exporter) == ["chat gpt-4o-mini"]
    finally:
        spanwise.openai.autolog(disable=True)
