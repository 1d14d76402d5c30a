"""chat.complete and embeddings.create: whole spans, tools, reasoning, images, SDK
message objects, errors, async twins."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads, span_dict
from fake_mistral import EMBEDDINGS_ID, RESPONSE_ID, TEXT, THINKING, TOOL_CALL_ID

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
    response = client.chat.complete(
        model="mistral-small-latest",
        messages=[{"role": "system", "content": "You are terse."}, *MESSAGES],
        max_tokens=256,
        temperature=0.2,
        top_p=0.9,
        random_seed=7,
        stop=["\n\n"],
        presence_penalty=0.5,
        frequency_penalty=0.25,
        response_format={"type": "json_object"},
    )
    assert response.choices[0].message.content == TEXT
    assert span_dict(_only(exporter)) == {
        "name": "chat mistral-small-latest",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
        "attributes": {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "mistral_ai",
            "gen_ai.request.model": "mistral-small-latest",
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
            "gen_ai.response.id": RESPONSE_ID,
            "gen_ai.response.model": "mistral-small-latest",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
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
    first = client.chat.complete(model="mistral-large", messages=MESSAGES, tools=TOOLS)
    message = first.choices[0].message
    (call,) = message.tool_calls
    history = [
        *MESSAGES,
        message,  # the SDK's own AssistantMessage, as Mistral's docs append it
        {"role": "tool", "name": "get_weather", "tool_call_id": call.id, "content": "21 C"},
    ]
    second = client.chat.complete(model="mistral-large", messages=history, tools=TOOLS)
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
        "id": TOOL_CALL_ID,
        "arguments": {"city": "Paris"},
    }
    # The empty text the API sends beside a tool call is not a part.
    assert loads(attrs["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [tool_call], "finish_reason": "tool_call"}
    ]
    inputs = loads((answered.attributes or {})["gen_ai.input.messages"])
    assert inputs[1] == {"role": "assistant", "parts": [tool_call]}
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": TOOL_CALL_ID, "response": "21 C"}],
        "name": "get_weather",
    }
    for span in (asked, answered):
        if semconv_check.available():
            semconv_check.check_attributes(dict(span.attributes or {}))


def test_thinking_chunks_are_reasoning_parts(
    client: Any, sdk: Any, exporter: InMemorySpanExporter
) -> None:
    if not hasattr(sdk.models, "ThinkChunk"):
        pytest.skip("this mistralai cannot read thinking chunks")
    client.chat.complete(model="magistral", messages=MESSAGES)
    (message,) = loads(_only(exporter).attributes["gen_ai.output.messages"])  # type: ignore[index]
    assert message["parts"] == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": TEXT},
    ]


def test_sdk_message_objects_images_and_documents(
    client: Any, sdk: Any, exporter: InMemorySpanExporter
) -> None:
    m = sdk.models
    if not hasattr(m, "DocumentURLChunk"):
        pytest.skip("this mistralai has no document_url chunks")
    client.chat.complete(
        model="pixtral",
        messages=[
            m.SystemMessage(content="Describe."),
            m.UserMessage(
                content=[
                    {"type": "text", "text": "What are these?"},
                    {"type": "image_url", "image_url": "https://example.com/cat.jpg"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                    {"type": "document_url", "document_url": "https://example.com/a.pdf"},
                ]
            ),
        ],
    )
    attrs = _only(exporter).attributes or {}
    system, user = loads(attrs["gen_ai.input.messages"])
    assert system == {"role": "system", "parts": [{"type": "text", "content": "Describe."}]}
    assert user["parts"] == [
        {"type": "text", "content": "What are these?"},
        {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
        {"type": "uri", "modality": "image", "uri": "data:image/png;base64,iVBO"},
        {"type": "uri", "modality": "file", "uri": "https://example.com/a.pdf"},
    ]


@pytest.mark.parametrize(
    ("model", "status"),
    [("error-400", 400), ("error-401", 401), ("error-429", 429), ("error-500", 500)],
)
def test_errors_are_recorded_and_reraised_unchanged(
    client: Any, sdk: Any, exporter: InMemorySpanExporter, model: str, status: int
) -> None:
    with pytest.raises(sdk.SDKError) as raised:
        client.chat.complete(model=model, messages=MESSAGES)
    assert type(raised.value) is sdk.SDKError
    assert raised.value.status_code == status
    snapshot = span_dict(_only(exporter))
    assert snapshot["status"] == "ERROR"
    assert snapshot["attributes"]["error.type"] == "SDKError"
    assert [e["name"] for e in snapshot["events"]] == ["exception"]
    assert "gen_ai.output.messages" not in snapshot["attributes"]


def test_validation_error(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(sdk.HTTPValidationError) as raised:
        client.chat.complete(model="error-422", messages=MESSAGES)
    assert type(raised.value) is sdk.HTTPValidationError
    assert (_only(exporter).attributes or {})["error.type"] == "HTTPValidationError"


def test_connection_error_is_reraised(sdk: Any, autolog: None, exporter: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = sdk.Mistral(api_key="k", server_url=f"http://127.0.0.1:{port}")
    with pytest.raises(Exception) as raised:
        client.chat.complete(model="m", messages=MESSAGES)
    span = _only(exporter)
    assert (span.attributes or {})["error.type"] == type(raised.value).__qualname__
    assert (span.attributes or {})["server.port"] == port


def test_server_url_of_the_call(
    sdk: Any, fake_server: Any, autolog: None, exporter: InMemorySpanExporter
) -> None:
    client = sdk.Mistral(api_key="k")  # the default server: api.mistral.ai, never reached
    client.chat.complete(model="m", messages=MESSAGES, server_url=fake_server.base_url)
    attrs = _only(exporter).attributes or {}
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake_server.port


def test_parse_is_one_span(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    if not hasattr(sdk.Chat, "parse"):
        pytest.skip("this mistralai has no chat.parse")
    from pydantic import BaseModel

    class Weather(BaseModel):
        city: str

    with pytest.raises(Exception):  # noqa: B017 - the fake answers text, not the schema
        client.chat.parse(response_format=Weather, model="m", messages=MESSAGES)
    attrs = _only(exporter).attributes or {}
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.id"] == RESPONSE_ID


def test_embeddings(client: Any, exporter: InMemorySpanExporter, fake_server: Any) -> None:
    response = client.embeddings.create(model="mistral-embed", inputs=["a", "b"])
    assert len(response.data) == 2
    assert span_dict(_only(exporter))["attributes"] == {
        "spanwise.span.type": "EMBEDDING",
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": "mistral-embed",
        "gen_ai.provider.name": "mistral_ai",
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "gen_ai.response.id": EMBEDDINGS_ID,
        "gen_ai.response.model": "mistral-embed",
        "gen_ai.embeddings.dimension.count": 8,
        "gen_ai.usage.input_tokens": 6,
        "gen_ai.usage.output_tokens": 0,
    }
    assert _only(exporter).name == "embeddings mistral-embed"


async def test_async_complete(client: Any, exporter: InMemorySpanExporter) -> None:
    response = await client.chat.complete_async(model="m", messages=MESSAGES, tools=TOOLS)
    assert response.choices[0].message.tool_calls[0].id == TOOL_CALL_ID
    attrs = _only(exporter).attributes or {}
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)


async def test_async_error(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(sdk.SDKError):
        await client.chat.complete_async(model="error-500", messages=MESSAGES)
    assert _only(exporter).status.status_code.name == "ERROR"


async def test_async_embeddings(client: Any, exporter: InMemorySpanExporter) -> None:
    import inspect

    if "output_dimension" in inspect.signature(client.embeddings.create_async).parameters:
        kwargs: dict[str, Any] = {"model": "mistral-embed", "inputs": "a", "output_dimension": 4}
    else:  # older SDKs send their default model when none is given: the span names it
        kwargs = {"inputs": "a"}
    await client.embeddings.create_async(**kwargs)
    span = _only(exporter)
    assert span.name == "embeddings mistral-embed"
    attrs = span.attributes or {}
    assert attrs["gen_ai.embeddings.dimension.count"] == kwargs.get("output_dimension", 8)
    assert attrs["gen_ai.usage.input_tokens"] == 3
