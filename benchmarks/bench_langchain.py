"""Latency each LangChain/LangGraph instrumentation adds to an agent run, on a fake backend.

The method of ``_provider_bench`` (toggled): each tool runs in worker processes of its
own (only that tool is ever imported), workers run round-robin in a shuffled order each
round; inside a worker a block of bare runs is followed by a block with the tool on, a
pair's figure is median(instrumented) - median(bare) in microseconds, a worker's the
median of its pairs', and the table the median over rounds and its spread.

The agent is ``_framework_bench``'s (shared with the other agent frameworks' benches), the
smallest that has every kind of run: ChatOpenAI (on an in-process httpx transport to
``examples/fake_openai.py``: no socket) is asked with one tool bound,
answers with a tool call, the tool runs, and a second model call answers: two model
spans and one tool span. Cases: that loop written by hand in LCEL terms
(``model.invoke`` / ``tool.invoke``), and the same agent as LangGraph's prebuilt ReAct
graph (graph, node and edge runs on top).

Peers: OpenInference's ``openinference-instrumentation-langchain`` and OpenLLMetry's
``opentelemetry-instrumentation-langchain`` (both trace LangGraph through LangChain's
callbacks). The yardstick is the least a callback tracer does: a span per run, parented
by run id, no attributes. Content capture is on for every tool but "spanwise, content
off"; all export into spanwise's provider, traces kept in memory.

    python benchmarks/bench_langchain.py all        # this benchmark alone
    python benchmarks/bench_langchain.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import _framework_bench as fb
import _provider_bench as pb
from _yardstick import patching

CASES = ("agent, hand-written", "agent, LangGraph ReAct")


def _yardstick() -> pb.Toggle:
    """A callback handler that opens a span per run (parent: the parent run's span) and
    ends it: what any callback tracer does at the least."""
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.callbacks.manager import CallbackManager
    from opentelemetry import trace

    tracer = trace.get_tracer("yardstick")

    class Spans(BaseCallbackHandler):
        run_inline = True

        def __init__(self) -> None:
            self.spans: dict[Any, Any] = {}

        def _start(self, run_id: Any, parent_run_id: Any, name: str) -> None:
            parent = self.spans.get(parent_run_id)
            context = trace.set_span_in_context(parent) if parent is not None else None
            self.spans[run_id] = tracer.start_span(name, context)

        def _end(self, run_id: Any) -> None:
            span = self.spans.pop(run_id, None)
            if span is not None:
                span.end()

        def on_chain_start(
            self, s: Any, i: Any, *, run_id: Any, parent_run_id: Any = None, **k: Any
        ) -> None:
            self._start(run_id, parent_run_id, "chain")

        def on_chat_model_start(
            self, s: Any, m: Any, *, run_id: Any, parent_run_id: Any = None, **k: Any
        ) -> None:
            self._start(run_id, parent_run_id, "chat")

        def on_tool_start(
            self, s: Any, i: Any, *, run_id: Any, parent_run_id: Any = None, **k: Any
        ) -> None:
            self._start(run_id, parent_run_id, "tool")

        def on_chain_end(self, o: Any, *, run_id: Any, **k: Any) -> None:
            self._end(run_id)

        def on_llm_end(self, o: Any, *, run_id: Any, **k: Any) -> None:
            self._end(run_id)

        def on_tool_end(self, o: Any, *, run_id: Any, **k: Any) -> None:
            self._end(run_id)

        on_chain_error = on_llm_error = on_tool_error = on_chain_end  # type: ignore[assignment]

    handler = Spans()

    def init(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> None:
        wrapped(*args, **kwargs)
        if isinstance(instance, CallbackManager):
            instance.add_handler(handler, True)

    from langchain_core.callbacks import base

    return patching([(base.BaseCallbackManager, "__init__", init)])


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("langgraph"),  # LangGraph's turns LangChain's handler on too
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.langchain", "LangChainInstrumentor"),
        "openinference-instrumentation-langchain",
    ),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.langchain", "LangchainInstrumentor"),
        "opentelemetry-instrumentation-langchain",
    ),
}


def _toggled() -> dict[str, pb.Call]:
    from langchain_core.messages import HumanMessage
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    get_weather = tool(fb.get_weather)
    model = ChatOpenAI(
        model=fb.MODEL,
        base_url=fb.BASE_URL,
        api_key=fb.API_KEY,  # pyright: ignore[reportArgumentType]
        max_retries=0,
        http_client=fb.http_client(),
    )
    with_tools = model.bind_tools([get_weather])
    with warnings.catch_warnings():  # moved to langchain.agents in LangGraph 1.0
        warnings.simplefilter("ignore")
        graph = create_react_agent(model, [get_weather])

    def by_hand() -> None:
        messages: list[Any] = [HumanMessage(fb.QUESTION)]
        reply = with_tools.invoke(messages)
        messages.append(reply)
        for call in reply.tool_calls:
            messages.append(get_weather.invoke(call))
        with_tools.invoke(messages)

    def react() -> None:
        graph.invoke({"messages": [("user", fb.QUESTION)]})

    return dict(zip(CASES, (by_hand, react), strict=True))


BENCH = fb.framework_bench(
    __file__,
    CASES,
    PEERS,
    _toggled,
    seed=31,
    yardstick=pb.Peer(_yardstick, "opentelemetry-sdk"),
    python_env=None,  # .venv-bench has LangChain and its peers
)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
