"""A LangGraph thread is a conversation: each run on the thread is one of its traces,
found by ``conversation.id`` (the real graph runtime, no model)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypedDict

import pytest

pytest.importorskip("langgraph")

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

import spanwise


class State(TypedDict):
    turns: int


@pytest.fixture
def graph() -> Iterator[Any]:
    spanwise.langgraph.autolog()
    builder = StateGraph(State)
    builder.add_node("count", lambda state: {"turns": state.get("turns", 0) + 1})
    builder.add_edge(START, "count")
    builder.add_edge("count", END)
    yield builder.compile(checkpointer=InMemorySaver())
    spanwise.langgraph.autolog(disable=True)


def test_each_run_on_a_thread_is_a_turn_of_its_conversation(graph: Any) -> None:
    ids: list[str] = []
    for thread in ("thread-a", "thread-b", "thread-a"):
        with spanwise.start_span("request") as request:  # the app's own root span
            graph.invoke({"turns": 0}, {"configurable": {"thread_id": thread}})
        ids.append(request.trace_id)
    for trace_id, thread in zip(ids, ("thread-a", "thread-b", "thread-a"), strict=True):
        trace = spanwise.get_trace(trace_id)
        assert trace is not None
        assert trace.info.trace_metadata == {"mlflow.trace.session": thread}
        (workflow,) = [s for s in trace.data.spans if s.parent_id == trace.data.spans[0].span_id]
        assert workflow.attributes["gen_ai.conversation.id"] == thread
    found = spanwise.search_traces("conversation.id = 'thread-a'", return_type="list")
    assert [t.info.trace_id for t in found] == [ids[2], ids[0]]
