"""generate_content_stream (and chat streams), sync and async: the span ends once, however
the stream ends (exhausted, error, close, abandoned and collected), with what arrived."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads
from fake_gemini import RESPONSE_ID, TEXT, THOUGHT, sdk_reads


def _span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def _parts(span: ReadableSpan) -> list[dict[str, Any]]:
    (message,) = loads((span.attributes or {})["gen_ai.output.messages"])
    return message["parts"]


def _stream(client: Any, model: str = "gemini-2.5-flash", **kwargs: Any) -> Any:
    return client.models.generate_content_stream(model=model, contents="hi", **kwargs)


async def _astream(client: Any, model: str = "gemini-2.5-flash") -> Any:
    return await client.aio.models.generate_content_stream(model=model, contents="hi")


def test_exhausted(client: Any, exporter: InMemorySpanExporter) -> None:
    chunks = list(_stream(client, "thinking"))
    assert len(chunks) > 5
    span = _span(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.request.stream"] is True
    response_id = RESPONSE_ID if sdk_reads("GenerateContentResponse", "response_id") else None
    assert attrs.get("gen_ai.response.id") == response_id
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]
    thoughts = (
        25 if sdk_reads("GenerateContentResponseUsageMetadata", "thoughts_token_count") else None
    )
    assert attrs.get("gen_ai.usage.reasoning.output_tokens") == thoughts
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0
    assert _parts(span) == [
        {"type": "reasoning", "content": THOUGHT},
        {"type": "text", "content": TEXT},
    ]


def test_async_exhausted(client: Any, exporter: InMemorySpanExporter) -> None:
    async def run() -> int:
        return len([c async for c in await _astream(client)])

    assert asyncio.run(run()) == 5
    span = _span(exporter)
    assert span.status.status_code.name == "UNSET"
    assert _parts(span) == [{"type": "text", "content": TEXT}]


def test_error_mid_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    from google.genai import errors

    received: list[Any] = []
    raised = False
    try:
        for chunk in _stream(client, "stream-error"):
            received.append(chunk)
    except errors.APIError:
        raised = True
    # google-genai reads the error event since 1.x (which?); older SDKs end the stream.
    assert raised or not sdk_reads("GenerateContentResponse", "response_id")
    assert received  # some text arrived before the error
    span = _span(exporter)
    assert span.status.status_code.name == ("ERROR" if raised else "UNSET")
    assert "".join(p["content"] for p in _parts(span)) == "".join(c.text or "" for c in received)


def test_closed_early(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client)
    first = next(stream)
    assert exporter.get_finished_spans() == ()
    stream.close()
    stream.close()  # ends once
    span = _span(exporter)
    assert span.status.status_code.name == "UNSET"
    assert _parts(span) == [{"type": "text", "content": first.text}]


def test_async_closed_early(client: Any, exporter: InMemorySpanExporter) -> None:
    async def run() -> str:
        stream = await _astream(client)
        first = await stream.__anext__()
        await stream.aclose()
        return first.text

    first = asyncio.run(run())
    assert _parts(_span(exporter)) == [{"type": "text", "content": first}]


def test_abandoned_and_collected(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client)
    first = next(stream)
    del stream
    gc.collect()
    assert _parts(_span(exporter)) == [{"type": "text", "content": first.text}]


@pytest.mark.parametrize("is_async", [False, True])
def test_chat_stream_is_one_span_per_turn(
    client: Any, fake_server: Any, exporter: InMemorySpanExporter, is_async: bool
) -> None:
    async def turns_async() -> str:
        chat = client.aio.chats.create(model="gemini-2.5-flash")
        text = "".join([c.text async for c in await chat.send_message_stream("one")])
        async for _ in await chat.send_message_stream("two"):
            pass
        return text

    if is_async:
        text = asyncio.run(turns_async())
    else:
        chat = client.chats.create(model="gemini-2.5-flash")
        text = "".join(c.text for c in chat.send_message_stream("one"))
        for _ in chat.send_message_stream("two"):
            pass
    assert text == TEXT
    first, second = exporter.get_finished_spans()
    assert first.name == second.name == "generate_content gemini-2.5-flash"
    history = loads((second.attributes or {})["gen_ai.input.messages"])
    sent = fake_server.requests[-1]["body"]["contents"]  # the history, as the SDK sent it
    assert [m["role"] for m in history] == [
        "assistant" if c["role"] == "model" else c["role"] for c in sent
    ]
    assert history[0]["parts"] == [{"type": "text", "content": "one"}]
    assert history[-1]["parts"] == [{"type": "text", "content": "two"}]
