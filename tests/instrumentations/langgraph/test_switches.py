"""The LangGraph instrumentor with and without LangChain's; ChatOpenAI in a node."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.callbacks.manager import CallbackManager
from langgraph.graph import START, StateGraph
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.langchain import _patch

from fake_openai import CANARY_KEY, TEXT


class State(TypedDict):
    text: str


def _graph(node: Any) -> Any:
    builder = StateGraph(State)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    return builder.compile(name="g")


def _handlers() -> int:
    manager = CallbackManager.configure()
    return sum(type(h).__name__ == "SpanwiseCallbackHandler" for h in manager.handlers)


def test_chat_openai_in_a_node_is_one_span(
    autolog: None, fake_server: Any, exporter: InMemorySpanExporter, tree: Any
) -> None:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="gpt-4o-mini", base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0
    )  # pyright: ignore[reportArgumentType]

    def node(state: State) -> State:
        return {"text": str(model.invoke(state["text"]).content)}

    spanwise.openai.autolog()
    try:
        assert _graph(node).invoke({"text": "hi"}) == {"text": TEXT}
    finally:
        spanwise.openai.autolog(disable=True)
    assert tree() == (
        "invoke_workflow g [INTERNAL WORKFLOW]\n"
        "  node [INTERNAL CHAIN]\n"
        "    chat gpt-4o-mini [CLIENT CHAT_MODEL]"
    )
    assert CANARY_KEY not in repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])


def test_either_instrumentor_alone_and_together(exporter: InMemorySpanExporter, tree: Any) -> None:
    graph = _graph(lambda s: {"text": s["text"] + "!"})
    spanwise.langchain.autolog()
    graph.invoke({"text": "a"})
    # LangChain's alone: the graph is a chain run like any other.
    assert tree() == "g [INTERNAL CHAIN]\n  node [INTERNAL CHAIN]"
    exporter.clear()
    spanwise.langgraph.autolog()
    assert _handlers() == 1  # one handler for both
    graph.invoke({"text": "a"})
    assert tree() == "invoke_workflow g [INTERNAL WORKFLOW]\n  node [INTERNAL CHAIN]"
    exporter.clear()
    spanwise.langchain.autolog(disable=True)
    graph.invoke({"text": "a"})  # LangGraph's keeps the handler on
    assert tree() == "invoke_workflow g [INTERNAL WORKFLOW]\n  node [INTERNAL CHAIN]"
    exporter.clear()
    spanwise.langgraph.autolog(disable=True)
    assert _handlers() == 0 and _patch.current_handler() is None
    graph.invoke({"text": "a"})
    assert exporter.get_finished_spans() == ()


def test_log_traces_false(exporter: InMemorySpanExporter) -> None:
    spanwise.langgraph.autolog(log_traces=False)
    try:
        assert _graph(lambda s: s).invoke({"text": "a"}) == {"text": "a"}
    finally:
        spanwise.langgraph.autolog(disable=True)
    assert exporter.get_finished_spans() == ()
