"""LangGraph graphs: workflow and agent spans, nodes, tools, streams, interrupts."""

from __future__ import annotations

import warnings
from typing import Any, TypedDict

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, StreamMode, interrupt
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.langchain import _patch

import semconv_check
from _support import loads, span_dict

WORKFLOW_TREE = """invoke_workflow LangGraph [INTERNAL WORKFLOW]
  draft [INTERNAL CHAIN]
    chat [CLIENT CHAT_MODEL]
  polish [INTERNAL CHAIN]"""


class State(TypedDict):
    text: str


def _graph(checkpointer: Any = None) -> Any:
    model = FakeMessagesListChatModel(responses=[AIMessage(content="draft text")])

    def draft(state: State) -> State:
        return {"text": str(model.invoke(state["text"]).content)}

    def polish(state: State) -> State:
        return {"text": state["text"].upper()}

    builder = StateGraph(State)
    builder.add_node("draft", draft)
    builder.add_node("polish", polish)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", "polish")
    builder.add_edge("polish", END)
    return builder.compile(checkpointer=checkpointer)


def _spans(exporter: InMemorySpanExporter) -> dict[str, dict[str, Any]]:
    return {s.name: span_dict(s) for s in exporter.get_finished_spans()}


def test_invoke_workflow_whole_tree(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    out = _graph().invoke({"text": "hi"}, {"configurable": {"thread_id": "conv-7"}})
    assert out == {"text": "DRAFT TEXT"}
    assert tree() == WORKFLOW_TREE
    spans = _spans(exporter)
    graph = spans["invoke_workflow LangGraph"]
    assert graph["parent_id"] is None and graph["status"] == "UNSET"
    assert graph["attributes"]["gen_ai.operation.name"] == "invoke_workflow"
    assert graph["attributes"]["gen_ai.workflow.name"] == "LangGraph"
    assert graph["attributes"]["gen_ai.conversation.id"] == "conv-7"
    assert loads(graph["attributes"]["spanwise.span.outputs"]) == {"text": "DRAFT TEXT"}
    draft = spans["draft"]["attributes"]
    assert (draft["spanwise.graph.node"], draft["spanwise.graph.step"]) == ("draft", 1)
    assert spans["polish"]["attributes"]["spanwise.graph.step"] == 2
    for span in exporter.get_finished_spans():
        semconv_check.check_attributes(span.attributes or {})


@pytest.mark.parametrize(
    "mode", ["values", "updates", "messages", "debug", "custom", "tasks", ["values", "messages"]]
)
def test_stream_every_mode(
    mode: Any, autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    if mode == "tasks" and "tasks" not in str(StreamMode):
        pytest.skip("stream_mode='tasks' is newer than this LangGraph")
    chunks = list(_graph().stream({"text": "hi"}, stream_mode=mode))
    if mode in ("values", "updates", "debug"):  # others depend on the version and model
        assert chunks
    assert tree() == WORKFLOW_TREE


@pytest.mark.parametrize("mode", ["values", "updates", "messages", "debug"])
async def test_astream_every_mode(
    mode: str, autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    chunks = [c async for c in _graph().astream({"text": "hi"}, stream_mode=mode)]
    assert chunks or mode == "messages"  # a fake model that does not stream: none there
    assert tree() == WORKFLOW_TREE


async def test_ainvoke(autolog: None, tree: Any) -> None:
    assert await _graph().ainvoke({"text": "hi"}) == {"text": "DRAFT TEXT"}
    assert tree() == WORKFLOW_TREE


def test_nests_under_user_span_and_user_spans_nest_in_nodes(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    @spanwise.trace(name="lookup")
    def lookup(text: str) -> str:
        return text + "!"

    def node(state: State) -> State:
        return {"text": lookup(state["text"])}

    builder = StateGraph(State)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    graph = builder.compile(name="mine")

    @spanwise.trace(name="request")
    def request() -> Any:
        return graph.invoke({"text": "a"})

    assert request() == {"text": "a!"}
    assert tree() == (
        "request [INTERNAL UNKNOWN]\n"
        "  invoke_workflow mine [INTERNAL WORKFLOW]\n"
        "    node [INTERNAL CHAIN]\n"
        "      lookup [INTERNAL UNKNOWN]"
    )


def test_node_error_fails_node_and_graph(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    def bad(state: State) -> State:
        raise LookupError("no such thing")

    builder = StateGraph(State)
    builder.add_node("bad", bad)
    builder.add_edge(START, "bad")
    with pytest.raises(LookupError, match="no such thing"):
        builder.compile().invoke({"text": "a"})
    assert tree() == (
        "invoke_workflow LangGraph [INTERNAL WORKFLOW] !ERROR\n  bad [INTERNAL CHAIN] !ERROR"
    )
    assert _spans(exporter)["bad"]["attributes"]["error.type"] == "LookupError"


def test_interrupt_then_resume(autolog: None, exporter: InMemorySpanExporter, tree: Any) -> None:
    def ask(state: State) -> State:
        answer = interrupt({"question": "approve?"})
        return {"text": f"{state['text']}:{answer}"}

    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t-1"}}
    graph.invoke({"text": "x"}, config)
    assert graph.get_state(config).next == ("ask",)  # waiting for the answer
    assert tree() == "invoke_workflow LangGraph [INTERNAL WORKFLOW]\n  ask [INTERNAL CHAIN]"
    spans = _spans(exporter)
    for name in ("invoke_workflow LangGraph", "ask"):
        assert spans[name]["status"] == "UNSET"  # stopped for input: not a failure
        assert spans[name]["attributes"]["spanwise.run.state"] == "interrupted"
        assert "error.type" not in spans[name]["attributes"]
    assert "approve?" in spans["ask"]["attributes"]["spanwise.span.outputs"]
    exporter.clear()
    assert graph.invoke(Command(resume="yes"), config) == {"text": "x:yes"}
    spans = _spans(exporter)
    resumed = spans["invoke_workflow LangGraph"]["attributes"]
    assert resumed["spanwise.run.state"] == "resumed"
    assert resumed["gen_ai.conversation.id"] == "t-1"
    assert "spanwise.run.state" not in spans["ask"]["attributes"]


def test_subgraph_under_its_node(autolog: None, tree: Any) -> None:
    inner = StateGraph(State)
    inner.add_node("step", lambda s: {"text": s["text"] + "."})
    inner.add_edge(START, "step")
    sub = inner.compile(name="inner")
    outer = StateGraph(State)
    outer.add_node("call_inner", sub)
    outer.add_edge(START, "call_inner")
    assert outer.compile(name="outer").invoke({"text": "a"}) == {"text": "a."}
    assert tree() == (
        "invoke_workflow outer [INTERNAL WORKFLOW]\n"
        "  call_inner [INTERNAL CHAIN]\n"
        "    invoke_workflow inner [INTERNAL WORKFLOW]\n"
        "      step [INTERNAL CHAIN]"
    )


# -- prebuilt agents -------------------------------------------------------------------------


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class ToolModel(FakeMessagesListChatModel):
    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def _agent() -> Any:
    from langgraph.prebuilt import create_react_agent

    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    model = ToolModel(
        responses=[AIMessage(content="", tool_calls=[call]), AIMessage(content="Sunny.")]
    )
    with warnings.catch_warnings():  # moved to langchain.agents in LangGraph 1.0
        warnings.simplefilter("ignore")
        return create_react_agent(model, [get_weather], name="weather")


# LangChain's own run tree, as LangSmith shows it: the agent node runs call_model, which
# invokes prompt | model with the node's config (a sibling, not a child), then the
# conditional edge should_continue.
_AGENT_NODE = """  agent [INTERNAL CHAIN]
    call_model [INTERNAL CHAIN]
    RunnableSequence [INTERNAL CHAIN]
      Prompt [INTERNAL CHAIN]
      chat [CLIENT CHAT_MODEL]
    should_continue [INTERNAL CHAIN]"""
AGENT_TREE = f"""invoke_agent weather [INTERNAL AGENT]
{_AGENT_NODE}
  tools [INTERNAL CHAIN]
    execute_tool get_weather [INTERNAL TOOL]
{_AGENT_NODE}"""


def test_prebuilt_agent(autolog: None, exporter: InMemorySpanExporter, tree: Any) -> None:
    out = _agent().invoke({"messages": [("user", "Weather in Paris?")]})
    assert out["messages"][-1].content == "Sunny."
    assert tree() == AGENT_TREE
    handler = _patch.current_handler()
    assert handler is not None and len(handler.runs) == 0  # nothing left behind
    spans = {s.name: span_dict(s) for s in exporter.get_finished_spans()}
    agent = spans["invoke_agent weather"]["attributes"]
    assert agent["gen_ai.operation.name"] == "invoke_agent"
    assert agent["gen_ai.agent.name"] == "weather"
    tool_span = spans["execute_tool get_weather"]["attributes"]
    assert tool_span["gen_ai.tool.call.id"] == "call_1"
    assert loads(tool_span["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert loads(tool_span["gen_ai.tool.call.result"]) == "sunny in Paris"
    for span in exporter.get_finished_spans():
        semconv_check.check_attributes(span.attributes or {})


async def test_prebuilt_agent_astream_messages(autolog: None, tree: Any) -> None:
    chunks = [
        c async for c in _agent().astream({"messages": [("user", "?")]}, stream_mode="messages")
    ]
    assert chunks
    assert tree() == AGENT_TREE
