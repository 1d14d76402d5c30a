"""The instrumentor contract, once for every provider library (tests/_lib/contract_cases.py):
autolog's switches, the content policy, the tracer provider passed to ``instrument()``,
suppression, nesting, the secret canary, never-break and metrics. Each library's own
folder tests what is its own (operations, streams, formats, cassettes, zero-code)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
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
from spanwise.common import _safety
from spanwise.common._content import reset_content_settings
from spanwise.instrumentations._registry import library

from contract_cases import CASES, Case


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Case, Any]]:
    """A case and its fake server, started once per case."""
    case: Case = request.param
    case.load()
    server = case.server()
    yield case, server
    server.stop()


@pytest.fixture
def case(served: tuple[Case, Any]) -> Case:
    return served[0]


@pytest.fixture
def server(served: tuple[Case, Any]) -> Any:
    return served[1]


@pytest.fixture
def plain_client(case: Case, server: Any) -> Any:
    """A client with a key that is not the canary (the canary tests use ``client``)."""
    return case.client(server, "k")


@pytest.fixture
def client(case: Case, server: Any) -> Iterator[Any]:
    """An autologged client with the canary key."""
    autolog(case)
    yield case.client(server, case.canary())
    autolog(case, disable=True)


def autolog(case: Case, **kwargs: Any) -> None:
    getattr(spanwise, case.name).autolog(**kwargs)


def patched(case: Case) -> list[bool]:
    """For every method the instrumentor targets in this SDK version: is it wrapped?"""
    found: list[bool] = []
    for target in library(case.name).load()._targets:
        try:
            module = importlib.import_module(target.module)
        except ImportError:
            continue
        for cls in (target.sync_cls, target.async_cls):
            owner = getattr(module, cls, None) if cls else None
            if owner is not None and target.method in vars(owner):
                found.append(isinstance(vars(owner)[target.method], wrapt.FunctionWrapper))
    assert found, f"none of {case.name}'s targets exist"
    return found


def model_spans(case: Case, exporter: InMemorySpanExporter) -> list[Any]:
    scope = f"spanwise.instrumentations.{case.name}"
    return [
        s
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope is not None and s.instrumentation_scope.name == scope
    ]


def test_autolog_disable_removes_the_patches(
    case: Case, plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    autolog(case)
    assert all(patched(case))
    autolog(case, disable=True)
    assert not any(patched(case))
    case.call(plain_client)
    assert model_spans(case, exporter) == []


def test_log_traces_false_keeps_patches_and_records_nothing(
    case: Case, plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    autolog(case, log_traces=False)
    try:
        assert all(patched(case))
        case.call(plain_client)
        case.stream(plain_client)
        assert model_spans(case, exporter) == []
    finally:
        autolog(case, disable=True)


def test_spanwise_autolog_covers_the_library(
    case: Case, plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.autolog()
    try:
        case.call(plain_client)
        assert len(model_spans(case, exporter)) == 1
    finally:
        spanwise.autolog(disable=True)
    case.call(plain_client)
    assert len(model_spans(case, exporter)) == 1


def test_plain_instrumentor_uses_its_provider_and_records_metadata_only(
    case: Case, plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    instrumentor = library(case.name).load()
    instrumentor.instrument(tracer_provider=provider)
    instrumentor.instrument(tracer_provider=provider)  # a second call is harmless
    try:
        case.call(plain_client)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        reset_content_settings()
        case.call(plain_client)
    finally:
        instrumentor.uninstrument()
    assert model_spans(case, exporter) == []  # never the global provider when one was passed
    metadata_only, with_content = own.get_finished_spans()
    assert "gen_ai.input.messages" not in (metadata_only.attributes or {})
    assert (metadata_only.attributes or {})["gen_ai.usage.output_tokens"] == case.tokens[1]
    assert "secret prompt" in str((with_content.attributes or {})["gen_ai.input.messages"])


def test_env_off_beats_autolog(
    case: Case, plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    autolog(case)
    try:
        case.call(plain_client)
        case.stream(plain_client)
    finally:
        autolog(case, disable=True)
    spans = model_spans(case, exporter)
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert len(spans) == 2
    assert "secret" not in dumped and "gen_ai.output.messages" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped


def test_cached_wrappers_pass_through_after_uninstrument(
    case: Case, plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    autolog(case)
    bound = case.bind(plain_client)  # holds the wrapped method
    autolog(case, disable=True)
    bound()
    assert model_spans(case, exporter) == []


def test_suppress_instrumentation_is_honoured(
    case: Case, client: Any, exporter: InMemorySpanExporter
) -> None:
    with suppress_instrumentation():
        case.call(client)
        case.stream(client)
    assert model_spans(case, exporter) == []


def test_nested_under_the_callers_span(
    case: Case, client: Any, exporter: InMemorySpanExporter
) -> None:
    with spanwise.start_span("agent"):
        case.call(client)
    (model,) = model_spans(case, exporter)
    (agent,) = [s for s in exporter.get_finished_spans() if s.name == "agent"]
    assert model.parent is not None and agent.context is not None
    assert model.parent.span_id == agent.context.span_id


def test_no_secret_enters_a_span(
    case: Case, client: Any, server: Any, exporter: InMemorySpanExporter
) -> None:
    before = len(server.requests)
    case.call(client)
    case.stream(client)
    with pytest.raises(case.error()):
        case.fail(client)
    spans = model_spans(case, exporter)
    assert len(spans) == 3
    dumped = "".join(span.to_json() for span in exporter.get_finished_spans())
    sent = [str(r["headers"]) for r in server.requests[before:]]
    assert sent and all(case.canary() in headers for headers in sent)  # it was sent...
    assert case.canary() not in dumped  # ...and never recorded
    assert "authorization" not in dumped.lower() and "bearer" not in dumped.lower()


def test_internal_errors_never_break_the_call(
    case: Case,
    client: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(kwargs: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    patch_module = importlib.import_module(f"spanwise.instrumentations.{case.name}._patch")
    operations = [op for op in vars(patch_module).values() if hasattr(op, "request_attributes")]
    assert operations
    for operation in operations:
        monkeypatch.setattr(operation, "request_attributes", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    with pytest.raises(RuntimeError, match="a spanwise bug"):  # loud under tests...
        case.call(client)
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")  # ...logged once in an app
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert case.call(client) is not None
        assert len(case.stream(client)) >= 1
    warnings = [r for r in caplog.records if "internal error in" in r.message]
    assert len(warnings) == 1
    assert model_spans(case, exporter) == []  # the calls proceeded untraced


def test_metrics(case: Case, plain_client: Any) -> None:
    reader = InMemoryMetricReader()
    instrumentor = library(case.name).load()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider([reader])
    )
    try:
        case.call(plain_client)
        with pytest.raises(case.error()):
            case.fail(plain_client)
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
    assert set(durations) == {None, case.error_type}
    assert durations[None].attributes["gen_ai.provider.name"] == case.provider
    assert durations[case.error_type].attributes["gen_ai.request.model"] == "error-500"
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": case.tokens[0], "output": case.tokens[1]}
