"""stream=True: the shared stream contract (tests/_lib/chat_contract.py: one ended span
in every way a stream can end, with what was received), the usage from Groq's ``x_groq``
extension, raw response streams."""

from __future__ import annotations

from typing import Any

import groq
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chat_contract import (
    MESSAGES,
    StreamContract,
    only_span,
    output_text,
    stainless_stream_case,
)
from fake_openai import TEXT


class TestStream(StreamContract):
    # Groq sends a stream's usage in its x_groq extension, unasked.
    case = stainless_stream_case("groq", "llama", "groq", usage={})


def test_usage_comes_in_x_groq(client: Any, exporter: InMemorySpanExporter) -> None:
    chunks = list(TestStream.case.stream(client, model="llama"))
    extension = chunks[-1].x_groq  # Groq's place for a stream's usage (a dict before 0.5)
    usage = extension["usage"] if isinstance(extension, dict) else extension.usage
    assert (usage["prompt_tokens"] if isinstance(usage, dict) else usage.prompt_tokens) == 12
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == TEXT
    attrs = only_span(exporter).attributes or {}
    assert attrs["gen_ai.usage.input_tokens"] == 12
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
    assert output_text(span) == TEXT
    assert (span.attributes or {})["gen_ai.usage.input_tokens"] == 12


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
    assert output_text(span) == "hi"
