"""stream=True: one ended span in every way a stream can end, with what was received,
the usage from Groq's ``x_groq`` extension, and streamed tool calls."""

from __future__ import annotations

import gc
import json
from typing import Any

import groq
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from fake_openai import TEXT

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]


def _text(span: ReadableSpan) -> str:
    (message,) = json.loads(str((span.attributes or {})["gen_ai.output.messages"]))
    return "".join(p["content"] for p in message["parts"] if p["type"] == "text")


def test_stream_consumed_fully(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = client.chat.completions.create(model="llama", messages=MESSAGES, stream=True)
    assert isinstance(stream, groq.Stream)  # the SDK's own class, behind the proxy
    chunks = list(stream)
    extension = chunks[-1].x_groq  # Groq's place for a stream's usage (a dict before 0.5)
    usage = extension["usage"] if isinstance(extension, dict) else extension.usage
    assert (usage["prompt_tokens"] if isinstance(usage, dict) else usage.prompt_tokens) == 12
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == TEXT
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(attrs)
    assert _text(span) == TEXT
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.provider.name"] == "groq"
    assert attrs["gen_ai.response.id"] == "chatcmpl-123"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[operator]


def test_stream_in_a_with_block(client: Any, exporter: InMemorySpanExporter) -> None:
    with client.chat.completions.create(model="llama", messages=MESSAGES, stream=True) as stream:
        first = next(iter(stream))
        assert first.choices[0].delta.role == "assistant"
        assert exporter.get_finished_spans() == ()  # still streaming
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "UNSET"


@pytest.mark.parametrize("how", ["break then del", "close", "abandoned"])
def test_stream_stopped_early(client: Any, exporter: InMemorySpanExporter, how: str) -> None:
    stream = client.chat.completions.create(
        model="llama", messages=MESSAGES, stream=True, extra_body={"x_chunks": 10}
    )
    received = ""
    for chunk in stream:
        received += chunk.choices[0].delta.content or ""
        if len(received) >= 10:
            break
    if how == "close":
        stream.close()
        assert len(exporter.get_finished_spans()) == 1
    del stream, chunk
    gc.collect()
    (span,) = exporter.get_finished_spans()  # exactly one, ended
    assert span.end_time is not None
    assert _text(span) == received  # the content received so far
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})  # never reached


def test_streamed_tool_call_deltas(client: Any, exporter: InMemorySpanExporter) -> None:
    for _ in client.chat.completions.create(model="tools", messages=MESSAGES, stream=True):
        pass
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(attrs)
    (message,) = json.loads(str(attrs["gen_ai.output.messages"]))
    assert message["finish_reason"] == "tool_calls"
    assert message["parts"] == [
        {
            "type": "tool_call",
            "name": "get_weather",
            "id": "call_1",
            "arguments": {"city": "Paris"},
        },
        {"type": "tool_call", "name": "get_time", "id": "call_2", "arguments": {"tz": "CET"}},
    ]
    assert attrs["gen_ai.usage.output_tokens"] == 9


def test_raw_response_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="llama", messages=MESSAGES, stream=True
    )
    assert exporter.get_finished_spans() == ()  # the stream has not been read yet
    stream = raw.parse()
    assert isinstance(stream, groq.Stream)
    assert "".join(c.choices[0].delta.content or "" for c in stream) == TEXT
    (span,) = exporter.get_finished_spans()
    assert _text(span) == TEXT
    assert (span.attributes or {})["gen_ai.usage.input_tokens"] == 12


async def test_async_stream(async_client: Any, exporter: InMemorySpanExporter) -> None:
    stream = await async_client.chat.completions.create(
        model="llama", messages=MESSAGES, stream=True
    )
    assert isinstance(stream, groq.AsyncStream)
    text = ""
    async for chunk in stream:
        text += chunk.choices[0].delta.content or ""
    assert text == TEXT
    async with await async_client.chat.completions.create(
        model="llama", messages=MESSAGES, stream=True
    ) as early:
        async for _ in early:
            break
    closed = await async_client.chat.completions.create(
        model="llama", messages=MESSAGES, stream=True
    )
    await closed.__anext__()
    await closed.close()
    full, in_with, after_close = exporter.get_finished_spans()
    assert _text(full) == TEXT and full.attributes["gen_ai.usage.output_tokens"] == 9  # type: ignore[index]
    assert in_with.end_time is not None and after_close.end_time is not None


def test_dict_chunks_carry_x_groq_usage(exporter: InMemorySpanExporter) -> None:
    """Chunks as plain dicts (a proxy's raw JSON) reach the same usage."""
    from opentelemetry import trace

    from spanwise.instrumentations._invocation import Settings
    from spanwise.instrumentations.groq._patch import CHAT

    settings = Settings(tracer=trace.get_tracer("t"), explicit=True)
    call = CHAT.start(settings, None, (), {"model": "m", "messages": MESSAGES, "stream": True})
    assert call is not None
    handler = CHAT.stream_handler(call)
    base = {"id": "c1", "model": "m"}
    handler.process_chunk({**base, "choices": [{"index": 0, "delta": {"content": "hi"}}]})
    usage = {"prompt_tokens": 3, "completion_tokens": 1}
    last = {"index": 0, "delta": {}, "finish_reason": "stop"}
    handler.process_chunk({**base, "choices": [last], "x_groq": {"usage": usage}})
    handler.finish()
    (span,) = exporter.get_finished_spans()
    assert (span.attributes or {})["gen_ai.usage.input_tokens"] == 3
    assert _text(span) == "hi"
