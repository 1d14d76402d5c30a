"""invoke_model and invoke_model_with_response_stream, for each model family's body
format: the span's kind and name, request parameters, response metadata, usage, content
in the parts format; the caller reads the same body bytes the server sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads
from fake_bedrock import DIMENSION, TEXT, invoke_body

USER = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
CASES: list[tuple[str, dict[str, Any], str, dict[str, Any], dict[str, Any]]] = [
    # (model id, body, operation, request attributes, response attributes)
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 100,
            "temperature": 0.5,
            "top_k": 5,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}],
            "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
        },
        "chat",
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.temperature": 0.5,
            "gen_ai.request.top_k": 5.0,
        },
        {
            "gen_ai.response.id": "msg_bdrk_fake01",
            "gen_ai.response.model": "claude-3-haiku-20240307",
            "gen_ai.response.finish_reasons": ("end_turn",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "us.amazon.nova-lite-v1:0",
        {
            "schemaVersion": "messages-v1",
            "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            "inferenceConfig": {
                "max_new_tokens": 100,
                "temperature": 0.3,
                "top_p": 0.9,
                "top_k": 20,
                "stopSequences": ["END"],
            },
        },
        "chat",
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.temperature": 0.3,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.top_k": 20.0,
            "gen_ai.request.stop_sequences": ("END",),
        },
        {
            "gen_ai.response.finish_reasons": ("end_turn",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "amazon.titan-text-express-v1",
        {
            "inputText": "Hi",
            "textGenerationConfig": {
                "maxTokenCount": 100,
                "temperature": 0.2,
                "topP": 0.9,
                "stopSequences": ["User:"],
            },
        },
        "text_completion",
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.stop_sequences": ("User:",),
        },
        {
            "gen_ai.response.finish_reasons": ("FINISH",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "meta.llama3-8b-instruct-v1:0",
        {"prompt": "Hi", "max_gen_len": 100, "temperature": 0.4, "top_p": 0.8},
        "text_completion",
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.temperature": 0.4,
            "gen_ai.request.top_p": 0.8,
        },
        {
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "mistral.mistral-7b-instruct-v0:2",
        {"prompt": "Hi", "max_tokens": 100, "top_k": 50, "stop": ["</s>"]},
        "text_completion",
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.top_k": 50.0,
            "gen_ai.request.stop_sequences": ("</s>",),
        },
        {
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 12,  # Bedrock's headers / invocation metrics
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "mistral.mistral-large-2407-v1:0",
        {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 100, "temperature": 0.1},
        "chat",
        {"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.1},
        {
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "cohere.command-r-v1:0",
        {
            "message": "Hi",
            "preamble": "Be brief.",
            "chat_history": [
                {"role": "USER", "message": "Hello"},
                {"role": "CHATBOT", "message": "Hi there"},
            ],
            "max_tokens": 100,
            "p": 0.9,
            "k": 40,
        },
        "chat",
        {
            "gen_ai.request.max_tokens": 100,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.top_k": 40.0,
        },
        {
            "gen_ai.response.id": "cohere-fake01",
            "gen_ai.response.finish_reasons": ("COMPLETE",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
        },
    ),
    (
        "cohere.command-text-v14",
        {"prompt": "Hi", "max_tokens": 100, "temperature": 0.7},
        "text_completion",
        {"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.7},
        {"gen_ai.response.finish_reasons": ("COMPLETE",), "gen_ai.usage.input_tokens": 12},
    ),
]
STREAMED = [case for case in CASES if not case[0].startswith("cohere.command-text")]


def _span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def _check(
    span: ReadableSpan,
    model: str,
    operation: str,
    request: dict[str, Any],
    response: dict[str, Any],
) -> dict[str, Any]:
    attrs = dict(span.attributes or {})
    assert span.name == f"{operation} {model}"
    assert span.kind.name == "CLIENT" and span.status.status_code.name == "UNSET"
    assert attrs["gen_ai.operation.name"] == operation
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["gen_ai.request.model"] == model
    expected = {**request, **response}
    assert {k: attrs.get(k) for k in expected} == expected
    (message,) = loads(attrs["gen_ai.output.messages"])
    assert message["parts"] == [{"type": "text", "content": TEXT}]
    assert message["finish_reason"] == "stop"
    inputs = loads(attrs["gen_ai.input.messages"])
    assert inputs[-1] == USER[0]
    return attrs


@pytest.mark.parametrize(("model", "body", "operation", "request_attrs", "response_attrs"), CASES)
def test_invoke_model(
    client: Any,
    exporter: InMemorySpanExporter,
    model: str,
    body: dict[str, Any],
    operation: str,
    request_attrs: dict[str, Any],
    response_attrs: dict[str, Any],
) -> None:
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    data = response["body"].read()  # the caller reads what the server sent, untouched
    assert json.loads(data) == json.loads(json.dumps(invoke_body(_fake_family(model, body))))
    attrs = _check(_span(exporter), model, operation, request_attrs, response_attrs)
    assert "gen_ai.request.stream" not in attrs
    if "system" in body or "preamble" in body:
        assert loads(attrs["gen_ai.system_instructions"]) == [
            {"type": "text", "content": "Be brief."}
        ]


@pytest.mark.parametrize(
    ("model", "body", "operation", "request_attrs", "response_attrs"), STREAMED
)
def test_invoke_model_stream(
    client: Any,
    exporter: InMemorySpanExporter,
    model: str,
    body: dict[str, Any],
    operation: str,
    request_attrs: dict[str, Any],
    response_attrs: dict[str, Any],
) -> None:
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert len(chunks) >= 5
    attrs = _check(_span(exporter), model, operation, request_attrs, response_attrs)
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0


def test_cohere_chat_history(client: Any, exporter: InMemorySpanExporter) -> None:
    model, body = CASES[6][0], CASES[6][1]
    client.invoke_model(modelId=model, body=json.dumps(body))
    attrs = dict(_span(exporter).attributes or {})
    assert loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hello"}]},
        {"role": "assistant", "parts": [{"type": "text", "content": "Hi there"}]},
        *USER,
    ]


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "hello", "dimensions": DIMENSION},
            {"gen_ai.usage.input_tokens": 5},  # the body's count before the header's
        ),
        (
            "cohere.embed-english-v3",
            {"texts": ["hello"], "input_type": "search_document", "embedding_types": ["float"]},
            {
                "gen_ai.response.id": "cohere-embed-fake01",
                "gen_ai.request.encoding_formats": ("float",),
                "gen_ai.usage.input_tokens": 12,
            },
        ),
    ],
)
def test_embeddings(
    client: Any, exporter: InMemorySpanExporter, model: str, body: dict[str, Any], expected: Any
) -> None:
    response = client.invoke_model(modelId=model, body=json.dumps(body).encode())
    assert len(json.loads(response["body"].read())) > 0
    span = _span(exporter)
    attrs = dict(span.attributes or {})
    assert span.name == f"embeddings {model}"
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["spanwise.span.type"] == "EMBEDDING"
    assert attrs["gen_ai.embeddings.dimension.count"] == DIMENSION
    assert {k: attrs.get(k) for k in expected} == expected
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs


def test_unknown_model_left_unread(client: Any, exporter: InMemorySpanExporter) -> None:
    """An image generator or imported model: a span with Bedrock's header token counts;
    its (possibly large) body is not read, the caller's StreamingBody is boto3's own."""
    response = client.invoke_model(
        modelId="stability.sd3-large-v1:0", body=json.dumps({"prompt": "a cat"})
    )
    assert json.loads(response["body"].read()) == {"ok": True}
    attrs = dict(_span(exporter).attributes or {})
    assert attrs["gen_ai.operation.name"] == "text_completion"
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert "gen_ai.output.messages" not in attrs


def test_file_body_is_left_alone(client: Any, exporter: InMemorySpanExporter) -> None:
    import io

    body = io.BytesIO(json.dumps({"prompt": "Hi", "max_gen_len": 7}).encode())
    response = client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)
    assert json.loads(response["body"].read())["generation"] == TEXT
    attrs = dict(_span(exporter).attributes or {})
    assert "gen_ai.request.max_tokens" not in attrs  # a file object is the caller's to read
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": TEXT}]


def _fake_family(model: str, body: dict[str, Any]) -> str:
    from fake_bedrock import _family  # pyright: ignore[reportPrivateUsage]

    return _family(model, body)
