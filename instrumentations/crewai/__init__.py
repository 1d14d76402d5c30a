"""CrewAI instrumentation for spanwise: a crew's run as a tree of spans.

Usage
-----
With spanwise (records inputs, outputs, prompts and completions)::

    import spanwise
    spanwise.crewai.autolog()            # autolog(disable=True) removes it,
                                         # autolog(log_traces=False) keeps it, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.crewai import CrewAIInstrumentor
    CrewAIInstrumentor().instrument(tracer_provider=provider)

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_crewai`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_crewai``
turns it off.

What is traced
--------------
crewai 1.15 and later:

* a crew's run (``Crew.kickoff``, ``akickoff``; ``kickoff_async``, ``kickoff_for_each``
  and ``kickoff_for_each_async`` run ``kickoff`` once per run, each its own span) as
  ``invoke_workflow {crew name}`` with the kickoff inputs and the crew's output; a
  streaming kickoff is traced through the run it starts;
* each task (``Task.execute_sync``, ``execute_async`` on its thread, ``aexecute_sync``)
  as a TASK span ``"Task {task name}"`` (``"Task"`` when unnamed) with its description,
  expected output, agent and context, and its output;
* each agent's turn at a task (``Agent.execute_task`` / ``aexecute_task``) as
  ``invoke_agent {role}``: ``gen_ai.agent.name`` is the role, ``gen_ai.agent.description``
  the goal, ``gen_ai.agent.id`` the agent's id, with the agent's model and provider;
* an agent's run without a crew (``Agent.kickoff``, ``kickoff_async``; ``kickoff`` inside a
  running loop hands over to ``kickoff_async``: one span) as the same ``invoke_agent
  {role}``, with the messages as inputs and the answer as output; its model calls and
  tools nest under it (CrewAI's AgentExecutor, itself a Flow, folds away);
* a Flow's run (``Flow.kickoff``, ``kickoff_async``, ``akickoff``) as ``invoke_workflow
  {flow}`` (the flow's ``name``, else its class's) with the kickoff inputs and the final
  output, and each ``@start``/``@listen``/``@router`` method as a CHAIN span
  ``{flow}.{method}`` with the arguments it was passed and its result (a step of the
  workflow, as LlamaIndex's workflow steps are; a crew's TASK is a described task an
  agent works at); crews and agents a method runs nest under it;
* each tool call (``BaseTool.run``/``arun``, ``@tool`` functions, and the ReAct loop's
  ``CrewStructuredTool.invoke``) as ``execute_tool {name}`` with arguments and result;
* each model call of every CrewAI LLM (the native OpenAI, Anthropic, Gemini, Azure and
  Bedrock clients, LiteLLM's ``crewai.LLM``, a custom ``BaseLLM`` that emits CrewAI's
  call events) as one ``chat {model}`` span (CLIENT): the provider from the model's
  ``provider/`` prefix or the client's provider (``openai``, ``anthropic``,
  ``gcp.gemini``, ``azure.ai.openai``, ``aws.bedrock``...), the effective request
  parameters, ``server.address`` from ``base_url``, usage, finish reason, response id,
  and with content the messages, tool definitions and the answer (text or tool calls)
  in the parts format. While it runs, the LiteLLM and OpenAI (or other provider SDK)
  instrumentors underneath pass through: one model span per call. A tool CrewAI runs
  *inside* a model call (``available_functions``) is part of that model span.

Steps nest as CrewAI runs them (flow > method > crew > task > agent > model and tools),
under the caller's span (``@spanwise.trace``), across ``kickoff_async``'s,
``execute_async``'s and a flow's sync methods' threads. CrewAI's own errors pass through
unchanged (the spans record them); a spanwise fault is logged once and never reaches the
crew. No API key enters a span.

CrewAI's own telemetry
----------------------
CrewAI sends anonymous usage telemetry to its own servers through a ``TracerProvider``
of its own (never the global one), so none of it reaches your provider and nothing is
doubled; CrewAI's opt-in tracing (``CREWAI_TRACING_ENABLED``) goes to CrewAI's platform
over its own HTTP client. Turn the telemetry off with ``CREWAI_DISABLE_TELEMETRY=true``
(``OTEL_SDK_DISABLED=true`` also does, but turns off every OpenTelemetry SDK in the
process, spanwise's included).

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false``: records inputs, outputs, messages, tool arguments and results or
    not, whatever the code asked. Default: on under ``autolog()``, off for
    ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072).
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_crewai`` disables this instrumentor under ``opentelemetry-instrument``.
``CREWAI_DISABLE_TELEMETRY``
    CrewAI's, not spanwise's: ``true`` stops CrewAI's anonymous telemetry (see above).
"""

from __future__ import annotations

import importlib

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper  # type: ignore[import-untyped]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from .._wrappers import patch, resolve, unpatch
from ._model import BASE_LLM, completed_hook, frame_wrappers, started_hook, usage_hook
from ._patch import TARGETS
from .package import _instruments

__all__ = ["CrewAIInstrumentor"]

_RETRY = ("run_with_rate_limit_retry", "arun_with_rate_limit_retry")
_STARTED = ("BaseLLM", "_emit_call_started_event")
# Where CrewAI's clients report a model call's outcome: BaseLLM's method, and the one
# LiteLLM's ``crewai.LLM`` emits its completed events through.
_COMPLETED = (
    (BASE_LLM, "BaseLLM", "_emit_call_completed_event"),
    ("crewai.llm", "LLM", "_handle_emit_call_events"),
)
_USAGE = ("BaseLLM", "_track_token_usage_internal")


class CrewAIInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for CrewAI (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = TARGETS

    def _patch(self, settings: Settings) -> None:
        patch(settings, self._targets)
        module = importlib.import_module(BASE_LLM)
        if not all(hasattr(module, name) for name in _RETRY) or not resolve(BASE_LLM, *_STARTED):
            return  # not a CrewAI whose model calls spanwise knows: no model spans
        sync, async_ = frame_wrappers(settings)
        for name, wrapper in zip(_RETRY, (sync, async_), strict=True):
            wrap_function_wrapper(BASE_LLM, name, wrapper)
        wrap_function_wrapper(BASE_LLM, ".".join(_STARTED), started_hook(settings))
        hooks = [(*target, completed_hook) for target in _COMPLETED]
        for target, cls, method, hook in [*hooks, (BASE_LLM, *_USAGE, usage_hook)]:
            if resolve(target, cls, method):
                wrap_function_wrapper(target, f"{cls}.{method}", hook)

    def _unpatch(self) -> None:
        unpatch(self._targets)
        module = importlib.import_module(BASE_LLM)
        for name in _RETRY:
            unwrap(module, name)
        for target, cls, method in ((BASE_LLM, *_STARTED), (BASE_LLM, *_USAGE), *_COMPLETED):
            owner = resolve(target, cls, method)
            if owner is not None:
                unwrap(owner, method)
