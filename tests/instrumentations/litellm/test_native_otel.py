"""LiteLLM's own OpenTelemetry logger (``litellm.callbacks = ["otel"]``) beside spanwise:
one span per call while spanwise records; its spans again once spanwise is off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

MESSAGES = [{"role": "user", "content": "secret prompt"}]
SCOPE = "spanwise.instrumentations.litellm"


@pytest.fixture
def native_otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """LiteLLM's OTel logger on (recent versions export into the global provider, older
    ones into their own), and the names of its logging methods as they are called."""
    native = pytest.importorskip("litellm.integrations.opentelemetry")
    monkeypatch.setenv("OTEL_EXPORTER", "in_memory")  # never LiteLLM's console default
    called: list[str] = []
    for name in ("log_success_event", "async_log_success_event"):
        original = getattr(native.OpenTelemetry, name)

        def spy(
            self: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
        ) -> Any:
            called.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(native.OpenTelemetry, name, spy)
    callbacks = litellm.callbacks
    litellm.callbacks = ["otel"]
    yield called
    litellm.callbacks = callbacks
    manager = getattr(litellm, "logging_callback_manager", None)
    reset = getattr(manager, "_reset_all_callbacks", None)
    if callable(reset):
        reset()


def _calls(args: dict[str, Any]) -> None:
    litellm.completion(model="openai/gpt-4o-mini", messages=MESSAGES, **args)
    for _ in litellm.completion(model="openai/gpt-4o-mini", messages=MESSAGES, stream=True, **args):
        pass


def _settled(exporter: InMemorySpanExporter, at_least: int) -> list[Any]:
    """The spans, once LiteLLM's logging threads have had their say (bounded)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(exporter.get_finished_spans()) < at_least:
        time.sleep(0.05)
    time.sleep(0.5)  # anything more that was coming
    return list(exporter.get_finished_spans())


def test_litellms_otel_logger_stands_aside_while_spanwise_records(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any], native_otel: list[str]
) -> None:
    _calls(openai_args)  # spanwise off: LiteLLM's logger logs as configured
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(native_otel) < 2:
        time.sleep(0.05)
    if not native_otel:
        pytest.skip("LiteLLM's OTel logger cannot start here (litellm 1.60 needs litellm[proxy])")
    _settled(exporter, 0)
    exporter.clear()
    native_otel.clear()
    spanwise.litellm.autolog()
    try:
        _calls(openai_args)
        spans = _settled(exporter, 2)
    finally:
        spanwise.litellm.autolog(disable=True)
    assert native_otel == []  # LiteLLM's logger never ran...
    # ...so each call is one span, spanwise's, with nothing of LiteLLM's written onto it.
    assert [s.instrumentation_scope.name for s in spans] == [SCOPE, SCOPE]  # type: ignore[union-attr]
    for span in spans:
        assert not [k for k in span.attributes or {} if k.startswith(("llm.", "gen_ai.cost"))]
