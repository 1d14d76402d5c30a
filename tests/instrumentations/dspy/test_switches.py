"""autolog's switches, the app's own callbacks, the content policy, never-break, and
zero-code under ``opentelemetry-instrument``."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

import dspy
import pytest
from dspy.utils.callback import BaseCallback
from dspy.utils.dummies import DummyLM
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common import _safety

from _support import zero_code


def _ask() -> str:
    with dspy.context(lm=DummyLM([{"answer": "Paris"}])):
        return str(dspy.Predict("question -> answer")(question="secret question").answer)


def _running() -> list[Any]:
    """The callbacks DSPy runs for a call: what ``with_callbacks`` reads, through the global
    ``dspy`` of ``dspy.utils.callback``."""
    from dspy.utils import callback

    return list(callback.dspy.settings.get("callbacks", []))


def _ours() -> list[Any]:
    from spanwise.instrumentations.dspy._callback import SpanwiseCallback

    return [c for c in _running() if isinstance(c, SpanwiseCallback)]


def test_only_the_callback_read_is_hooked(autolog: None) -> None:
    """Every other settings read is DSPy's own, and the app's settings stay as it set them."""
    import wrapt
    from dspy.dsp.utils.settings import Settings
    from dspy.utils import callback

    assert not isinstance(vars(Settings)["get"], wrapt.ObjectProxy)
    assert callback.dspy.settings.get("lm", "none") == dspy.settings.get("lm", "none")
    assert callback.dspy.BaseLM is dspy.BaseLM  # the rest of the package passes through
    mine = BaseCallback()
    with dspy.context(callbacks=[mine]):
        assert dspy.settings.get("callbacks") == [mine]
        assert _running() == [mine, *_ours()] and len(_ours()) == 1
    spanwise.dspy.autolog(disable=True)
    assert callback.dspy is dspy  # restored


def test_disable_removes_the_callback_and_log_traces_false_records_nothing(
    exporter: InMemorySpanExporter,
) -> None:
    spanwise.dspy.autolog(log_traces=False)
    assert len(_ours()) == 1
    assert _ask() == "Paris"
    assert exporter.get_finished_spans() == ()
    spanwise.dspy.autolog()  # again: replaces, never doubles
    assert len(_ours()) == 1
    spanwise.dspy.autolog(disable=True)
    assert _ours() == []
    assert _ask() == "Paris"
    assert exporter.get_finished_spans() == ()


def test_the_apps_own_callbacks_keep_ours(autolog: None, exporter: InMemorySpanExporter) -> None:
    seen: list[str] = []

    class Mine(BaseCallback):  # type: ignore[misc]
        def on_module_start(self, call_id: str, instance: Any, inputs: Any) -> None:
            seen.append(type(instance).__name__)

    with dspy.context(callbacks=[Mine()]):
        assert _ask() == "Paris"
    assert seen == ["Predict"]
    assert [s.name for s in exporter.get_finished_spans()][-1] == "Predict.forward"
    with dspy.context(callbacks=[]):
        assert _ask() == "Paris"
    assert len([s for s in exporter.get_finished_spans() if s.name == "Predict.forward"]) == 2


def test_content_off_keeps_metadata(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.dspy.autolog()
    try:
        assert _ask() == "Paris"
    finally:
        spanwise.dspy.autolog(disable=True)
    spans = exporter.get_finished_spans()
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert len(spans) == 4
    assert "secret question" not in dumped and "Paris" not in dumped
    assert "gen_ai.request.model" in dumped


def test_an_instrumentation_fault_never_reaches_the_program(
    autolog: None,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.instrumentations.dspy import _callback

    def broken(inputs: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_callback, "call_inputs", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert _ask() == "Paris"
    warnings = [r for r in caplog.records if "internal error in" in r.getMessage()]
    assert len(warnings) == 1
    # The model calls (no module inputs needed) are still traced.
    assert [s.name for s in exporter.get_finished_spans()].count("chat dummy") == 3


APP = textwrap.dedent(
    """
    import dspy
    from dspy.utils.dummies import DummyLM
    with dspy.context(lm=DummyLM([{"reasoning": "r", "answer": "Paris"}])):
        answer = dspy.ChainOfThought("question -> answer")(question="secret question").answer
    assert answer == "Paris", answer
    print("done")
    """
)


@pytest.mark.slow
def test_zero_code(tmp_path: Path) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        5,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-dspy",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    names = sorted(s["name"] for s in spans)
    assert names == sorted(
        [
            "ChainOfThought.forward",
            "Predict.forward",
            "ChatAdapter.format",
            "chat dummy",
            "ChatAdapter.parse",
        ]
    )
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.dspy"}
