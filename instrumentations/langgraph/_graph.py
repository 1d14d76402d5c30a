"""What is LangGraph's own: which chain runs are graphs, agents and nodes.

LangGraph reports through LangChain's callbacks (the LangChain handler makes the spans);
a graph's run, though, looks like any chain run there (no serialized class, the graph's
name). ``Pregel.stream``/``astream`` (which ``invoke``/``ainvoke`` call) are patched to
give each graph run a known run id first (the config's ``run_id``, LangChain's own way to
name a run; the caller's is kept), so the classifier knows it for a graph, and which.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from spanwise.common._access import get
from spanwise.common._safety import fork_safe_lock, report_internal_error

from .._framework import FrameworkAttributes as FA
from .._invocation import AGENT, CHAIN, WORKFLOW, agent_attributes
from ..langchain._handler import ChainSpec

__all__ = ["GraphRuns", "is_agent", "stream_wrapper"]

_MAX_PENDING = 4096  # graph runs registered but never started (a failed call): bounded


@dataclass(frozen=True, slots=True)
class _Graph:
    name: str
    agent: bool
    resumed: bool


def is_agent(graph: Any) -> bool:
    """A graph that runs tools in a ToolNode is an agent (``create_react_agent``,
    LangChain's ``create_agent``, a hand-built ReAct loop); others are workflows."""
    from langgraph.prebuilt import ToolNode

    nodes = getattr(graph, "nodes", None)
    if not isinstance(nodes, Mapping):
        return False
    return any(
        isinstance(getattr(node, "bound", None), ToolNode)
        for node in cast("Mapping[str, Any]", nodes).values()
    )


def _resumed(graph_input: Any) -> bool:
    from langgraph.types import Command

    return isinstance(graph_input, Command) and graph_input.resume is not None


class GraphRuns:
    """Run ids of graph runs about to start, and the classifier that reads them."""

    def __init__(self) -> None:
        self._pending: OrderedDict[Any, _Graph] = OrderedDict()
        self._lock = fork_safe_lock()

    def expect(self, run_id: Any, graph: Any, graph_input: Any) -> None:
        info = _Graph(str(graph.get_name()), is_agent(graph), _resumed(graph_input))
        with self._lock:
            self._pending[run_id] = info
            while len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)

    def classify(
        self, run_id: Any, name: str, inputs: Any, tags: Any, metadata: Any
    ) -> ChainSpec | None:
        with self._lock:
            graph = self._pending.pop(run_id, None)
        if graph is not None:
            state = {FA.RUN_STATE: "resumed"} if graph.resumed else {}
            if graph.agent:
                attrs = {**agent_attributes(name), **state}
                return ChainSpec(AGENT, AGENT.span_name(name), attrs, graph=True)
            attrs = {**WORKFLOW.attributes(name), **state}
            return ChainSpec(WORKFLOW, WORKFLOW.span_name(name), attrs, graph=True)
        node: Any = get(metadata, "langgraph_node")
        if node is not None and node == name:
            attrs: dict[str, Any] = {**CHAIN.attributes(), FA.GRAPH_NODE: str(node)}
            step = get(metadata, "langgraph_step")
            if isinstance(step, int):
                attrs[FA.GRAPH_STEP] = step
            return ChainSpec(CHAIN, str(node), attrs)
        return None


def stream_wrapper(enabled: Callable[[], bool], runs: GraphRuns) -> Any:
    """``Pregel.stream``/``astream``: the run gets a known id before it starts."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not enabled():
            return wrapped(*args, **kwargs)
        try:
            args, kwargs = _with_run_id(instance, runs, args, kwargs)
        except Exception as exc:
            report_internal_error("langgraph stream", exc)
        return wrapped(*args, **kwargs)

    return wrapper


def _with_run_id(
    graph: Any, runs: GraphRuns, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    graph_input = args[0] if args else kwargs.get("input")
    config = args[1] if len(args) > 1 else kwargs.get("config")
    config = dict(cast("Mapping[str, Any]", config)) if isinstance(config, Mapping) else {}
    run_id = config.get("run_id") or uuid.uuid4()
    config["run_id"] = run_id
    runs.expect(run_id, graph, graph_input)
    if len(args) > 1:
        return (args[0], config, *args[2:]), kwargs
    return args, {**kwargs, "config": config}
