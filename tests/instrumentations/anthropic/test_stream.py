"""Streams: ``create(stream=True)`` and the ``messages.stream()`` helper end their span once,
however they end, with what was received."""

from __future__ import annotations

import gc
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads
from fake_anthropic import TEXT, THINKING, TOOL_USE_ID

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
TOOLS = [
    {
        "name": "get_weather",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]


def _span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def _parts(span: ReadableSpan) -> list[dict[str, Any]]:
    (message,) = loads((span.attributes or {})["gen_ai.output.messages"])
    return message["parts"]


def _text(span: ReadableSpan) -> str:
    return "".join(p["content"] for p in _parts(span) if p["type"] == "text")


def _create(client: Any, **kwargs: Any) -> Any:
    return client.messages.create(
        **{"model": "claude-x", "max_tokens": 64, "messages": MESSAGES, "stream": True, **kwargs}
    )


def test_stream_consumed_fully(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _create(client)
    # The SDK's own class, behind the proxy (isinstance holds too, except on older SDKs
    # whose Stream metaclass answers isinstance() for its own MessageStream only).
    assert stream.__class__ is anthropic.Stream
    text = "".join(
        e.delta.text
        for e in stream
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == TEXT
    attrs = _span(exporter).attributes or {}
    assert _text(_span(exporter)) == TEXT
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "msg_01FakeAnthropicMessage01"
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 19
    assert attrs["gen_ai.usage.output_tokens"] == 9  # message_delta's count wins
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[operator]


def test_streamed_tool_use_arguments_are_assembled(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    list(_create(client, tools=TOOLS))
    assert _parts(_span(exporter)) == [
        {
            "type": "tool_call",
            "name": "get_weather",
            "id": TOOL_USE_ID,
            "arguments": {"city": "Paris"},
        }
    ]


def test_streamed_thinking(client: Any, exporter: InMemorySpanExporter) -> None:
    list(_create(client, model="thinking"))
    assert _parts(_span(exporter)) == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": TEXT},
    ]


def test_stream_left_early_in_a_with_block(client: Any, exporter: InMemorySpanExporter) -> None:
    with _create(client, extra_body={"x_chunks": 20}) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                break
        assert exporter.get_finished_spans() == ()  # still open
    span = _span(exporter)
    assert span.status.status_code.name == "UNSET"
    assert 0 < len(_text(span)) < len(TEXT)  # what arrived
    assert (span.attributes or {})["gen_ai.response.id"] == "msg_01FakeAnthropicMessage01"


def test_stream_closed_early(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _create(client)
    next(iter(stream))
    stream.close()
    stream.close()  # twice: still one span
    assert len(exporter.get_finished_spans()) == 1


def test_abandoned_stream_ends_when_collected(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _create(client)
    next(iter(stream))
    del stream
    gc.collect()
    assert len(exporter.get_finished_spans()) == 1


def test_error_mid_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as raised:
        for event in _create(client, model="stream-error"):
            if event.type == "content_block_delta":
                received.append(event.delta.text)
    span = _span(exporter)
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == type(raised.value).__qualname__
    assert _text(span) == "".join(received)  # what arrived before the error


def test_raw_response_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.messages.with_raw_response.create(
        model="claude-x", max_tokens=64, messages=MESSAGES, stream=True
    )
    assert raw.headers["request-id"]
    list(raw.parse())
    assert _text(_span(exporter)) == TEXT


# -- the messages.stream() helper -------------------------------------------------------------


def _helper(client: Any, **kwargs: Any) -> Any:
    return client.messages.stream(
        **{"model": "claude-x", "max_tokens": 64, "messages": MESSAGES, **kwargs}
    )


def test_helper_text_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    with _helper(client) as stream:
        assert "".join(stream.text_stream) == TEXT
    span = _span(exporter)
    assert _text(span) == TEXT
    assert (span.attributes or {})["gen_ai.usage.output_tokens"] == 9
    assert span.name == "chat claude-x"


def test_helper_get_final_message(client: Any, exporter: InMemorySpanExporter) -> None:
    with _helper(client, tools=TOOLS) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "tool_use"
    assert _parts(_span(exporter))[0]["arguments"] == {"city": "Paris"}


def test_helper_until_done_and_iteration(client: Any, exporter: InMemorySpanExporter) -> None:
    with _helper(client) as stream:
        stream.until_done()
    with _helper(client) as stream:
        kinds = {event.type for event in stream}
    assert "message_stop" in kinds
    first, second = exporter.get_finished_spans()
    assert _text(first) == _text(second) == TEXT


def test_helper_left_early(client: Any, exporter: InMemorySpanExporter) -> None:
    with _helper(client, extra_body={"x_chunks": 20}) as stream:
        next(iter(stream.text_stream))
        assert exporter.get_finished_spans() == ()
    span = _span(exporter)
    assert 0 < len(_text(span)) < len(TEXT)


def test_helper_request_fails(client: Any, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(anthropic.InternalServerError), _helper(client, model="error-500"):
        pytest.fail("not reached: the request fails on entering")
    span = _span(exporter)
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "InternalServerError"


def test_helper_never_entered(client: Any, exporter: InMemorySpanExporter) -> None:
    manager = _helper(client)
    del manager
    gc.collect()
    span = _span(exporter)  # ended, nothing received
    assert "gen_ai.output.messages" not in (span.attributes or {})


async def test_async_stream(async_client: Any, exporter: InMemorySpanExporter) -> None:
    stream = await _create(async_client)
    assert stream.__class__ is anthropic.AsyncStream
    async for _ in stream:
        pass
    assert _text(_span(exporter)) == TEXT


async def test_async_stream_closed_early(async_client: Any, exporter: InMemorySpanExporter) -> None:
    stream = await _create(async_client)
    await stream.__anext__()
    await stream.close()
    assert len(exporter.get_finished_spans()) == 1


async def test_async_helper(async_client: Any, exporter: InMemorySpanExporter) -> None:
    async with _helper(async_client) as stream:
        pieces = [text async for text in stream.text_stream]
        message = await stream.get_final_message()
    assert "".join(pieces) == TEXT
    assert message.content[0].text == TEXT
    assert _text(_span(exporter)) == TEXT


async def test_async_helper_request_fails(
    async_client: Any, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(anthropic.RateLimitError):
        async with _helper(async_client, model="error-429"):
            pytest.fail("not reached")
    assert _span(exporter).status.status_code.name == "ERROR"


# -- found by review: async raw responses, a failing record, managers dropped or failing --


async def test_async_raw_and_streaming_responses(
    async_client: Any, exporter: InMemorySpanExporter
) -> None:
    raw = await async_client.messages.with_raw_response.create(
        model="claude-x", max_tokens=64, messages=MESSAGES
    )
    message = raw.parse()
    if hasattr(message, "__await__"):  # anthropic 2.x: a coroutine
        message = await message
    async with async_client.messages.with_streaming_response.create(
        model="claude-x", max_tokens=64, messages=MESSAGES, stream=True
    ) as response:
        stream = await response.parse()
        kinds = [event.type async for event in stream]
    assert "message_stop" in kinds
    plain, streamed = exporter.get_finished_spans()
    assert (plain.attributes or {})["gen_ai.response.id"] == message.id
    assert _text(plain) == _text(streamed) == TEXT


def test_a_failing_record_still_ends_the_span(
    client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.instrumentations.anthropic import _extract

    monkeypatch.delenv("SPANWISE_RAISE_INTERNAL_ERRORS")  # as in production

    def broken(message: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_extract, "response_attributes", broken)
    list(_create(client))
    with _helper(client) as stream:
        stream.until_done()
    with pytest.raises(anthropic.APIStatusError):
        list(_create(client, model="stream-error"))
    ok, helper, failed = exporter.get_finished_spans()
    assert ok.status.status_code.name == helper.status.status_code.name == "UNSET"
    assert failed.status.status_code.name == "ERROR"


def test_helper_manager_dropped_after_enter(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _helper(client).__enter__()  # the manager itself is collected at once
    gc.collect()
    assert exporter.get_finished_spans() == ()  # not ended before anything was read
    assert "".join(stream.text_stream) == TEXT
    assert _text(_span(exporter)) == TEXT


def test_an_error_inside_the_helper_block_is_recorded(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(KeyError), _helper(client) as stream:
        next(iter(stream.text_stream))
        raise KeyError("the caller's bug")
    span = _span(exporter)
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "KeyError"
