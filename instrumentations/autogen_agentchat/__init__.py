"""AutoGen (AgentChat 0.7) instrumentation for spanwise: agents, teams, tools and model
clients as one tree of GenAI spans.

Usage
-----
With spanwise (records messages, arguments and results)::

    import spanwise
    spanwise.autogen_agentchat.autolog()   # autolog(disable=True) removes it,
                                           # autolog(log_traces=False) keeps it, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.autogen_agentchat import AutogenAgentchatInstrumentor
    AutogenAgentchatInstrumentor().instrument(tracer_provider=provider)

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_autogen_agentchat`` entry point;
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_autogen_agentchat`` turns it off.

What is traced
--------------
* an agent's invocation (``run``, ``run_stream``, ``on_messages``,
  ``on_messages_stream``, and a team handing an agent its turn) as one
  ``invoke_agent {name}`` span with ``gen_ai.agent.name`` and ``gen_ai.agent.description``,
  the new messages as ``gen_ai.input.messages`` and the agent's answer as
  ``gen_ai.output.messages``; ``run`` -> ``on_messages`` -> ``on_messages_stream`` on the
  same agent is one span, not three;
* a team's run (``RoundRobinGroupChat``, ``SelectorGroupChat``, ``Swarm``,
  ``MagenticOneGroupChat``, ``GraphFlow``: ``run``/``run_stream``) as
  ``invoke_workflow {team name}``, its task and stop reason as inputs and outputs, with
  the agents' spans (and the selector's model calls) under it;
* a tool (``FunctionTool`` and every ``BaseTool``: ``run_json``, ``run_json_stream``) as
  ``execute_tool {name}`` with the call id, arguments and result;
* a model client's ``create``/``create_stream`` (OpenAI, Azure OpenAI, Anthropic, Ollama,
  Azure AI, llama.cpp, Replay) as one ``chat {model}`` span (CLIENT): the provider (from
  the client's class, the OpenAI family from its base URL, with ``server.*``), the
  request parameters of the client and the call, finish reason and token usage, and with
  content the messages in the parts format (tool calls and results included) and the tool
  definitions. While it runs, spanwise's OpenAI and Anthropic instrumentors underneath
  pass through: one model span per call, AutoGen's client's.

AutoGen's own telemetry: ``autogen_core`` opens GenAI spans of its own (``invoke_agent``,
``create_agent``, ``execute_tool``, scope ``autogen-core``) on the global tracer provider;
while spanwise traces AutoGen these are not opened (spanwise's span is the one), and come
back with ``autolog(disable=True)`` or ``log_traces=False``. The agent runtime's messaging
spans (``autogen publish``, ``autogen process``..., scope ``autogen
SingleThreadedAgentRuntime``) are left to AutoGen: ``AUTOGEN_DISABLE_RUNTIME_TRACING=true``
turns them off.

AutoGen's errors pass through unchanged (the span records them); a spanwise fault is
logged once and never reaches the application. No API key enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false``: records messages, arguments and results or not, whatever the code
    asked. Default: on under ``autolog()``, off for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072).
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_autogen_agentchat`` disables this instrumentor under
    ``opentelemetry-instrument``.
``AUTOGEN_DISABLE_RUNTIME_TRACING``
    AutoGen's own: ``true`` stops its runtime's messaging spans.
"""

from __future__ import annotations

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from . import _patch
from .package import _instruments

__all__ = ["AutogenAgentchatInstrumentor"]


class AutogenAgentchatInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for AutoGen AgentChat 0.7 (GenAI conventions v1.41.0)."""

    _instruments = _instruments

    def _patch(self, settings: Settings) -> None:
        _patch.patch(settings)

    def _unpatch(self) -> None:
        _patch.unpatch()
