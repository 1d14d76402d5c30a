"""Content policy, autolog switches, uninstrument, and never breaking the application."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text",
    "spanwise.span.inputs",
    "spanwise.span.outputs",
)


def _handlers() -> tuple[list[str], list[str]]:
    from llama_index.core.instrumentation import get_dispatcher

    root = get_dispatcher()
    return (
        [h.class_name() for h in root.span_handlers],
        [h.class_name() for h in root.event_handlers],
    )


async def _everything(agent: Any, index: Any) -> None:
    from llama_index.core.llms.mock import MockLLM

    await agent.run(user_msg="add 2 and 3")
    index.as_query_engine(llm=MockLLM(max_tokens=2)).query("what is alpha?")


async def test_content_off_keeps_the_tree_and_drops_content(
    monkeypatch: pytest.MonkeyPatch,
    autolog: None,
    agent: Any,
    index: Any,
    exporter: InMemorySpanExporter,
    tree: Callable[[], list[Any]],
) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    reset_content_settings()
    exporter.clear()
    await _everything(agent, index)
    assert len(tree()) == 9
    spans = exporter.get_finished_spans()
    for span in spans:
        assert not set(CONTENT_KEYS) & set(span.attributes or {}), span.name
    (retrieval,) = (s for s in spans if s.name == "retrieval VectorIndexRetriever")
    documents = json.loads((retrieval.attributes or {})["gen_ai.retrieval.documents"])
    assert [sorted(d) for d in documents] == [["id", "score"]] * 2  # no text
    assert "alpha" not in repr([dict(s.attributes or {}) for s in spans])


async def test_plain_instrument_records_metadata_only(
    agent: Any, index: Any, exporter: InMemorySpanExporter, internal_errors: list[Any]
) -> None:
    from spanwise.instrumentations.llama_index import LlamaIndexInstrumentor

    exporter.clear()
    LlamaIndexInstrumentor().instrument()
    try:
        await _everything(agent, index)
    finally:
        LlamaIndexInstrumentor().uninstrument()
    spans = exporter.get_finished_spans()
    assert len(spans) == 9
    assert not any(set(CONTENT_KEYS) & set(s.attributes or {}) for s in spans)
    assert internal_errors == []


async def test_log_traces_false_and_disable(
    agent: Any, exporter: InMemorySpanExporter, internal_errors: list[Any]
) -> None:
    import spanwise

    before = _handlers()
    spanwise.llama_index.autolog(log_traces=False)
    assert _handlers() == (
        [*before[0], "SpanwiseSpanHandler"],
        [*before[1], "SpanwiseEventHandler"],
    )
    await agent.run(user_msg="add 2 and 3")
    assert exporter.get_finished_spans() == ()
    spanwise.llama_index.autolog()  # again: still one pair of handlers
    assert _handlers()[0].count("SpanwiseSpanHandler") == 1
    spanwise.llama_index.autolog(disable=True)
    assert _handlers() == before
    await agent.run(user_msg="add 2 and 3")
    assert exporter.get_finished_spans() == ()
    assert internal_errors == []


async def test_a_fault_in_spanwise_never_reaches_the_app(
    monkeypatch: pytest.MonkeyPatch,
    agent: Any,
    index: Any,
    exporter: InMemorySpanExporter,
    internal_errors: list[BaseException],
) -> None:
    import spanwise
    from spanwise.instrumentations.llama_index import _handler

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("spanwise bug")

    monkeypatch.setattr(_handler, "plan", broken)
    monkeypatch.setitem(_handler._EVENTS, "LLMChatStartEvent", broken)
    spanwise.llama_index.autolog()
    try:
        result = await agent.run(user_msg="add 2 and 3")
        from llama_index.core.llms.mock import MockLLM

        response = index.as_query_engine(llm=MockLLM(max_tokens=2)).query("what is alpha?")
    finally:
        spanwise.llama_index.autolog(disable=True)
    assert str(result) == "The sum is 5."
    assert str(response) == "text text"
    assert internal_errors and {str(e) for e in internal_errors} == {"spanwise bug"}
    assert exporter.get_finished_spans() == ()


async def test_a_fault_reported_for_real_is_swallowed(
    monkeypatch: pytest.MonkeyPatch, agent: Any, exporter: InMemorySpanExporter
) -> None:
    """With the real report (it re-raises under tests), LlamaIndex's dispatcher still keeps
    the fault away from the app."""
    import spanwise
    from spanwise.instrumentations.llama_index import _handler

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("spanwise bug")

    monkeypatch.setattr(_handler, "plan", broken)
    spanwise.llama_index.autolog()
    try:
        result = await agent.run(user_msg="add 2 and 3")
    finally:
        spanwise.llama_index.autolog(disable=True)
    assert str(result) == "The sum is 5."
