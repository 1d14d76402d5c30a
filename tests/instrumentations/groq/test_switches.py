"""autolog / instrument switches, the content policy, secrets, metrics, nesting and
never-break."""

from __future__ import annotations

import logging
from typing import Any

import groq
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.groq import GroqInstrumentor

from fake_openai import CANARY_KEY

MESSAGES = [{"role": "user", "content": "secret prompt"}]


@pytest.fixture
def plain_client(base_url: str) -> Any:
    return groq.Groq(base_url=base_url, api_key="k", max_retries=0)


def _complete(client: Any, **kwargs: Any) -> Any:
    return client.chat.completions.create(**{"model": "llama", "messages": MESSAGES, **kwargs})


def _patched() -> bool:
    from groq.resources.chat.completions import Completions

    return isinstance(vars(Completions)["create"], wrapt.FunctionWrapper)


def _model_spans(exporter: InMemorySpanExporter) -> list[Any]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope is not None
        and s.instrumentation_scope.name == "spanwise.instrumentations.groq"
    ]


def test_autolog_disable_removes_the_patches(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.groq.autolog()
    assert _patched()
    spanwise.groq.autolog(disable=True)
    assert not _patched()
    _complete(plain_client)
    assert _model_spans(exporter) == []


def test_log_traces_false_keeps_patches_and_records_nothing(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.groq.autolog(log_traces=False)
    try:
        assert _patched()
        _complete(plain_client)
        list(_complete(plain_client, stream=True))
        assert _model_spans(exporter) == []
    finally:
        spanwise.groq.autolog(disable=True)


def test_spanwise_autolog_covers_groq(plain_client: Any, exporter: InMemorySpanExporter) -> None:
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
    instrumentor = GroqInstrumentor()
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
    spanwise.groq.autolog()
    try:
        _complete(plain_client)
        list(_complete(plain_client, stream=True))
    finally:
        spanwise.groq.autolog(disable=True)
    spans = _model_spans(exporter)
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert len(spans) == 2
    assert "secret" not in dumped and "Hello" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped


def test_cached_wrappers_pass_through_after_uninstrument(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.groq.autolog()
    create = plain_client.chat.completions.create  # binds the wrapped method
    spanwise.groq.autolog(disable=True)
    create(model="m", messages=MESSAGES)
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
    client: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    _complete(client)
    list(_complete(client, stream=True))
    with pytest.raises(groq.NotFoundError):
        _complete(client, model="error-404")
    dumped = "".join(span.to_json() for span in exporter.get_finished_spans())
    sent = [str(r["headers"]) for r in fake_server.requests[-3:]]
    assert all(CANARY_KEY in headers for headers in sent)  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded
    assert "authorization" not in dumped.lower() and "bearer" not in dumped.lower()


def test_internal_errors_never_break_the_call(
    client: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.common import _safety
    from spanwise.instrumentations.groq._patch import CHAT

    def broken(kwargs: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(CHAT, "request_attributes", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    with pytest.raises(RuntimeError, match="a spanwise bug"):  # loud under tests...
        _complete(client)
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")  # ...logged once in an app
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert _complete(client).choices[0].message.content
        assert len(list(_complete(client, stream=True))) > 1
    warnings = [r for r in caplog.records if "internal error in groq request" in r.message]
    assert len(warnings) == 1
    assert _model_spans(exporter) == []  # the calls proceeded untraced


def test_metrics(base_url: str) -> None:
    reader = InMemoryMetricReader()
    instrumentor = GroqInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider([reader])
    )
    try:
        client = groq.Groq(base_url=base_url, api_key="k", max_retries=0)
        _complete(client)
        with pytest.raises(groq.InternalServerError):
            _complete(client, model="error-500")
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
    assert durations[None].attributes["gen_ai.provider.name"] == "groq"
    assert durations["InternalServerError"].attributes["gen_ai.request.model"] == "error-500"
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": 12, "output": 9}
