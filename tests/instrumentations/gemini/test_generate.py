"""generate_content, chats, tools, system instructions and embeddings, sync and async;
errors, switches, secrets and the pure extractors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import wrapt
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.gemini import _extract as x

import semconv_check
from _support import loads
from fake_gemini import CANARY_KEY, RESPONSE_ID, TEXT, THOUGHT, sdk_reads, vertex_client

WEATHER = {
    "function_declarations": [
        {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}},
                "required": ["city"],
            },
        }
    ]
}


def _spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    spans = list(exporter.get_finished_spans())
    for span in spans:
        if semconv_check.available():
            semconv_check.check_attributes(dict(span.attributes or {}))
    return spans


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@pytest.mark.parametrize("is_async", [False, True])
def test_generate_content(client: Any, exporter: InMemorySpanExporter, is_async: bool) -> None:
    config = {"temperature": 0.2, "max_output_tokens": 64, "system_instruction": "Be brief."}
    kwargs = {"model": "models/gemini-2.5-flash", "contents": "secret prompt", "config": config}
    if is_async:
        response = asyncio.run(client.aio.models.generate_content(**kwargs))
    else:
        response = client.models.generate_content(**kwargs)
    assert response.text == TEXT  # the SDK's own object, untouched
    (span,) = _spans(exporter)
    attrs = _attrs(span)
    assert span.name == "generate_content gemini-2.5-flash"
    assert span.kind.name == "CLIENT"
    assert attrs["gen_ai.operation.name"] == "generate_content"
    assert attrs["gen_ai.provider.name"] == "gcp.gemini"
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.max_tokens"] == 64
    response_id = RESPONSE_ID if sdk_reads("GenerateContentResponse", "response_id") else None
    assert attrs.get("gen_ai.response.id") == response_id
    assert attrs["gen_ai.response.model"] == "gemini-2.5-flash"
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (12, 9)
    assert loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "secret prompt"}]}
    ]
    assert loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert loads(attrs["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": TEXT}], "finish_reason": "stop"}
    ]


def test_thinking_and_cached_usage(client: Any, exporter: InMemorySpanExporter) -> None:
    client.models.generate_content(model="thinking", contents="hi")
    attrs = _attrs(_spans(exporter)[0])
    assert attrs["gen_ai.usage.input_tokens"] == 40
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 32
    thoughts = (
        25 if sdk_reads("GenerateContentResponseUsageMetadata", "thoughts_token_count") else None
    )
    assert attrs.get("gen_ai.usage.reasoning.output_tokens") == thoughts
    assert attrs["gen_ai.usage.output_tokens"] == 9 + (thoughts or 0)  # thoughts are output
    (message,) = loads(attrs["gen_ai.output.messages"])
    assert message["parts"] == [
        {"type": "reasoning", "content": THOUGHT},
        {"type": "text", "content": TEXT},
    ]


@pytest.mark.parametrize("is_async", [False, True])
def test_chat_with_function_calling(
    client: Any, exporter: InMemorySpanExporter, is_async: bool
) -> None:
    from google.genai import types

    result = types.Part.from_function_response(name="get_weather", response={"sky": "sunny"})

    async def turns_async() -> None:
        chat = client.aio.chats.create(model="gemini-2.5-flash", config={"tools": [WEATHER]})
        await chat.send_message("Weather in Paris?")
        await chat.send_message(result)

    if is_async:
        asyncio.run(turns_async())
    else:
        chat = client.chats.create(model="gemini-2.5-flash", config={"tools": [WEATHER]})
        first = chat.send_message("Weather in Paris?")
        assert first.function_calls[0].name == "get_weather"
        chat.send_message(result)
    call, answer = _spans(exporter)  # one span per turn
    call_attrs, answer_attrs = _attrs(call), _attrs(answer)
    (definition,) = loads(call_attrs["gen_ai.tool.definitions"])
    assert definition["name"] == "get_weather" and definition["type"] == "function"
    assert loads(call_attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "name": "get_weather", "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_call",
        }
    ]
    inputs = loads(answer_attrs["gen_ai.input.messages"])
    assert [m["role"] for m in inputs] == ["user", "assistant", "tool"]
    assert inputs[1]["parts"][0]["type"] == "tool_call"
    assert inputs[2]["parts"] == [{"type": "tool_call_response", "response": {"sky": "sunny"}}]
    (output,) = loads(answer_attrs["gen_ai.output.messages"])
    assert "sunny" in output["parts"][0]["content"]


@pytest.mark.parametrize("is_async", [False, True])
def test_embed_content(client: Any, exporter: InMemorySpanExporter, is_async: bool) -> None:
    kwargs = {"model": "text-embedding-004", "contents": ["secret a", "secret b"]}
    if is_async:
        response = asyncio.run(client.aio.models.embed_content(**kwargs))
    else:
        response = client.models.embed_content(**kwargs)
    assert len(response.embeddings) == 2
    (span,) = _spans(exporter)
    attrs = _attrs(span)
    assert span.name == "embeddings text-embedding-004"
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.embeddings.dimension.count"] == 8
    assert "secret" not in repr(attrs)  # embeddings input is not recorded


@pytest.mark.parametrize("is_async", [False, True])
def test_error_is_recorded_and_reraised(
    client: Any, exporter: InMemorySpanExporter, is_async: bool
) -> None:
    from google.genai import errors

    with pytest.raises(errors.ClientError) as raised:
        if is_async:
            asyncio.run(client.aio.models.generate_content(model="error-429", contents="hi"))
        else:
            client.models.generate_content(model="error-429", contents="hi")
    assert raised.value.code == 429
    (span,) = _spans(exporter)
    assert span.status.status_code.name == "ERROR"
    assert _attrs(span)["error.type"] == "ClientError"
    assert [e.name for e in span.events] == ["exception"]


def test_vertex_ai_provider(
    fake_server: Any, autolog: None, exporter: InMemorySpanExporter
) -> None:
    client = vertex_client(fake_server.base_url)
    client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert _attrs(_spans(exporter)[0])["gen_ai.provider.name"] == "gcp.vertex_ai"


def test_no_secret_enters_a_span(
    client: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    from google.genai import errors

    client.models.generate_content(model="m", contents="hi")
    list(client.models.generate_content_stream(model="m", contents="hi"))
    client.models.embed_content(model="e", contents="hi")
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model="error-401", contents="hi")
    dumped = "".join(span.to_json() for span in exporter.get_finished_spans())
    sent = [str(r["headers"]) for r in fake_server.requests[-4:]]
    assert all(CANARY_KEY in headers for headers in sent)  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded
    for secret in ("x-goog-api-key", "authorization", "bearer"):
        assert secret not in dumped.lower()


def test_switches(fake_server: Any, exporter: InMemorySpanExporter) -> None:
    from google import genai
    from google.genai import models

    client = genai.Client(api_key="k", http_options={"base_url": fake_server.base_url})
    spanwise.gemini.autolog(log_traces=False)
    client.models.generate_content(model="m", contents="hi")
    assert exporter.get_finished_spans() == ()
    spanwise.gemini.autolog()
    assert isinstance(vars(models.Models)["generate_content"], wrapt.FunctionWrapper)
    client.models.generate_content(model="m", contents="hi")
    assert len(exporter.get_finished_spans()) == 1
    spanwise.gemini.autolog(disable=True)
    assert not isinstance(vars(models.Models)["generate_content"], wrapt.FunctionWrapper)
    client.models.generate_content(model="m", contents="hi")
    assert len(exporter.get_finished_spans()) == 1


def test_content_shapes() -> None:
    from google.genai import types

    assert x.input_messages(["a", types.Part.from_text(text="b")]) == [
        {
            "role": "user",
            "parts": [{"type": "text", "content": "a"}, {"type": "text", "content": "b"}],
        }
    ]
    contents = [
        {"role": "user", "parts": [{"text": "hi"}]},
        types.Content(
            role="model",
            parts=[types.Part(function_call=types.FunctionCall(id="c1", name="f", args={"a": 1}))],
        ),
        {
            "role": "user",
            "parts": [{"functionResponse": {"id": "c1", "name": "f", "response": {"r": 2}}}],
        },
        types.Part.from_bytes(data=b"\x00\x01", mime_type="image/png"),
        types.Part.from_uri(file_uri="gs://b/doc.pdf", mime_type="application/pdf"),
    ]
    assert x.input_messages(contents) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"a": 1}}],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "c1", "response": {"r": 2}}],
        },
        {
            "role": "user",
            "parts": [
                {"type": "blob", "modality": "image", "content": "AAE=", "mime_type": "image/png"},
                {
                    "type": "uri",
                    "modality": "file",
                    "uri": "gs://b/doc.pdf",
                    "mime_type": "application/pdf",
                },
            ],
        },
    ]
    assert x.model_name("publishers/google/models/gemini-2.5-pro") == "gemini-2.5-pro"
    assert x.model_name("tunedModels/123") == "tunedModels/123"
    assert x.finish_reason("max_tokens") == "length"
    assert x.usage_attributes(None) == {}
    assert x.response_attributes({"candidates": "junk"}) == {}
