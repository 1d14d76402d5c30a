"""stream=True: the shared stream contract (tests/_lib/chat_contract.py: one ended span in
every way a stream can end, with what was received), stream options, choices, raw and
streaming responses, the chunk fast path."""

from __future__ import annotations

import json
from typing import Any

import openai
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chat_contract import MESSAGES, StreamContract, output_text, stainless_stream_case
from fake_openai import TEXT


class TestStream(StreamContract):
    case = stainless_stream_case(
        "openai", "gpt-4o-mini", "openai", usage={"stream_options": {"include_usage": True}}
    )


def test_stream_options_are_never_injected(
    client: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert "stream_options" not in fake_server.requests[-1]["body"]
    (span,) = exporter.get_finished_spans()
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})  # none was asked for


def test_streamed_choices_and_null_indexes(client: Any, exporter: InMemorySpanExporter) -> None:
    list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, n=2))
    list(client.chat.completions.create(model="quirks", messages=MESSAGES, stream=True))
    two, quirk = exporter.get_finished_spans()
    assert two.attributes["gen_ai.response.finish_reasons"] == ("stop", "stop")  # type: ignore[index]
    assert output_text(quirk) == TEXT


def test_stream_helpers_still_work(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert stream.response.status_code == 200  # the SDK stream's attributes pass through
    stream.close()
    assert len(exporter.get_finished_spans()) == 1


def test_raw_response_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert exporter.get_finished_spans() == ()  # the stream has not been read yet
    stream = raw.parse()
    assert isinstance(stream, openai.Stream)
    assert raw.parse() is stream
    text = "".join(c.choices[0].delta.content or "" for c in stream)
    assert text == TEXT
    (span,) = exporter.get_finished_spans()
    assert output_text(span) == TEXT


async def test_async_raw_and_streaming_responses(
    async_client: Any, exporter: InMemorySpanExporter
) -> None:
    """An async raw response's parse() is a coroutine: the response is read, not lost,
    and a streamed one comes back behind the proxy (found by review)."""
    raw = await async_client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    )
    completion = raw.parse()
    if hasattr(completion, "__await__"):
        completion = await completion
    async with async_client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    ) as response:
        stream = await response.parse()
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == TEXT
    plain, streamed = exporter.get_finished_spans()
    assert (plain.attributes or {})["gen_ai.response.id"] == completion.id
    assert output_text(streamed) == TEXT


def test_the_fast_path_keeps_choices_apart(exporter: InMemorySpanExporter) -> None:
    """One-choice text chunks skip the general path: interleaved choices (n=2), a late
    tool call, a finish reason and a usage chunk must still land where they belong."""
    from openai.types.chat import ChatCompletionChunk

    from spanwise.instrumentations._invocation import Settings
    from spanwise.instrumentations._llm import LLMCall
    from spanwise.instrumentations._tracer import get_tracer
    from spanwise.instrumentations.openai._stream_handlers import ChatStreamHandler

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> Any:
        choice = {"index": index, "delta": delta, "finish_reason": finish}
        return ChatCompletionChunk.model_validate(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [choice],
            }
        )

    call = LLMCall.start_call(Settings(tracer=get_tracer(), explicit=True), "chat m", {})
    assert call is not None
    handler = ChatStreamHandler(call)
    tool = {
        "index": 0,
        "id": "t1",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
    for item in (
        chunk(0, {"role": "assistant", "content": "A"}),
        chunk(0, {"content": "a"}),
        chunk(1, {"role": "assistant", "content": "B"}),
        chunk(0, {"content": "A"}),
        chunk(1, {"content": "b"}),
        chunk(1, {"tool_calls": [tool]}),
        chunk(0, {}, "stop"),
        chunk(1, {}, "tool_calls"),
    ):
        handler.process_chunk(item)
    usage = ChatCompletionChunk.model_validate(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        }
    )
    handler.process_chunk(usage)
    handler.finish()
    (span,) = exporter.get_finished_spans()
    attrs = span.attributes or {}
    first, second = json.loads(str(attrs["gen_ai.output.messages"]))
    assert first["parts"] == [{"type": "text", "content": "AaA"}]
    assert second["parts"][0] == {"type": "text", "content": "Bb"}
    assert second["parts"][1]["type"] == "tool_call"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "tool_calls")
    assert attrs["gen_ai.usage.output_tokens"] == 4
