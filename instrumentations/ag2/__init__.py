"""AG2 instrumentation for spanwise: conversations, agents' replies, tools and model calls
as one tree of GenAI spans.

AG2's classic API (``import autogen``: ``ConversableAgent``, ``GroupChat``,
``OpenAIWrapper``), the ``ag2``, ``autogen`` or ``pyautogen`` distribution 0.9 and later
in the 0.x line (ag2 1.x is a new framework under ``import ag2``, not this one).

Usage
-----
With spanwise (records messages, arguments and results)::

    import spanwise
    spanwise.ag2.autolog()               # autolog(disable=True) removes it,
                                         # autolog(log_traces=False) keeps it, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.ag2 import Ag2Instrumentor
    Ag2Instrumentor().instrument(tracer_provider=provider)

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the ``spanwise_ag2``
entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_ag2`` turns it off.

What is traced
--------------
* a conversation (``initiate_chat``, ``a_initiate_chat``, and ``run``, which calls them) as
  ``invoke_workflow {sender} -> {recipient}`` with ``gen_ai.conversation.id`` (the chat id),
  the opening message as input and the summary as output;
* every reply an agent generates (``generate_reply``, ``a_generate_reply``) as
  ``invoke_agent {name}`` with ``gen_ai.agent.name``/``description``, the history it
  answers as ``gen_ai.input.messages`` and its reply (text or tool calls) as
  ``gen_ai.output.messages``. A ``GroupChatManager``'s reply runs the group chat: the
  speakers' replies (and an ``auto`` speaker selection's own chats) nest in it;
* every function or tool call (``execute_function``, ``a_execute_function``) as
  ``execute_tool {name}`` with the call id, arguments and result; a tool that failed
  (AG2 answers with the error's text) has ``error.type`` ``ToolExecutionError``;
* every model call (``OpenAIWrapper.create``) as one ``chat {model}`` span (CLIENT): the
  provider from the config's ``api_type`` (OpenAI's protocol named from ``base_url``, with
  ``server.*``), the request parameters of the config and the call, the response id,
  model, finish reasons and token usage, and with content the messages in the parts
  format (tool calls included) and the tool definitions. While it runs, spanwise's
  provider instrumentors underneath pass through: one model span per call.

AG2's own OpenTelemetry (``autogen.opentelemetry.instrument_agent``,
``instrument_llm_wrapper``, ``instrument_pattern``) is opt-in per object; on what it
instruments spanwise passes through (a model call still keeps the provider's
instrumentor out), so no call is traced twice.

AG2's errors pass through unchanged (the span records them); a spanwise fault is logged
once and never reaches the application. No API key enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false``: records messages, arguments and results or not, whatever the code
    asked. Default: on under ``autolog()``, off for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072).
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_ag2`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Collection

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper  # type: ignore[import-untyped]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from .._wrappers import patch, resolve, unpatch
from ._patch import HANDOFF, MODEL_TARGET, TARGETS, handoff_wrappers, model_wrappers
from .package import _instruments

__all__ = ["Ag2Instrumentor"]

# The distributions that ship ``import autogen`` (the classic API), in the order looked for.
_DISTRIBUTIONS = ("ag2", "autogen", "pyautogen")


def _requirement() -> tuple[str, ...]:
    """``_instruments`` for the distribution that is installed: AG2 publishes the same
    code as ``ag2``, ``autogen`` and ``pyautogen``."""
    bounds = _instruments[0].partition(" ")[2]
    for name in _DISTRIBUTIONS:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        return (f"{name} {bounds}",)
    return _instruments


class Ag2Instrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for AG2 (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = TARGETS

    def instrumentation_dependencies(self) -> Collection[str]:
        return _requirement()

    def _patch(self, settings: Settings) -> None:
        patch(settings, self._targets)
        target = MODEL_TARGET
        if resolve(target.module, str(target.sync_cls), target.method) is not None:
            wrap_function_wrapper(
                target.module, f"{target.sync_cls}.{target.method}", model_wrappers(settings)
            )
        module, cls, give, take = HANDOFF
        for method, wrapper in zip((give, take), handoff_wrappers(settings), strict=True):
            if resolve(module, cls, method) is not None:
                wrap_function_wrapper(module, f"{cls}.{method}", wrapper)

    def _unpatch(self) -> None:
        unpatch(self._targets)
        owner = resolve(MODEL_TARGET.module, str(MODEL_TARGET.sync_cls), MODEL_TARGET.method)
        if owner is not None:
            unwrap(owner, MODEL_TARGET.method)
        module, cls, *methods = HANDOFF
        for method in methods:
            owner = resolve(module, cls, method)
            if owner is not None:
                unwrap(owner, method)
