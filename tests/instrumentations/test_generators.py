"""@spanwise.trace on generators and async generators: the span's whole life."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

from _support import loads, spans_by_name


def _current_span_name() -> str:
    return str(getattr(otel_trace.get_current_span(), "name", None))


def test_generator_exhausted(exporter: InMemorySpanExporter) -> None:
    seen_inside: list[str] = []

    @spanwise.trace
    def count(n: int) -> Iterator[int]:
        for i in range(n):
            seen_inside.append(_current_span_name())
            yield i

    gen = count(3)
    assert exporter.get_finished_spans() == ()  # nothing starts before the first step
    with spanwise.start_span("consumer"):
        first = next(gen)
        seen_between = _current_span_name()
        rest = list(gen)
    assert [first, *rest] == [0, 1, 2]
    assert seen_inside == ["count"] * 3  # current while the body runs...
    assert seen_between == "consumer"  # ...and only then
    spans = spans_by_name(exporter.get_finished_spans())
    span = spans["count"]
    assert span.status.status_code.name == "OK"
    assert loads(span.attributes["spanwise.span.outputs"]) == [0, 1, 2]  # type: ignore[index]
    assert [(e.name, dict(e.attributes or {})) for e in span.events] == [
        (
            "spanwise.stream.item",
            {"spanwise.stream.item.index": i, "spanwise.stream.item.value": str(i)},
        )
        for i in range(3)
    ]
    assert span.parent is not None and span.parent.span_id == spans["consumer"].context.span_id  # type: ignore[union-attr]


def test_generator_output_reducer_and_return_value(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace(output_reducer="".join)
    def words() -> Iterator[str]:
        yield "he"
        yield "llo"
        return "done"

    def drive() -> Iterator[str]:
        result = yield from words()
        yield f"returned {result}"

    assert list(drive()) == ["he", "llo", "returned done"]
    (span,) = exporter.get_finished_spans()
    assert span.attributes["spanwise.span.outputs"] == '"hello"'  # type: ignore[index]


def test_generator_error_and_early_stops(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("mid-stream")

    @spanwise.trace
    def endless(tag: str) -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    with pytest.raises(RuntimeError, match="mid-stream"):
        list(failing())

    for _ in endless("break"):
        break  # abandoned by the loop: collected below
    closed = endless("close")
    next(closed)
    next(closed)
    closed.close()
    abandoned = endless("gc")
    next(abandoned)
    del abandoned
    gc.collect()

    spans = exporter.get_finished_spans()
    by_tag = {loads(s.attributes["spanwise.span.inputs"]).get("tag"): s for s in spans}  # type: ignore[index]
    fail = by_tag[None]
    assert fail.status.status_code.name == "ERROR"
    assert fail.status.description == "RuntimeError: mid-stream"
    assert loads(fail.attributes["spanwise.span.inputs"]) == {}  # type: ignore[index]
    for tag, items in (("break", [0]), ("close", [0, 1]), ("gc", [0])):
        span = by_tag[tag]
        assert span.status.status_code.name == "OK", tag  # stopping early is not an error
        assert loads(span.attributes["spanwise.span.outputs"]) == items, tag  # type: ignore[index]
    assert len(spans) == 4  # each span ended exactly once


def test_generator_send_and_throw_pass_through(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def echo() -> Iterator[Any]:
        received = yield "ready"
        while True:
            try:
                received = yield f"got {received}"
            except KeyError:
                received = "recovered"

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send("a") == "got a"
    assert gen.throw(KeyError("k")) == "got recovered"
    gen.close()
    (span,) = exporter.get_finished_spans()
    assert loads(span.attributes["spanwise.span.outputs"]) == ["ready", "got a", "got recovered"]  # type: ignore[index]


async def test_async_generator_lifecycle(exporter: InMemorySpanExporter) -> None:
    inside: list[str] = []

    @spanwise.trace
    async def stream(n: int) -> AsyncIterator[int]:
        for i in range(n):
            inside.append(_current_span_name())
            await asyncio.sleep(0)
            yield i

    @spanwise.trace
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise ValueError("async boom")

    assert [i async for i in stream(3)] == [0, 1, 2]
    partial = stream(10)
    assert await partial.__anext__() == 0
    await partial.aclose()
    with pytest.raises(ValueError, match="async boom"):
        async for _ in failing():
            pass

    spans = exporter.get_finished_spans()
    assert inside == ["stream"] * 4
    full, early, failed = spans
    assert loads(full.attributes["spanwise.span.outputs"]) == [0, 1, 2]  # type: ignore[index]
    assert len(full.events) == 3
    assert early.status.status_code.name == "OK"
    assert loads(early.attributes["spanwise.span.outputs"]) == [0]  # type: ignore[index]
    assert failed.status.status_code.name == "ERROR"


def test_abandoned_async_generator_ends_its_span(exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    async def stream(tag: str) -> AsyncIterator[int]:
        for i in range(100):
            yield i

    async def main() -> None:
        agen = stream("running loop")
        await agen.__anext__()
        del agen  # asyncio's async-generator hooks schedule its aclose()
        await asyncio.sleep(0.01)
        # Abandoned while the loop shuts down: asyncio.run cancels the pending aclose().
        late = stream("shutdown")
        await late.__anext__()
        del late

    asyncio.run(main())
    gc.collect()
    spans = exporter.get_finished_spans()
    assert len(spans) == 2  # each ended exactly once
    by_tag = {loads(s.attributes["spanwise.span.inputs"])["tag"]: s for s in spans}  # type: ignore[index]
    closed = by_tag["running loop"]
    assert closed.status.status_code.name == "OK"
    assert loads(closed.attributes["spanwise.span.outputs"]) == [0]  # type: ignore[index]
    cancelled = by_tag["shutdown"]
    assert cancelled.end_time is not None
    if cancelled.status.status_code.name == "ERROR":  # cancellation is said, not hidden
        assert (cancelled.status.description or "").startswith("CancelledError")
