"""chat.stream / stream_async: the span ends once, however the stream ends, with what
was received."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _support import loads
from chat_contract import MESSAGES, only_span, output_text
from fake_mistral import RESPONSE_ID, TEXT, THINKING, TOOL_CALL_ID

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _parts(span: ReadableSpan) -> list[dict[str, Any]]:
    (message,) = loads((span.attributes or {})["gen_ai.output.messages"])
    return message["parts"]


def _stream(client: Any, **kwargs: Any) -> Any:
    return client.chat.stream(**{"model": "mistral-small", "messages": MESSAGES, **kwargs})


def _deltaoutput_text(event: Any) -> str:
    content = event.data.choices[0].delta.content
    return content if isinstance(content, str) else ""


def test_stream_consumed_fully(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client)
    # The SDK's own class, behind the proxy (a generator in SDKs before EventStream).
    assert stream.__class__.__name__ in ("EventStream", "generator")
    assert "".join(_deltaoutput_text(event) for event in stream) == TEXT
    span = only_span(exporter)
    attrs = span.attributes or {}
    assert span.name == "chat mistral-small"
    assert output_text(span) == TEXT
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == RESPONSE_ID
    assert attrs["gen_ai.response.model"] == "mistral-small"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[operator]


def test_streamed_tool_calls(client: Any, exporter: InMemorySpanExporter) -> None:
    list(_stream(client, tools=TOOLS))
    span = only_span(exporter)
    assert _parts(span) == [
        {
            "type": "tool_call",
            "name": "get_weather",
            "id": TOOL_CALL_ID,
            "arguments": {"city": "Paris"},
        }
    ]
    (message,) = loads((span.attributes or {})["gen_ai.output.messages"])
    assert message["finish_reason"] == "tool_call"
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("tool_calls",)


def test_streamed_thinking(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    if not hasattr(sdk.models, "ThinkChunk"):
        pytest.skip("this mistralai cannot read thinking chunks")
    list(_stream(client, model="magistral"))
    assert _parts(only_span(exporter)) == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": TEXT},
    ]


def test_stream_left_early_in_a_with_block(client: Any, exporter: InMemorySpanExporter) -> None:
    received = ""
    with _stream(client) as stream:
        for event in stream:
            received += _deltaoutput_text(event)
            if received:
                break
        assert exporter.get_finished_spans() == ()  # still open
    span = only_span(exporter)
    assert span.status.status_code.name == "UNSET"
    assert output_text(span) == received
    assert 0 < len(received) < len(TEXT)
    assert (span.attributes or {})["gen_ai.response.id"] == RESPONSE_ID


def test_stream_closed_early(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client)
    if not hasattr(stream.__wrapped__, "close"):
        list(stream)  # ended here, not when collected in a later test
        pytest.skip("this mistralai's EventStream has no close()")
    next(stream)
    stream.close()
    stream.close()  # twice: still one span
    assert len(exporter.get_finished_spans()) == 1


def test_abandoned_stream_ends_when_collected(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client)
    next(stream)
    next(stream)
    del stream
    gc.collect()
    span = only_span(exporter)
    assert output_text(span) == TEXT[: len(output_text(span))] and output_text(span)


def test_error_mid_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    received: list[str] = []
    with pytest.raises(Exception) as raised:
        for event in _stream(client, model="stream-error"):
            received.append(_deltaoutput_text(event))
    span = only_span(exporter)
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == type(raised.value).__qualname__
    assert output_text(span) == "".join(received) != ""  # what arrived before the error


def test_the_error_is_the_sdks_own(client: Any, sdk: Any, fake_server: Any) -> None:
    """The same exception, of the same type, with and without spanwise."""
    import spanwise

    def failure(c: Any) -> BaseException:
        with pytest.raises(Exception) as raised:
            list(_stream(c, model="stream-error"))
        return raised.value

    traced = failure(client)
    spanwise.mistralai.autolog(disable=True)
    bare = failure(sdk.Mistral(api_key="k", server_url=fake_server.base_url))
    assert type(traced) is type(bare)
    assert str(traced) == str(bare)


def test_a_failing_record_still_ends_the_span(
    client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.instrumentations.mistralai import _extract

    monkeypatch.delenv("SPANWISE_RAISE_INTERNAL_ERRORS")  # as in production

    def broken(response: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_extract, "chat_response_attributes", broken)
    assert "".join(_deltaoutput_text(e) for e in _stream(client)) == TEXT
    with pytest.raises(Exception):  # noqa: B017
        list(_stream(client, model="stream-error"))
    ok, failed = exporter.get_finished_spans()
    assert ok.status.status_code.name == "UNSET"
    assert failed.status.status_code.name == "ERROR"


async def test_async_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = await client.chat.stream_async(model="mistral-small", messages=MESSAGES)
    text = "".join([_deltaoutput_text(event) async for event in stream])
    assert text == TEXT
    assert output_text(only_span(exporter)) == TEXT


async def test_async_stream_with_block_and_tools(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    stream = await client.chat.stream_async(model="m", messages=MESSAGES, tools=TOOLS)
    if not hasattr(stream.__wrapped__, "__aenter__"):
        _ = [event async for event in stream]  # ended here, not in a later test
        pytest.skip("this mistralai's async stream is not a context manager")
    async with stream as events:
        assert events is stream  # the proxy, never the SDK's object behind it
        async for _ in events:
            pass
    assert _parts(only_span(exporter))[0]["id"] == TOOL_CALL_ID


async def test_async_stream_closed_early(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = await client.chat.stream_async(model="m", messages=MESSAGES)
    if not hasattr(stream.__wrapped__, "close"):
        _ = [event async for event in stream]  # ended here, not in a later test
        pytest.skip("this mistralai's async stream has no close()")
    await stream.__anext__()
    await stream.close()
    assert len(exporter.get_finished_spans()) == 1


async def test_async_stream_left_in_a_with_block(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    stream = await client.chat.stream_async(model="m", messages=MESSAGES)
    if not hasattr(stream.__wrapped__, "__aenter__"):
        _ = [event async for event in stream]  # ended here, not in a later test
        pytest.skip("this mistralai's async stream is not a context manager")
    with pytest.raises(KeyError):
        async with stream:
            await stream.__anext__()
            raise KeyError("the caller's bug")
    span = only_span(exporter)
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "KeyError"
