"""autolog / instrument switches, the content policy, secrets, metrics, one model span per
call, never-break, and the pure extractors."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.mistralai import MistralAIInstrumentor
from spanwise.instrumentations.mistralai import _extract as x

from fake_mistral import CANARY_KEY

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


def test_autolog_disable_removes_the_patches(
    sdk: Any, plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.mistralai.autolog()
    assert _patched(sdk)
    spanwise.mistralai.autolog(disable=True)
    assert not _patched(sdk)
    _complete(plain_client)
    assert _model_spans(exporter) == []


def test_log_traces_false_keeps_patches_and_records_nothing(
    sdk: Any, plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.mistralai.autolog(log_traces=False)
    try:
        assert _patched(sdk)
        _complete(plain_client)
        list(plain_client.chat.stream(model="m", messages=MESSAGES))
        assert _model_spans(exporter) == []
    finally:
        spanwise.mistralai.autolog(disable=True)


def test_spanwise_autolog_covers_mistralai(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.autolog()
    try:
        _complete(plain_client)
        assert len(_model_spans(exporter)) == 1
    finally:
        spanwise.autolog(disable=True)
    _complete(plain_client)
    assert len(_model_spans(exporter)) == 1


def test_plain_instrumentor_uses_its_provider_and_records_metadata_only(
    plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    instrumentor = MistralAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _complete(plain_client)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        from spanwise.common._content import reset_content_settings

        reset_content_settings()
        _complete(plain_client)
    finally:
        instrumentor.uninstrument()
    assert _model_spans(exporter) == []  # never the global provider when one was passed
    metadata_only, with_content = own.get_finished_spans()
    assert "gen_ai.input.messages" not in (metadata_only.attributes or {})
    assert metadata_only.attributes["gen_ai.usage.output_tokens"] == 9  # type: ignore[index]
    assert "secret prompt" in str(with_content.attributes["gen_ai.input.messages"])  # type: ignore[index]


def test_env_off_beats_autolog(
    plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.mistralai.autolog()
    try:
        _complete(plain_client)
        list(plain_client.chat.stream(model="m", messages=MESSAGES))
    finally:
        spanwise.mistralai.autolog(disable=True)
    spans = _model_spans(exporter)
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert len(spans) == 2
    assert "secret" not in dumped and "Hello" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped


def test_cached_wrappers_pass_through_after_uninstrument(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.mistralai.autolog()
    complete = plain_client.chat.complete  # binds the wrapped method
    spanwise.mistralai.autolog(disable=True)
    complete(model="m", messages=MESSAGES)
    assert _model_spans(exporter) == []


def test_suppress_instrumentation_is_honoured(client: Any, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        _complete(client)
    assert _model_spans(exporter) == []


def test_nested_under_the_callers_span(client: Any, exporter: InMemorySpanExporter) -> None:
    with spanwise.start_span("agent"):
        _complete(client)
    chat, agent = exporter.get_finished_spans()
    assert chat.parent is not None and agent.context is not None
    assert chat.parent.span_id == agent.context.span_id


def test_no_secret_enters_a_span(
    client: Any, sdk: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    _complete(client)
    list(client.chat.stream(model="m", messages=MESSAGES))
    client.embeddings.create(model="mistral-embed", inputs=["a"])
    with pytest.raises(sdk.SDKError):
        _complete(client, model="error-401")
    dumped = "".join(span.to_json() for span in exporter.get_finished_spans())
    sent = [str(r["headers"]) for r in fake_server.requests[-4:]]
    assert all(CANARY_KEY in headers for headers in sent)  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded
    assert "authorization" not in dumped.lower() and "bearer" not in dumped.lower()


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


def test_internal_errors_never_break_the_call(
    client: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.common import _safety

    def broken(kwargs: Any, *, stream: bool) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(x, "chat_request_attributes", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    with pytest.raises(RuntimeError, match="a spanwise bug"):  # loud under tests...
        _complete(client)
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")  # ...logged once in an app
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert _complete(client).choices[0].message.content
    warnings = [r for r in caplog.records if "internal error in mistralai request" in r.message]
    assert len(warnings) == 1
    assert _model_spans(exporter) == []  # the call proceeded untraced


def test_metrics(sdk: Any, fake_server: Any) -> None:
    reader = InMemoryMetricReader()
    instrumentor = MistralAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider([reader])
    )
    try:
        client = sdk.Mistral(api_key="k", server_url=fake_server.base_url)
        _complete(client)
        with pytest.raises(sdk.SDKError):
            _complete(client, model="error-429")
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
    assert durations[None].attributes["gen_ai.provider.name"] == "mistral_ai"
    assert durations["SDKError"].attributes["gen_ai.request.model"] == "error-429"
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": 12, "output": 9}


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
