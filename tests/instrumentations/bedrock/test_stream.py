"""converse_stream and invoke_model_with_response_stream: the caller gets boto3's
response dict with a stand-in for botocore's EventStream, and the span ends once, with
what arrived, however the stream ends (exhausted, an error event, close(), abandoned
and collected)."""

from __future__ import annotations

import gc
import json
from typing import Any

import botocore.exceptions
import pytest
from botocore.eventstream import EventStream
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads
from fake_bedrock import TEXT

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Weather?"}]}]


def _span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def _text(span: ReadableSpan) -> str:
    (message,) = loads((span.attributes or {})["gen_ai.output.messages"])
    return "".join(p.get("content", "") for p in message["parts"])


def _stream(client: Any, model: str = MODEL, **kwargs: Any) -> Any:
    return client.converse_stream(modelId=model, messages=MESSAGES, **kwargs)["stream"]


def test_exhausted(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client, inferenceConfig={"maxTokens": 50})
    assert isinstance(stream, EventStream)  # the caller's isinstance checks hold
    assert exporter.get_finished_spans() == ()  # open while the stream is
    events = list(stream)
    assert len(events) == 9
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in events[1:6]) == TEXT
    span = _span(exporter)
    attrs = dict(span.attributes or {})
    assert span.name == f"chat {MODEL}" and span.status.status_code.name == "UNSET"
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0
    assert _text(span) == TEXT


def test_temporary_stream_in_a_for_loop(client: Any, exporter: InMemorySpanExporter) -> None:
    """Only the iterator is kept: the span must not end before the first event."""
    count = 0
    for _ in client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]:
        count += 1
        if count == 1:
            gc.collect()
    assert count == 9
    assert _text(_span(exporter)) == TEXT


def test_tool_use_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    spec = {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}
    list(_stream(client, toolConfig={"tools": [{"toolSpec": spec}]}))
    attrs = dict(_span(exporter).attributes or {})
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "name": "get_weather",
                    "id": "tooluse_fake01",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]


def test_error_mid_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    received: list[Any] = []
    with pytest.raises(botocore.exceptions.EventStreamError) as raised:
        for event in _stream(client, "stream-error"):
            received.append(event)
    assert raised.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert len(received) == 3
    span = _span(exporter)
    attrs = dict(span.attributes or {})
    assert span.status.status_code.name == "ERROR"
    assert attrs["error.type"] == "modelStreamErrorException"
    assert _text(span) == "".join(e["contentBlockDelta"]["delta"]["text"] for e in received[1:])


def test_close(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = _stream(client)
    iterator = iter(stream)
    first = [next(iterator), next(iterator)]
    stream.close()
    span = _span(exporter)
    assert span.status.status_code.name == "UNSET"
    assert _text(span) == first[1]["contentBlockDelta"]["delta"]["text"]
    stream.close()
    assert len(exporter.get_finished_spans()) == 1  # once


def test_abandoned(client: Any, exporter: InMemorySpanExporter) -> None:
    response = client.converse_stream(modelId=MODEL, messages=MESSAGES)
    iterator = iter(response["stream"])
    next(iterator)
    next(iterator)
    del response, iterator
    gc.collect()
    span = _span(exporter)
    assert span.status.status_code.name == "UNSET"
    assert len(_text(span)) > 0


def test_never_iterated(client: Any, exporter: InMemorySpanExporter) -> None:
    response = client.converse_stream(modelId=MODEL, messages=MESSAGES)
    del response
    gc.collect()
    span = _span(exporter)
    assert "gen_ai.output.messages" not in (span.attributes or {})
    assert "gen_ai.response.time_to_first_chunk" not in (span.attributes or {})


def test_invoke_stream_error_mid_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    body = json.dumps({"prompt": "hi", "max_gen_len": 20})
    stream = client.invoke_model_with_response_stream(modelId="meta.llama-stream-error", body=body)
    with pytest.raises(botocore.exceptions.EventStreamError):
        list(stream["body"])
    span = _span(exporter)
    attrs = dict(span.attributes or {})
    assert span.name == "text_completion meta.llama-stream-error"
    assert attrs["error.type"] == "modelStreamErrorException"
    assert attrs["gen_ai.request.max_tokens"] == 20
    assert len(_text(span)) > 0
