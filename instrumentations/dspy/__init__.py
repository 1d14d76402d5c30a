"""DSPy instrumentation for spanwise: a DSPy program's run as a tree of spans.

Usage
-----
With spanwise (records inputs, outputs, prompts and completions)::

    import spanwise
    spanwise.dspy.autolog()              # autolog(disable=True) removes it,
                                         # autolog(log_traces=False) keeps it, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.dspy import DSPyInstrumentor
    DSPyInstrumentor().instrument(tracer_provider=provider)

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_dspy`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_dspy``
turns it off.

What is traced
--------------
Through DSPy's callback system (dspy 3.0 and later): spanwise's callback runs beside the
application's own, whatever it configures (``dspy.configure(callbacks=...)``,
``dspy.context(callbacks=...)``), and leaves DSPy's configuration untouched:

* every module call (``Predict``, ``ChainOfThought``, your ``dspy.Module``) as a CHAIN span
  ``"{Module}.forward"`` with its inputs and outputs; ``ReAct`` and ``CodeAct`` as
  ``invoke_agent`` spans;
* every LM call as one ``chat {model}`` span (CLIENT): the provider from LiteLLM's model
  prefix (``openai/gpt-4o-mini`` -> ``openai``; ``gemini/...`` -> ``gcp.gemini``;
  ``bedrock/...`` -> ``aws.bedrock``; an LM that is not LiteLLM-backed -> ``dspy``), the
  request parameters (the LM's defaults overlaid by the call's), ``server.address`` from
  ``api_base``, the response id/model/finish reasons and token usage from the provider's
  response, and with content the messages in the parts format. While it runs, the LiteLLM
  and OpenAI instrumentors underneath pass through: one model span per call;
* the adapter's ``format`` (the prompt built from the signature) and ``parse`` (the fields
  read back) as PARSER spans;
* tools (``dspy.Tool``, ReAct's tools) as ``execute_tool {name}`` spans with arguments and
  result;
* ``dspy.Evaluate`` runs and optimizer ``compile`` runs as ``invoke_workflow`` spans; the
  examples an evaluation runs on worker threads nest under it.

DSPy's own errors pass through unchanged (the span records them); a spanwise fault is
logged once and never reaches the program. No API key enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false``: records inputs, outputs and messages or not, whatever the code
    asked. Default: on under ``autolog()``, off for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072).
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_dspy`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

from opentelemetry import context as otel_context
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper  # type: ignore[import-untyped]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from ._callback import SpanwiseCallback, record_response
from .package import _instruments

__all__ = ["DSPyInstrumentor"]

_CALLBACKS = "dspy.utils.callback"
_BASE_LM = "dspy.clients.base_lm"
_PARALLEL = "dspy.utils.parallelizer"


class _SettingsView:
    """``dspy.settings`` as ``with_callbacks`` reads it: the real settings, whose
    ``callbacks`` always include ours, whatever the app configured
    (``dspy.configure(callbacks=...)``, ``dspy.context(callbacks=...)``)."""

    __slots__ = ("_callback", "_settings")

    def __init__(self, settings: Any, callback: SpanwiseCallback) -> None:
        self._settings = settings
        self._callback = callback

    def get(self, key: str, default: Any = None) -> Any:
        value: Any = self._settings.get(key, default)
        if key != "callbacks" or not isinstance(value, list):
            return value
        callbacks = cast("list[Any]", value)
        # A new list: the app's configuration stays as it was.
        return callbacks if self._callback in callbacks else [*callbacks, self._callback]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings, name)


class _PackageView:
    """The ``dspy`` that ``dspy.utils.callback`` sees as its global: the package, but for
    ``settings``, the view above."""

    def __init__(self, package: Any, callback: SpanwiseCallback) -> None:
        self.package = package
        self.settings = _SettingsView(package.settings, callback)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.package, name)


def _keep_response(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``BaseLM.update_history(entry)``: the history entry DSPy keeps of a call holds the
    provider's response and usage, which callbacks never see."""
    entry: Any = args[0] if args else kwargs.get("entry")
    if isinstance(entry, dict):
        record_response(instance, cast("dict[str, Any]", entry))
    return wrapped(*args, **kwargs)


def _in_parent_context(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``ParallelExecutor._wrap_function``: the worker threads run each item in the
    context of the call that started them, so their spans nest under it."""
    function = wrapped(*args, **kwargs)
    parent = otel_context.get_current()

    def in_context(*a: Any, **kw: Any) -> Any:
        token = otel_context.attach(parent)
        try:
            return function(*a, **kw)
        finally:
            otel_context.detach(token)

    return in_context


class DSPyInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for DSPy (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _callback: SpanwiseCallback | None = None

    def _patch(self, settings: Settings) -> None:
        # Every callback-running call (module, LM, adapter, tool: ``with_callbacks``)
        # reads its callbacks with ``dspy.settings.get("callbacks")`` through the global
        # ``dspy`` of ``dspy.utils.callback``. Pointing that one global at a view adds
        # ours there only: no other settings read pays, no ``dspy.configure`` (which only
        # the thread that configured DSPy first may call), and it survives the app
        # replacing its callbacks.
        self._callback = SpanwiseCallback(settings)
        module = importlib.import_module(_CALLBACKS)
        package: Any = module.dspy
        if isinstance(package, _PackageView):  # instrumented twice: one view, ours
            package = package.package
        setattr(module, "dspy", _PackageView(package, self._callback))  # noqa: B010
        wrap_function_wrapper(_BASE_LM, "BaseLM.update_history", _keep_response)
        wrap_function_wrapper(_PARALLEL, "ParallelExecutor._wrap_function", _in_parent_context)

    def _unpatch(self) -> None:
        self._callback = None
        module = importlib.import_module(_CALLBACKS)
        view: Any = module.dspy
        if isinstance(view, _PackageView):
            setattr(module, "dspy", view.package)  # noqa: B010
        unwrap(importlib.import_module(_BASE_LM).BaseLM, "update_history")
        unwrap(importlib.import_module(_PARALLEL).ParallelExecutor, "_wrap_function")
