"""autolog / instrument switches, the content policy, and the pure extractors."""

from __future__ import annotations

from typing import Any

import openai
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.openai import OpenAIInstrumentor
from spanwise.instrumentations.openai import _extract as x

MESSAGES = [{"role": "user", "content": "secret prompt"}]


@pytest.fixture
def plain_client(fake_server: Any) -> Any:
    return openai.OpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0)


def _create(client: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_autolog_disable_removes_the_patches(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    completions = openai.resources.chat.completions.Completions
    spanwise.openai.autolog()
    assert isinstance(vars(completions)["create"], wrapt.FunctionWrapper)
    spanwise.openai.autolog(disable=True)
    assert not isinstance(vars(completions)["create"], wrapt.FunctionWrapper)
    _create(plain_client)
    assert exporter.get_finished_spans() == ()


def test_log_traces_false_keeps_patches_and_records_nothing(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.openai.autolog(log_traces=False)
    try:
        completions = openai.resources.chat.completions.Completions
        assert isinstance(vars(completions)["create"], wrapt.FunctionWrapper)
        assert _create(plain_client).choices
        assert exporter.get_finished_spans() == ()
    finally:
        spanwise.openai.autolog(disable=True)


def test_spanwise_autolog_covers_installed_libraries(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.autolog()
    try:
        _create(plain_client)
        assert len(exporter.get_finished_spans()) == 1
    finally:
        spanwise.autolog(disable=True)
    _create(plain_client)
    assert len(exporter.get_finished_spans()) == 1


def test_plain_instrumentor_records_metadata_only(
    plain_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    instrumentor.instrument(tracer_provider=provider)  # a second call is harmless
    try:
        _create(plain_client)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        from spanwise.common._content import reset_content_settings

        reset_content_settings()
        _create(plain_client)
    finally:
        instrumentor.uninstrument()
    metadata_only, with_content = own.get_finished_spans()
    assert "gen_ai.input.messages" not in (metadata_only.attributes or {})
    assert metadata_only.attributes["gen_ai.usage.input_tokens"] == 12  # type: ignore[index]
    assert "secret prompt" in str(with_content.attributes["gen_ai.input.messages"])  # type: ignore[index]


def test_env_off_beats_autolog(
    plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "NO_CONTENT")
    spanwise.openai.autolog()
    try:
        _create(plain_client)
        list(
            plain_client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            )
        )
    finally:
        spanwise.openai.autolog(disable=True)
    dumped = repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])
    assert "secret prompt" not in dumped and "Hello" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped


def test_cached_wrappers_pass_through_after_uninstrument(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.openai.autolog()
    raw = plain_client.chat.completions.with_raw_response  # binds the wrapped create
    spanwise.openai.autolog(disable=True)
    raw.create(model="gpt-4o-mini", messages=MESSAGES)
    assert exporter.get_finished_spans() == ()


def test_suppress_instrumentation_is_honoured(client: Any, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        _create(client)
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(
    ("base_url", "provider", "address"),
    [
        ("https://api.openai.com/v1", "openai", "api.openai.com"),
        (
            "https://my-res.openai.azure.com/openai/deployments/gpt",
            "azure.ai.openai",
            "my-res.openai.azure.com",
        ),
        ("https://api.deepseek.com", "deepseek", "api.deepseek.com"),
        ("https://api.groq.com/openai/v1", "groq", "api.groq.com"),
        (
            "https://adb-123.4.azuredatabricks.net/serving-endpoints",
            "databricks",
            "adb-123.4.azuredatabricks.net",
        ),
        (
            "https://dbc-1.cloud.databricks.com/serving-endpoints",
            "databricks",
            "dbc-1.cloud.databricks.com",
        ),
        ("https://gateway.internal/serving-endpoints", "databricks", "gateway.internal"),
        ("http://localhost:11434/v1", "openai", "localhost"),
    ],
)
def test_provider_from_base_url(base_url: str, provider: str, address: str) -> None:
    attrs = x.provider_attributes(base_url)
    assert attrs["gen_ai.provider.name"] == provider
    assert attrs["server.address"] == address
    assert isinstance(attrs["server.port"], int)


def test_extractors_on_plain_objects() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "f", "arguments": "not json"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    assert x.input_messages(messages) == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "what is this?"},
                {"type": "uri", "modality": "image", "uri": "https://x/cat.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "name": "f", "id": "c1", "arguments": "not json"}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]},
    ]
    assert x.chat_response_attributes({}) == {}
    assert x.usage_attributes({"prompt_tokens": 3}) == {"gen_ai.usage.input_tokens": 3}
    assert x.chat_request_attributes(
        {"model": "m", "stop": "END", "n": 1, "max_completion_tokens": 9}
    ) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.max_tokens": 9,
    }
