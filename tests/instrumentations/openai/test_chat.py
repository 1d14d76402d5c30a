"""chat.completions.create: plain, tools, n > 1, errors, raw responses, sync and async."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.entities import SpanType

import semconv_check
from _support import span_dict

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Weather in Paris?"},
]


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def test_chat_whole_span(client: Any, exporter: InMemorySpanExporter, fake_server: Any) -> None:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        temperature=0.2,
        max_tokens=50,
        top_p=0.9,
        seed=7,
        stop=["\n"],
        frequency_penalty=0.1,
        presence_penalty=0.2,
        response_format={"type": "json_object"},
    )
    assert isinstance(response, openai.types.chat.ChatCompletion)
    span = _only(exporter)
    snapshot = span_dict(span)
    assert snapshot["name"] == "chat gpt-4o-mini"
    assert snapshot["kind"] == "CLIENT"
    assert snapshot["status"] == "UNSET"
    attrs = snapshot["attributes"]
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.frequency_penalty": 0.1,
        "gen_ai.request.presence_penalty": 0.2,
        "gen_ai.request.seed": 7,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.stop_sequences": ("\n",),
        "gen_ai.output.type": "json",
        "gen_ai.provider.name": "openai",
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.input.messages": json.dumps(
            [
                {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
                {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
            ],
            separators=(",", ":"),
        ),
        "gen_ai.response.id": "chatcmpl-123",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 2,
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": response.choices[0].message.content}],
                    "finish_reason": "stop",
                }
            ],
            separators=(",", ":"),
        ),
    }
    # In the spanwise model: a CHAT_MODEL span whose inputs/outputs are the messages.
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    assert trace is not None
    (model_span,) = trace.data.spans
    assert model_span.span_type == "CHAT_MODEL"
    # As MLflow's autolog records them: the call's arguments (those the span records as
    # gen_ai.request.*) and the completion, in Chat Completions shape.
    assert model_span.inputs == {
        "messages": MESSAGES,
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 50,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["\n"],
        "frequency_penalty": 0.1,
        "presence_penalty": 0.2,
    }
    # The SDK's own dump: older SDKs keep the token details as plain dicts.
    usage = response.usage.model_dump() if response.usage else {}
    assert usage["prompt_tokens_details"] and usage["completion_tokens_details"]
    assert model_span.outputs == {
        "id": response.id,
        "model": response.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": response.choices[0].message.content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage["prompt_tokens"],
            "completion_tokens": usage["completion_tokens"],
            "total_tokens": usage["total_tokens"],
            "prompt_tokens_details": {
                "cached_tokens": usage["prompt_tokens_details"]["cached_tokens"]
            },
            "completion_tokens_details": {
                "reasoning_tokens": usage["completion_tokens_details"]["reasoning_tokens"]
            },
        },
    }


def test_tool_calls_and_definitions(client: Any, exporter: InMemorySpanExporter) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}},
    ]
    response = client.chat.completions.create(model="tools", messages=MESSAGES, tools=tools)
    assert [c.function.name for c in response.choices[0].message.tool_calls] == [
        "get_weather",
        "get_time",
    ]
    attrs = dict(_only(exporter).attributes or {})
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert json.loads(str(attrs["gen_ai.tool.definitions"]))[0] == {
        "type": "function",
        "name": "get_weather",
        "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    (message,) = json.loads(str(attrs["gen_ai.output.messages"]))
    assert message["parts"] == [
        {
            "type": "tool_call",
            "name": "get_weather",
            "id": "call_1",
            "arguments": {"city": "Paris"},
        },
        {"type": "tool_call", "name": "get_time", "id": "call_2", "arguments": {"tz": "CET"}},
    ]


def test_multiple_choices(client: Any, exporter: InMemorySpanExporter) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, n=3)
    attrs = dict(_only(exporter).attributes or {})
    assert attrs["gen_ai.request.choice.count"] == 3
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "stop", "stop")
    assert len(json.loads(str(attrs["gen_ai.output.messages"]))) == 3


def test_provider_quirks_are_tolerated(client: Any, exporter: InMemorySpanExporter) -> None:
    client.chat.completions.create(model="quirks", messages=MESSAGES)  # index null, no usage
    client.chat.completions.create(model="no-choices", messages=MESSAGES)
    quirks, no_choices = exporter.get_finished_spans()
    assert "gen_ai.usage.input_tokens" not in (quirks.attributes or {})
    assert quirks.attributes["gen_ai.response.finish_reasons"] == ("stop",)  # type: ignore[index]
    assert "gen_ai.response.finish_reasons" not in (no_choices.attributes or {})


@pytest.mark.parametrize(
    ("model", "error"),
    [("error-404", openai.NotFoundError), ("error-500", openai.InternalServerError)],
)
def test_http_errors_are_recorded_and_reraised(
    client: Any, exporter: InMemorySpanExporter, model: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        client.chat.completions.create(model=model, messages=MESSAGES)
    span = _only(exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == error.__name__  # type: ignore[index]
    assert span.events[0].name == "exception"
    assert span.events[0].attributes["exception.message"] == str(info.value)  # type: ignore[index]


def test_timeouts_and_connection_errors(
    fake_server: Any, autolog: None, exporter: InMemorySpanExporter
) -> None:
    slow = openai.OpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        slow.chat.completions.create(model="slow", messages=MESSAGES)
    closed = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        closed.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    timeout, refused = exporter.get_finished_spans()
    assert timeout.attributes["error.type"] == "APITimeoutError"  # type: ignore[index]
    assert refused.attributes["error.type"] == "APIConnectionError"  # type: ignore[index]
    assert refused.attributes["server.port"] == 9  # type: ignore[index]


def test_with_raw_response(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raw.headers["content-type"] == "application/json"
    assert raw.parse().choices[0].message.content.startswith("Hello")
    attrs = dict(_only(exporter).attributes or {})
    assert attrs["gen_ai.response.id"] == "chatcmpl-123"
    assert attrs["gen_ai.usage.output_tokens"] == 9


async def test_async_chat_and_error(async_client: Any, exporter: InMemorySpanExporter) -> None:
    response = await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert response.choices[0].message.content.startswith("Hello")
    with pytest.raises(openai.NotFoundError):
        await async_client.chat.completions.create(model="error-404", messages=MESSAGES)
    ok, failed = exporter.get_finished_spans()
    assert ok.name == "chat gpt-4o-mini" and ok.attributes["gen_ai.usage.input_tokens"] == 12  # type: ignore[index]
    assert failed.status.status_code.name == "ERROR"


def test_embeddings_and_legacy_completions(client: Any, exporter: InMemorySpanExporter) -> None:
    client.embeddings.create(
        model="text-embedding-3-small", input=["a", "b"], encoding_format="float"
    )
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi")
    embeddings, legacy = exporter.get_finished_spans()
    assert embeddings.name == "embeddings text-embedding-3-small"
    expected = {
        "gen_ai.operation.name": "embeddings",
        "spanwise.span.type": "EMBEDDING",
        "gen_ai.embeddings.dimension.count": 8,
        "gen_ai.request.encoding_formats": ("float",),
        "gen_ai.usage.input_tokens": 5,
    }
    assert expected.items() <= dict(embeddings.attributes or {}).items()
    assert legacy.name == "text_completion gpt-3.5-turbo-instruct"
    assert legacy.attributes["spanwise.span.type"] == "LLM"  # type: ignore[index]
    assert (
        json.loads(str(legacy.attributes["gen_ai.input.messages"]))[0]["parts"][0]["content"]
        == "Say hi"
    )  # type: ignore[index]
    if semconv_check.available():
        for span in (embeddings, legacy):
            semconv_check.check_attributes(dict(span.attributes or {}))


def test_no_secret_enters_a_span(
    client: Any, exporter: InMemorySpanExporter, fake_server: Any
) -> None:
    from fake_openai import CANARY_KEY

    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="error-404", messages=MESSAGES)
    assert any(CANARY_KEY in str(r["headers"]) for r in fake_server.requests)  # it was sent...
    dumped = repr([span_dict(s, times=True) for s in exporter.get_finished_spans()])
    assert CANARY_KEY not in dumped  # ...and never recorded
    assert "Bearer" not in dumped and "authorization" not in dumped.lower()


def test_agent_trace_with_tool(client: Any, exporter: InMemorySpanExporter) -> None:
    @spanwise.trace(span_type=SpanType.TOOL)
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    @spanwise.trace(span_type=SpanType.AGENT)
    def agent(question: str) -> str:
        first = client.chat.completions.create(
            model="tools", messages=[{"role": "user", "content": question}]
        )
        call = first.choices[0].message.tool_calls[0]
        result = get_weather(**json.loads(call.function.arguments))
        final = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "user", "content": question},
                first.choices[0].message,
                {"role": "tool", "tool_call_id": call.id, "content": result},
            ],
        )
        return str(final.choices[0].message.content)

    agent("Weather in Paris?")
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    assert trace is not None
    root = trace.data.root_span
    assert root is not None and root.span_type == "AGENT"
    children = [(s.name, s.span_type) for s in trace.data.spans if s.parent_id == root.span_id]
    assert children == [
        ("chat tools", "CHAT_MODEL"),
        ("get_weather", "TOOL"),
        ("chat gpt-4o-mini", "CHAT_MODEL"),
    ]
    second = trace.data.spans[-1]
    history = second.attributes["gen_ai.input.messages"]
    assert history[1]["parts"][0]["type"] == "tool_call"
    assert history[2]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "sunny in Paris"}
    ]
