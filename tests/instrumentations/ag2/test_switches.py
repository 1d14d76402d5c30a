"""autolog's switches, AG2's own OpenTelemetry, the content policy and never-break."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from autogen import ConversableAgent
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common import _safety


def _ask(llm_config: dict[str, Any]) -> str:
    assistant = ConversableAgent("assistant", llm_config=llm_config)
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    return str(
        user.initiate_chat(assistant, message="secret question", max_turns=1, silent=True).summary
    )


ONE_CHAT = ["chat gpt-4o-mini", "invoke_agent assistant", "invoke_workflow user -> assistant"]


def test_disable_and_log_traces_false(
    llm_config: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    spanwise.ag2.autolog(log_traces=False)
    try:
        assert _ask(llm_config).startswith("Hello!")
        assert exporter.get_finished_spans() == ()
        spanwise.ag2.autolog()
        assert _ask(llm_config).startswith("Hello!")
        assert sorted(s.name for s in exporter.get_finished_spans()) == ONE_CHAT
    finally:
        spanwise.ag2.autolog(disable=True)
    exporter.clear()
    assert _ask(llm_config).startswith("Hello!")
    assert exporter.get_finished_spans() == ()


def test_ag2s_own_opentelemetry_is_not_doubled(
    autolog: None, llm_config: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    """An agent given to AG2's instrument_agent is traced by AG2 alone; the model call's
    span is spanwise's (AG2's llm wrapper instrumentation is off here)."""
    from autogen.opentelemetry import instrument_agent

    provider: Any = trace.get_tracer_provider()
    assistant = ConversableAgent("assistant", llm_config=llm_config)
    instrument_agent(assistant, tracer_provider=provider)
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    user.initiate_chat(assistant, message="Hi", max_turns=1, silent=True)
    spans = exporter.get_finished_spans()
    counted = sorted(
        (s.name, s.instrumentation_scope.name if s.instrumentation_scope else "") for s in spans
    )
    assert counted == [
        ("chat gpt-4o-mini", "spanwise.instrumentations.ag2"),
        ("invoke_agent assistant", "opentelemetry.instrumentation.ag2"),
        ("invoke_workflow user -> assistant", "spanwise.instrumentations.ag2"),
    ]


def test_content_off_keeps_metadata(
    llm_config: dict[str, Any], exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.ag2.autolog()
    try:
        assert _ask(llm_config).startswith("Hello!")
    finally:
        spanwise.ag2.autolog(disable=True)
    spans = exporter.get_finished_spans()
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert sorted(s.name for s in spans) == ONE_CHAT
    assert "secret question" not in dumped and "Hello!" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped


def test_an_instrumentation_fault_never_reaches_the_app(
    autolog: None,
    llm_config: dict[str, Any],
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.instrumentations.ag2 import _patch

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_patch, "agent_attributes", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert _ask(llm_config).startswith("Hello!")
    warnings = [r for r in caplog.records if "internal error in" in r.getMessage()]
    assert len(warnings) == 1
    names = [s.name for s in exporter.get_finished_spans()]
    assert names.count("chat gpt-4o-mini") == 3 and "invoke_agent assistant" not in names
