"""LangGraph instrumentation for spanwise: graph runs, nodes and tools as GenAI spans.

Usage
-----
With spanwise (records inputs, outputs and messages)::

    import spanwise
    spanwise.langgraph.autolog()         # autolog(disable=True) / autolog(log_traces=False)

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.langgraph import LangGraphInstrumentor
    LangGraphInstrumentor().instrument(tracer_provider=provider)

Zero-code: ``opentelemetry-instrument`` loads the ``spanwise_langgraph`` entry point;
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_langgraph`` turns it off.

What is traced
--------------
LangGraph runs on LangChain's callbacks, so this instrumentor turns on spanwise's
LangChain handler too (see ``spanwise.instrumentations.langchain``: chat models, tools,
retrievers, runnables inside the nodes are spans as there) and adds what is a graph's
(langgraph 0.3 and later):

* A graph run (``invoke``/``ainvoke``, ``stream``/``astream`` in every ``stream_mode``,
  ``batch``) is ``invoke_workflow {name}`` with ``gen_ai.workflow.name``; a graph that
  runs tools in a ``ToolNode`` (``create_react_agent``, a ReAct loop) is
  ``invoke_agent {name}`` with ``gen_ai.agent.name``. A subgraph is the same, under
  the node that runs it.
* Each node is a span named after the node, with ``spanwise.graph.node`` and
  ``spanwise.graph.step``; tools run by a ``ToolNode`` are ``execute_tool`` spans under it.
* ``thread_id`` of the config is ``gen_ai.conversation.id``.
* Interrupts: a node that calls ``interrupt()`` ends with ``spanwise.run.state``
  ``interrupted`` (status UNSET: it did not fail; the interrupt's payload is its output
  with content capture), and so does its graph's span, which ends when the run returns.
  The run resumed with ``Command(resume=...)`` is a new graph span with
  ``spanwise.run.state`` ``resumed`` and the same conversation id.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``, ``SPANWISE_MAX_CONTENT_BYTES``: as
for LangChain. ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``: ``spanwise_langgraph``.
"""

from __future__ import annotations

import importlib

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from ..langchain._patch import current_handler, install, uninstall, unwrap_bodies, wrap_bodies
from ._graph import GraphRuns, stream_wrapper
from .package import _instruments

__all__ = ["LangGraphInstrumentor"]

_PREGEL = "langgraph.pregel"  # Pregel's home in 0.x, re-exported there by 1.x
_METHODS = ("stream", "astream")
# LangGraph's own twin of LangChain's ``_set_config_context`` (node bodies run in the
# context it prepares): 1.x keeps it in ``_internal``, 0.x in ``utils``.
_BODIES = ("langgraph._internal._runnable", "langgraph.utils.runnable")


class LangGraphInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for LangGraph (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _runs: GraphRuns | None = None
    _bodies: tuple[object, ...] = ()  # the modules whose body context was wrapped

    def _patch(self, settings: Settings) -> None:
        from langgraph.errors import GraphBubbleUp

        handler = install("langgraph", settings)
        runs = self._runs = GraphRuns()
        handler.classifiers.append(runs.classify)
        handler.control_flow = (*handler.control_flow, GraphBubbleUp)

        def enabled() -> bool:
            current = current_handler()
            return settings.active and current is not None and current._on()  # pyright: ignore[reportPrivateUsage]

        pregel = importlib.import_module(_PREGEL).Pregel
        for method in _METHODS:
            wrap_function_wrapper(pregel, method, stream_wrapper(enabled, runs))
        self._bodies = tuple(wrap_bodies(_BODIES))

    def _unpatch(self) -> None:
        pregel = importlib.import_module(_PREGEL).Pregel
        for method in _METHODS:
            unwrap(pregel, method)
        unwrap_bodies(self._bodies)
        self._bodies = ()
        handler, runs = current_handler(), self._runs
        if handler is not None and runs is not None:
            handler.classifiers = [c for c in handler.classifiers if c != runs.classify]
            handler.control_flow = ()
        self._runs = None
        uninstall("langgraph")
