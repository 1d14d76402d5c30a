"""chat.completions.create: whole spans, tools and tool results, raw responses, errors,
async twins."""

from __future__ import annotations

import json
from typing import Any

import groq
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads, span_dict
from fake_openai import TEXT

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
COMPACT = {"separators": (",", ":")}


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def test_whole_span(client: Any, exporter: InMemorySpanExporter, fake_server: Any) -> None:
    response = client.chat.completions.create(
        model="llama-3.3-70b-versatile",
        messages=[{"role": "system", "content": "You are terse."}, *MESSAGES],
        max_tokens=256,
        temperature=0.2,
        top_p=0.9,
        seed=7,
        stop=["\n\n"],
        presence_penalty=0.5,
        frequency_penalty=0.25,
        response_format={"type": "json_object"},
    )
    assert response.choices[0].message.content == TEXT
    assert fake_server.requests[-1]["path"] == "/openai/v1/chat/completions"
    assert span_dict(_only(exporter)) == {
        "name": "chat llama-3.3-70b-versatile",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
        "attributes": {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "groq",
            "gen_ai.request.model": "llama-3.3-70b-versatile",
            "gen_ai.request.max_tokens": 256,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.seed": 7,
            "gen_ai.request.stop_sequences": ("\n\n",),
            "gen_ai.request.presence_penalty": 0.5,
            "gen_ai.request.frequency_penalty": 0.25,
            "gen_ai.output.type": "json",
            "server.address": "127.0.0.1",
            "server.port": fake_server.port,
            "spanwise.span.type": "CHAT_MODEL",
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
                    {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
                ],
                **COMPACT,
            ),
            "gen_ai.response.id": "chatcmpl-123",
            "gen_ai.response.model": "llama-3.3-70b-versatile-2024-07-18",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.usage.reasoning.output_tokens": 2,
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": TEXT}],
                        "finish_reason": "stop",
                    }
                ],
                **COMPACT,
            ),
        },
    }


def test_tool_calls_and_tool_results(client: Any, exporter: InMemorySpanExporter) -> None:
    first = client.chat.completions.create(model="llama", messages=MESSAGES, tools=TOOLS)
    message = first.choices[0].message
    (call,) = message.tool_calls
    history = [
        *MESSAGES,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "21 C"},
    ]
    second = client.chat.completions.create(model="llama", messages=history, tools=TOOLS)
    assert second.choices[0].message.content == "Here is what I found: 21 C"
    asked, answered = exporter.get_finished_spans()
    attrs = asked.attributes or {}
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert loads(attrs["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": TOOLS[0]["function"]["parameters"],
        }
    ]
    tool_call = {
        "type": "tool_call",
        "name": "get_weather",
        "id": "call_demo",
        "arguments": {"city": "Paris"},
    }
    assert loads(attrs["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [tool_call], "finish_reason": "tool_calls"}
    ]
    inputs = loads((answered.attributes or {})["gen_ai.input.messages"])
    assert inputs[1] == {"role": "assistant", "parts": [tool_call]}
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_demo", "response": "21 C"}],
    }
    for span in (asked, answered):
        if semconv_check.available():
            semconv_check.check_attributes(dict(span.attributes or {}))


def test_with_raw_response(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.http_response.status_code == 200
    assert raw.parse().choices[0].message.content == TEXT
    attrs = _only(exporter).attributes or {}
    assert attrs["gen_ai.response.id"] == "chatcmpl-123"
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": TEXT}]


@pytest.mark.parametrize(
    ("model", "error"),
    [("error-404", groq.NotFoundError), ("error-500", groq.InternalServerError)],
)
def test_errors_are_recorded_and_reraised_unchanged(
    client: Any, exporter: InMemorySpanExporter, model: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        client.chat.completions.create(model=model, messages=MESSAGES)
    assert type(raised.value) is error
    snapshot = span_dict(_only(exporter))
    assert snapshot["status"] == "ERROR"
    assert snapshot["attributes"]["error.type"] == error.__name__
    assert [e["name"] for e in snapshot["events"]] == ["exception"]
    assert "gen_ai.output.messages" not in snapshot["attributes"]


def test_connection_error_is_reraised(autolog: None, exporter: InMemorySpanExporter) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = groq.Groq(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(groq.APIConnectionError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    attrs = _only(exporter).attributes or {}
    assert attrs["error.type"] == "APIConnectionError"
    assert attrs["server.port"] == port


def test_default_base_url_names_groq(autolog: None) -> None:
    from spanwise.instrumentations.groq._patch import CHAT

    client = groq.Groq(api_key="k")  # never sends: only its base URL is read
    assert CHAT.provider_attributes(client.chat.completions, {}) == {
        "gen_ai.provider.name": "groq",
        "server.address": "api.groq.com",
        "server.port": 443,
    }


async def test_async_create(async_client: Any, exporter: InMemorySpanExporter) -> None:
    response = await async_client.chat.completions.create(model="m", messages=MESSAGES, tools=TOOLS)
    assert response.choices[0].message.tool_calls[0].id == "call_demo"
    attrs = _only(exporter).attributes or {}
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)


async def test_async_raw_and_error(async_client: Any, exporter: InMemorySpanExporter) -> None:
    raw = await async_client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert (await raw.parse()).choices[0].message.content == TEXT
    with pytest.raises(groq.InternalServerError):
        await async_client.chat.completions.create(model="error-500", messages=MESSAGES)
    ok, failed = exporter.get_finished_spans()
    assert (ok.attributes or {})["gen_ai.usage.output_tokens"] == 9
    assert failed.status.status_code.name == "ERROR"
