"""converse: whole spans (request parameters, system prompt, tools, usage, server), tool
use round trips in the parts format, and botocore's errors recorded and re-raised."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest
from botocore.stub import Stubber
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads, span_dict
from fake_bedrock import TEXT

MODEL = "amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "What is the weather in Paris?"}]}]
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "inputSchema": {
                    "json": {"type": "object", "properties": {"city": {"type": "string"}}}
                },
            }
        },
    ]
}
CACHE_POINT = {"cachePoint": {"type": "default"}}


def knows(client: Any, shape: str, member: str) -> bool:
    """Whether this botocore's service model has ``shape.member`` (Converse grew blocks
    and fields after 1.34.116, the oldest boto3 supported)."""
    try:
        return member in client.meta.service_model.shape_for(shape).members
    except Exception:  # the shape itself came later
        return False


def _span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def test_converse_whole_span(client: Any, fake_server: Any, exporter: InMemorySpanExporter) -> None:
    system: list[dict[str, Any]] = [{"text": "Be brief."}]
    if knows(client, "SystemContentBlock", "cachePoint"):
        system.append({"cachePoint": {"type": "default"}})  # a marker, not content
    response = client.converse(
        modelId=MODEL,
        messages=MESSAGES,
        system=system,
        inferenceConfig={"maxTokens": 100, "temperature": 0.5, "topP": 0.9, "stopSequences": ["X"]},
        additionalModelRequestFields={"inferenceConfig": {"topK": 10}},
    )
    assert response["output"]["message"]["content"] == [{"text": TEXT}]
    span = span_dict(_span(exporter))
    attrs = span.pop("attributes")
    assert span == {
        "name": f"chat {MODEL}",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
    }
    assert attrs == {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": MODEL,
        "gen_ai.provider.name": "aws.bedrock",
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 10.0,
        "gen_ai.request.stop_sequences": ("X",),
        "gen_ai.system_instructions": '[{"type":"text","content":"Be brief."}]',
        "gen_ai.input.messages": (
            '[{"role":"user","parts":[{"type":"text","content":"What is the weather in Paris?"}]}]'
        ),
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.output.messages": (
            '[{"role":"assistant","parts":[{"type":"text","content":"' + TEXT + '"}],'
            '"finish_reason":"stop"}]'
        ),
    }


def test_tool_use_round_trip(client: Any, exporter: InMemorySpanExporter) -> None:
    tools = TOOLS
    if knows(client, "Tool", "cachePoint"):
        tools = {"tools": [*TOOLS["tools"], CACHE_POINT]}  # a marker, not a tool
    first = client.converse(modelId=MODEL, messages=MESSAGES, toolConfig=tools)
    assert first["stopReason"] == "tool_use"
    call = first["output"]["message"]["content"][0]["toolUse"]
    history = [
        *MESSAGES,
        first["output"]["message"],
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": call["toolUseId"],
                        "content": [{"json": {"forecast": "sunny"}}],
                    }
                }
            ],
        },
    ]
    client.converse(modelId=MODEL, messages=history, toolConfig=tools)
    calling, answering = exporter.get_finished_spans()
    for span in (calling, answering):
        semconv_check.check_attributes(dict(span.attributes or {}))
    a = dict(calling.attributes or {})
    assert loads(a["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    assert a["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert loads(a["gen_ai.output.messages"]) == [
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
    b = dict(answering.attributes or {})
    assert loads(b["gen_ai.input.messages"])[1:] == [
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
        },
        {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": "tooluse_fake01",
                    "response": {"forecast": "sunny"},
                }
            ],
        },
    ]


def test_images_documents_and_reasoning(client: Any, exporter: InMemorySpanExporter) -> None:
    for block in ("document", "video", "reasoningContent"):
        if not knows(client, "ContentBlock", block):
            pytest.skip(f"this botocore's Converse has no {block} blocks (added later)")
    messages = [
        {
            "role": "user",
            "content": [
                {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}},
                {"document": {"format": "pdf", "name": "d", "source": {"bytes": b"%PDF"}}},
                {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://b/v.mp4"}}}},
                {"text": "Describe."},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
                {"text": "ok"},
            ],
        },
        {"role": "user", "content": [{"text": "More."}]},
    ]
    client.converse(modelId=MODEL, messages=messages)
    attrs = dict(_span(exporter).attributes or {})
    first, second, _ = loads(attrs["gen_ai.input.messages"])
    assert first["parts"] == [
        {"type": "blob", "modality": "image", "content": "iVBORw==", "mime_type": "image/png"},
        {"type": "blob", "modality": "file", "content": "JVBERg=="},
        {"type": "uri", "modality": "video", "uri": "s3://b/v.mp4", "mime_type": "video/mp4"},
        {"type": "text", "content": "Describe."},
    ]
    assert second["parts"] == [
        {"type": "reasoning", "content": "hmm"},
        {"type": "text", "content": "ok"},
    ]
    assert "sig" not in attrs["gen_ai.input.messages"]


def test_cache_usage(client: Any, exporter: InMemorySpanExporter) -> None:
    if not knows(client, "TokenUsage", "cacheReadInputTokens"):
        pytest.skip("this botocore drops Converse's cache counts (added later)")
    client.converse(modelId="cache-model", messages=MESSAGES)
    attrs = dict(_span(exporter).attributes or {})
    assert attrs["gen_ai.usage.input_tokens"] == 12 + 32 + 8  # cache reads and writes count
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 32
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 8
    assert attrs["gen_ai.usage.output_tokens"] == 9


@pytest.mark.parametrize(
    ("model", "code", "cls"),
    [
        ("error-throttle", "ThrottlingException", "ThrottlingException"),
        ("error-validation", "ValidationException", "ValidationException"),
        ("error-unmodeled", "BrandNewException", "ClientError"),
    ],
)
def test_client_errors(
    client: Any, exporter: InMemorySpanExporter, model: str, code: str, cls: str
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.converse(modelId=model, messages=MESSAGES)
    assert type(raised.value).__name__ == cls  # unchanged: botocore's own class
    assert raised.value.response["Error"]["Code"] == code
    span = span_dict(_span(exporter))
    assert span["status"] == "ERROR"
    assert span["attributes"]["error.type"] == code
    (event,) = span["events"]
    assert event["name"] == "exception"
    assert (
        code in event["attributes"]["exception.message"]
        or cls in event["attributes"]["exception.type"]
    )


def test_region_endpoint(autolog: None, exporter: InMemorySpanExporter) -> None:
    """A client on the region's endpoint (answered by botocore's Stubber, which stands in
    for the HTTP layer): server.address is the region's Bedrock Runtime host."""
    import boto3

    client = boto3.client("bedrock-runtime", region_name="eu-west-3")
    answer = {
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
        "metrics": {"latencyMs": 1},
    }
    with Stubber(client) as stub:
        stub.add_response("converse", answer)
        client.converse(modelId=MODEL, messages=MESSAGES)
    attrs = dict(_span(exporter).attributes or {})
    assert attrs["server.address"] == "bedrock-runtime.eu-west-3.amazonaws.com"
    assert attrs["server.port"] == 443
    assert attrs["gen_ai.usage.output_tokens"] == 2
