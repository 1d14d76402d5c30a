"""Switches and safety: content policy, disable, log_traces, uninstrument, never-break."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks.manager import CallbackManager
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common._content import reset_content_settings
from spanwise.instrumentations.langchain import LangChainInstrumentor, _extract, _patch

from fake_openai import TEXT


def _chain() -> Any:
    return (
        FakeMessagesListChatModel(responses=[AIMessage(content="secret answer")])
        | StrOutputParser()
    )


def _has_our_handler() -> bool:
    manager = CallbackManager.configure()
    return any(type(h).__name__ == "SpanwiseCallbackHandler" for h in manager.handlers)


@pytest.fixture
def instrumentor() -> Iterator[LangChainInstrumentor]:
    inst = LangChainInstrumentor()
    inst.instrument()
    yield inst
    inst.uninstrument()


def test_instrument_records_metadata_only(
    instrumentor: LangChainInstrumentor, exporter: InMemorySpanExporter
) -> None:
    assert _chain().invoke("secret question") == "secret answer"
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["chat", "StrOutputParser", "RunnableSequence"]
    everything = repr([dict(s.attributes or {}) for s in spans])
    assert "secret" not in everything
    assert "gen_ai.input.messages" not in everything and "spanwise.span.inputs" not in everything


def test_autolog_captures_and_env_off_wins(
    autolog: None, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _chain().invoke("secret question")
    assert "secret question" in repr(
        [dict(s.attributes or {}) for s in exporter.get_finished_spans()]
    )
    exporter.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    reset_content_settings()
    _chain().invoke("secret question")
    spans = exporter.get_finished_spans()
    assert len(spans) == 3
    assert "secret" not in repr([dict(s.attributes or {}) for s in spans])


def test_disable_removes_the_handler(exporter: InMemorySpanExporter) -> None:
    spanwise.langchain.autolog()
    assert _has_our_handler()
    chain = _chain()  # a manager's handler list is made per run: none is kept from here
    spanwise.langchain.autolog(disable=True)
    assert not _has_our_handler()
    assert _patch.current_handler() is None
    chain.invoke("q")
    assert exporter.get_finished_spans() == ()


def test_log_traces_false_records_nothing_and_keeps_the_sdk_span(
    fake_server: Any, chat_openai: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.langchain.autolog(log_traces=False)
    spanwise.openai.autolog()
    try:
        assert _chain().invoke("q") == "secret answer"
        assert exporter.get_finished_spans() == ()
        assert chat_openai.invoke("hi").content == TEXT
    finally:
        spanwise.openai.autolog(disable=True)
        spanwise.langchain.autolog(disable=True)
    # LangChain's span is off, so the SDK's own span is the call's one span.
    assert [
        (s.name, s.instrumentation_scope.name)  # type: ignore[union-attr]
        for s in exporter.get_finished_spans()
    ] == [("chat gpt-4o-mini", "spanwise.instrumentations.openai")]


def test_a_fault_in_spanwise_never_reaches_the_app(
    autolog: None, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(response: Any) -> Any:
        raise RuntimeError("spanwise bug")

    monkeypatch.setattr(_extract, "response_attributes", broken)
    # Under tests spanwise's own errors re-raise (to be seen): they do.
    with pytest.raises(RuntimeError, match="spanwise bug"):
        _chain().invoke("q")
    exporter.clear()
    # In an application they are logged once and the run goes on.
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    assert _chain().invoke("q") == "secret answer"
    names = sorted(s.name for s in exporter.get_finished_spans())
    assert names == ["RunnableSequence", "StrOutputParser"]  # the model's span is lost, only


def test_a_fault_at_start_never_reaches_the_app(
    autolog: None, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("spanwise bug")

    monkeypatch.setattr(_extract, "run_name", broken)
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    assert _chain().invoke("q") == "secret answer"
    assert [s.name for s in exporter.get_finished_spans()] == ["chat"]


def test_suppress_instrumentation_is_honoured(
    autolog: None, exporter: InMemorySpanExporter
) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        _chain().invoke("q")
    assert exporter.get_finished_spans() == ()


async def test_no_run_is_left_behind(autolog: None, exporter: InMemorySpanExporter) -> None:
    """Every run's entry goes at its end, whatever the entry point or outcome."""
    chain = _chain()
    chain.invoke("q")
    chain.batch(["a", "b"])
    list(chain.stream("q"))
    await chain.ainvoke("q")
    [c async for c in chain.astream("q")]
    failing = chain | (lambda _: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.invoke("q")
    handler = _patch.current_handler()
    assert handler is not None and len(handler.runs) == 0
    assert len(exporter.get_finished_spans()) > 0
