"""autolog / instrument switches, the content policy, secrets, metrics, one model span per
call, and the pure extractors."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
import wrapt
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spanwise.instrumentations.anthropic import _extract as x

MESSAGES = [{"role": "user", "content": "secret prompt"}]


@pytest.fixture
def plain_client(fake_server: Any) -> Any:
    return anthropic.Anthropic(base_url=fake_server.base_url, api_key="k", max_retries=0)


def _create(client: Any, **kwargs: Any) -> Any:
    return client.messages.create(
        **{"model": "claude-x", "max_tokens": 16, "messages": MESSAGES, **kwargs}
    )


def _patched() -> bool:
    return isinstance(vars(anthropic.resources.messages.Messages)["create"], wrapt.FunctionWrapper)


def _chat_spans(exporter: InMemorySpanExporter) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("chat ")]


@pytest.mark.parametrize(
    ("base_url", "provider"),
    [
        ("https://api.anthropic.com", "anthropic"),
        ("https://bedrock-runtime.us-east-1.amazonaws.com", "aws.bedrock"),
        ("https://us-east5-aiplatform.googleapis.com/v1", "gcp.vertex_ai"),
        ("http://localhost:8080", "anthropic"),
    ],
)
def test_provider_from_base_url(base_url: str, provider: str) -> None:
    attrs = x.PROVIDERS.attributes(base_url)
    assert attrs["gen_ai.provider.name"] == provider
    assert isinstance(attrs["server.port"], int)


def test_extractors_on_plain_objects() -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "42", "is_error": False},
                {
                    "type": "tool_result",
                    "tool_use_id": "t2",
                    "content": [
                        {"type": "text", "text": "see"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "AA"},
                        },
                    ],
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JV"},
                },
                {"type": "document", "source": {"type": "file", "file_id": "file_1"}},
            ],
        },
    ]
    assert x.input_messages(messages) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "hmm"},
                {"type": "redacted_thinking"},
                {"type": "tool_call", "name": "f", "id": "t1", "arguments": {"a": 1}},
            ],
        },
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": "t1", "response": "42"},
                {
                    "type": "tool_call_response",
                    "id": "t2",
                    "response": [
                        {"type": "text", "content": "see"},
                        {
                            "type": "blob",
                            "modality": "image",
                            "content": "AA",
                            "mime_type": "image/png",
                        },
                    ],
                },
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "type": "blob",
                    "modality": "file",
                    "content": "JV",
                    "mime_type": "application/pdf",
                },
                {"type": "file", "modality": "file", "file_id": "file_1"},
            ],
        },
    ]
    assert x.response_attributes({}) == {}
    assert x.usage_attributes({"input_tokens": 3, "cache_read_input_tokens": None}) == {
        "gen_ai.usage.input_tokens": 3
    }
    assert x.finish_reason("max_tokens") == "length"
    assert x.finish_reason("refusal") == "content_filter"
    assert x.finish_reason(None) == "error"
    assert x.request_attributes({"model": "m", "stop_sequences": "END", "top_k": True}) == {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.request.stop_sequences": ["END"],
    }
    assert x.tool_definitions([{"type": "web_search_20250305", "name": "web_search"}]) == [
        {"type": "web_search_20250305", "name": "web_search"}
    ]
    json.dumps(x.input_messages(messages))  # plain JSON
