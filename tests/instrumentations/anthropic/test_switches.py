"""autolog / instrument switches, the content policy, secrets, metrics, one model span per
call, and the pure extractors."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.anthropic import AnthropicInstrumentor
from spanwise.instrumentations.anthropic import _extract as x

from fake_anthropic import CANARY_KEY

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


def test_autolog_disable_removes_the_patches(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.anthropic.autolog()
    spanwise.anthropic.autolog(disable=True)
    assert not _patched()
    _create(plain_client)
    assert _chat_spans(exporter) == []


def test_log_traces_false_keeps_patches_and_records_nothing(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.anthropic.autolog(log_traces=False)
    try:
        assert _patched()
        _create(plain_client)
        assert _chat_spans(exporter) == []
    finally:
        spanwise.anthropic.autolog(disable=True)


def test_spanwise_autolog_covers_anthropic(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.autolog()
    try:
        _create(plain_client)
        assert len(_chat_spans(exporter)) == 1
    finally:
        spanwise.autolog(disable=True)
    _create(plain_client)
    assert len(_chat_spans(exporter)) == 1


def test_plain_instrumentor_uses_its_provider_and_records_metadata_only(
    plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _create(plain_client)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        from spanwise.common._content import reset_content_settings

        reset_content_settings()
        _create(plain_client)
    finally:
        instrumentor.uninstrument()
    assert _chat_spans(exporter) == []  # never the global provider when one was passed
    metadata_only, with_content = own.get_finished_spans()
    assert "gen_ai.input.messages" not in (metadata_only.attributes or {})
    assert metadata_only.attributes["gen_ai.usage.output_tokens"] == 9  # type: ignore[index]
    assert "secret prompt" in str(with_content.attributes["gen_ai.input.messages"])  # type: ignore[index]


def test_env_off_beats_autolog(
    plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.anthropic.autolog()
    try:
        _create(plain_client, system="secret system")
        list(_create(plain_client, stream=True))
        with plain_client.messages.stream(
            model="claude-x", max_tokens=16, messages=MESSAGES
        ) as stream:
            stream.until_done()
    finally:
        spanwise.anthropic.autolog(disable=True)
    dumped = repr([dict(s.attributes or {}) for s in _chat_spans(exporter)])
    assert len(_chat_spans(exporter)) == 3
    assert "secret" not in dumped and "Hello" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped


def test_cached_wrappers_pass_through_after_uninstrument(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.anthropic.autolog()
    raw = plain_client.messages.with_raw_response  # binds the wrapped create
    spanwise.anthropic.autolog(disable=True)
    raw.create(model="claude-x", max_tokens=16, messages=MESSAGES)
    assert _chat_spans(exporter) == []


def test_suppress_instrumentation_is_honoured(client: Any, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        _create(client)
    assert _chat_spans(exporter) == []


def test_no_secret_enters_a_span(
    client: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    _create(client)
    list(_create(client, stream=True))
    with pytest.raises(anthropic.BadRequestError):
        _create(client, model="error-400")
    spans = exporter.get_finished_spans()
    dumped = "".join(span.to_json() for span in spans)
    assert any(CANARY_KEY in str(r["headers"]) for r in fake_server.requests)  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded
    assert "x-api-key" not in dumped.lower()


def test_metrics(fake_server: Any) -> None:
    reader = InMemoryMetricReader()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider([reader])
    )
    try:
        client = anthropic.Anthropic(base_url=fake_server.base_url, api_key="k", max_retries=0)
        _create(client)
        with pytest.raises(anthropic.RateLimitError):
            _create(client, model="error-429")
    finally:
        instrumentor.uninstrument()
    data = reader.get_metrics_data()
    assert data is not None
    points = {
        m.name: list(m.data.data_points)
        for r in data.resource_metrics
        for s in r.scope_metrics
        for m in s.metrics
    }
    durations = {
        p.attributes.get("error.type"): p for p in points["gen_ai.client.operation.duration"]
    }
    assert durations[None].attributes["gen_ai.provider.name"] == "anthropic"
    assert durations["RateLimitError"].attributes["gen_ai.request.model"] == "error-429"
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": 19, "output": 9}


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
