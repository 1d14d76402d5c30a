"""stream=True: LiteLLM's CustomStreamWrapper (sync and async), one ended span in every way
a stream can end, with what was received; usage, streamed tool calls, mid-stream errors."""

from __future__ import annotations

import gc
import json
from typing import Any

import litellm
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from fake_anthropic import TEXT as ANTHROPIC_TEXT
from fake_openai import TEXT

pytestmark = pytest.mark.usefixtures("autolog")

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
USAGE = {"include_usage": True}
# LiteLLM's streams have close()/aclose() and are context managers since after 1.60.
CLOSABLE = hasattr(litellm.CustomStreamWrapper, "close")
needs_close = pytest.mark.skipif(not CLOSABLE, reason="this LiteLLM's stream has no close()")


def _text(span: ReadableSpan) -> str:
    (message,) = json.loads(str((span.attributes or {})["gen_ai.output.messages"]))
    return "".join(p["content"] for p in message["parts"] if p["type"] == "text")


def _stream(args: dict[str, Any], model: str = "openai/gpt-4o-mini", **kwargs: Any) -> Any:
    return litellm.completion(model=model, messages=MESSAGES, stream=True, **args, **kwargs)


def test_stream_consumed_fully(exporter: InMemorySpanExporter, openai_args: dict[str, Any]) -> None:
    stream = _stream(openai_args, stream_options=USAGE)
    assert isinstance(stream, litellm.CustomStreamWrapper)  # LiteLLM's own class
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == TEXT
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(attrs)
    assert span.name == "chat gpt-4o-mini"
    assert _text(span) == TEXT
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.response.id"] == "chatcmpl-123"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[operator]


def test_anthropic_stream(exporter: InMemorySpanExporter, anthropic_args: dict[str, Any]) -> None:
    stream = _stream(anthropic_args, "anthropic/claude-x", max_tokens=64, stream_options=USAGE)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == ANTHROPIC_TEXT
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert _text(span) == ANTHROPIC_TEXT
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.usage.output_tokens"] == 9


@needs_close
def test_stream_in_a_with_block(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    with _stream(openai_args) as stream:
        first = next(iter(stream))
        assert first.choices[0].delta.role == "assistant"
        assert exporter.get_finished_spans() == ()  # still streaming
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "UNSET"


@pytest.mark.parametrize("how", ["break then del", "close", "abandoned"])
def test_stream_stopped_early(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any], how: str
) -> None:
    if how == "close" and not CLOSABLE:
        pytest.skip("this LiteLLM's stream has no close()")
    stream = _stream(openai_args, extra_body={"x_chunks": 10})
    received = ""
    for chunk in stream:
        received += chunk.choices[0].delta.content or ""
        if len(received) >= 10:
            break
    if how == "close":
        stream.close()
        assert len(exporter.get_finished_spans()) == 1
    if how != "abandoned":
        del stream, chunk
    else:
        stream = chunk = None
    gc.collect()
    (span,) = exporter.get_finished_spans()  # exactly one, ended
    assert span.end_time is not None
    assert _text(span) == received  # the content received so far


def test_streamed_tool_call_deltas(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    for _ in _stream(openai_args, "openai/tools"):
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


def test_two_choices_streamed(exporter: InMemorySpanExporter, openai_args: dict[str, Any]) -> None:
    texts: dict[int, str] = {}
    for chunk in _stream(openai_args, n=2):
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    (span,) = exporter.get_finished_spans()
    messages = json.loads(str((span.attributes or {})["gen_ai.output.messages"]))
    recorded = ["".join(p["content"] for p in m["parts"]) for m in messages]
    assert recorded == [texts[i] for i in sorted(texts)]  # what the app received, per choice
    assert recorded[0] == TEXT  # (LiteLLM 1.60 passes the first choice only)
    assert (span.attributes or {})["gen_ai.request.choice.count"] == 2


def test_error_mid_stream(exporter: InMemorySpanExporter, anthropic_args: dict[str, Any]) -> None:
    received = ""
    with pytest.raises(Exception) as raised:  # LiteLLM's class varies by version
        for chunk in _stream(anthropic_args, "anthropic/stream-error", max_tokens=64):
            received += chunk.choices[0].delta.content or ""
    assert received  # some text arrived before the error
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == type(raised.value).__name__
    assert _text(span) == received


def test_the_proxy_has_the_methods_the_stream_has(openai_args: dict[str, Any]) -> None:
    stream = _stream(openai_args)
    for name in ("close", "aclose", "__enter__", "__aenter__", "__next__", "__anext__"):
        assert hasattr(stream, name) == hasattr(litellm.CustomStreamWrapper, name), name
    if not CLOSABLE:
        with pytest.raises(AttributeError):
            stream.close()
    list(stream)


async def test_async_stream(exporter: InMemorySpanExporter, openai_args: dict[str, Any]) -> None:
    async def astream(**kwargs: Any) -> Any:
        return await litellm.acompletion(
            model="openai/m", messages=MESSAGES, stream=True, **openai_args, **kwargs
        )

    stream = await astream(stream_options=USAGE)
    assert isinstance(stream, litellm.CustomStreamWrapper)
    text = ""
    async for chunk in stream:
        text += chunk.choices[0].delta.content or "" if chunk.choices else ""
    assert text == TEXT
    (full,) = exporter.get_finished_spans()
    assert _text(full) == TEXT
    assert full.attributes["gen_ai.usage.output_tokens"] == 9  # type: ignore[index]


@needs_close
async def test_async_stream_closed_early(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    async def astream() -> Any:
        return await litellm.acompletion(
            model="openai/m", messages=MESSAGES, stream=True, **openai_args
        )

    async with await astream() as early:
        async for _ in early:
            break
    closed = await astream()
    await closed.__anext__()
    await closed.aclose()
    plain_close = await astream()
    await plain_close.__anext__()
    assert plain_close.close() is None  # LiteLLM's close() is a plain call, also here
    spans = exporter.get_finished_spans()
    assert len(spans) == 3
    for span in spans:
        assert span.end_time is not None and span.status.status_code.name == "UNSET"
