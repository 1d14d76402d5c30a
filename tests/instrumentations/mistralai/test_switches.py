"""autolog / instrument switches, the content policy, secrets, metrics, one model span per
call, never-break, and the pure extractors."""

from __future__ import annotations

import json
from typing import Any

import pytest
import wrapt
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.mistralai import _extract as x

MESSAGES = [{"role": "user", "content": "secret prompt"}]


@pytest.fixture
def plain_client(sdk: Any, fake_server: Any) -> Any:
    return sdk.Mistral(api_key="k", server_url=fake_server.base_url)


def _complete(client: Any, **kwargs: Any) -> Any:
    return client.chat.complete(**{"model": "mistral-small", "messages": MESSAGES, **kwargs})


def _patched(sdk: Any) -> bool:
    return isinstance(vars(sdk.Chat)["complete"], wrapt.FunctionWrapper)


def _model_spans(exporter: InMemorySpanExporter) -> list[Any]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope is not None
        and s.instrumentation_scope.name == "spanwise.instrumentations.mistralai"
    ]


def test_the_sdks_own_span_gives_way(
    sdk: Any, fake_server: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SDKs since 2.0 trace their API calls on the global provider (3.x when
    MISTRAL_SDK_TELEMETRY says so): while spanwise records a call, only its span is."""
    if sdk.version < (2, 0):
        pytest.skip("mistralai before 2.0 has no tracing of its own")
    monkeypatch.setenv("MISTRAL_SDK_TELEMETRY", "global")
    client = sdk.Mistral(api_key="k", server_url=fake_server.base_url)
    _complete(client)
    native = [s for s in exporter.get_finished_spans() if s not in _model_spans(exporter)]
    assert len(native) == 1  # the SDK's own span, without spanwise
    exporter.clear()
    spanwise.mistralai.autolog()
    try:
        _complete(client)
        list(client.chat.stream(model="m", messages=MESSAGES))
    finally:
        spanwise.mistralai.autolog(disable=True)
    spans = exporter.get_finished_spans()
    assert len(spans) == 2 and len(_model_spans(exporter)) == 2


@pytest.mark.parametrize(
    ("url", "address", "port"),
    [
        ("https://api.mistral.ai", "api.mistral.ai", 443),
        ("http://localhost:8080/", "localhost", 8080),
    ],
)
def test_provider_and_server(url: str, address: str, port: int) -> None:
    attrs = x.PROVIDERS.attributes(url)
    assert attrs == {
        "gen_ai.provider.name": "mistral_ai",
        "server.address": address,
        "server.port": port,
    }


def test_extractors_on_plain_objects() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
                {"type": "text", "text": "calling"},
            ],
            "tool_calls": [
                {"id": "t1", "function": {"name": "f", "arguments": {"a": 1}}},
                {"id": "t2", "function": {"name": "g", "arguments": '{"b": 2}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "42"},
        {
            "role": "user",
            "content": [
                {"type": "file", "file_id": "file_1"},
                {"type": "input_audio", "input_audio": "UklGRg=="},
                {"type": "reference", "reference_ids": [1]},
            ],
        },
    ]
    assert x.input_messages(messages) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "hmm"},
                {"type": "text", "content": "calling"},
                {"type": "tool_call", "name": "f", "id": "t1", "arguments": {"a": 1}},
                {"type": "tool_call", "name": "g", "id": "t2", "arguments": {"b": 2}},
            ],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "t1", "response": "42"}]},
        {
            "role": "user",
            "parts": [
                {"type": "file", "modality": "file", "file_id": "file_1"},
                {"type": "blob", "modality": "audio", "content": "UklGRg=="},
                {"type": "reference"},
            ],
        },
    ]
    assert x.chat_response_attributes({}) == {}
    assert x.usage_attributes(
        {
            "prompt_tokens": 20,
            "completion_tokens": 18,
            "prompt_tokens_details": {"cached_tokens": 10},
        }
    ) == {
        "gen_ai.usage.input_tokens": 20,
        "gen_ai.usage.output_tokens": 18,
        "gen_ai.usage.cache_read.input_tokens": 10,
    }
    assert x.finish_reason("model_length") == "length"
    assert x.finish_reason("tool_calls") == "tool_call"
    assert x.finish_reason(None) == "error"
    assert x.chat_request_attributes(
        {"model": "m", "stop": "END", "top_k": True, "n": 2, "random_seed": 1.5}, stream=True
    ) == {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.choice.count": 2,
        "gen_ai.request.stream": True,
    }
    json.dumps(x.input_messages(messages))  # plain JSON
