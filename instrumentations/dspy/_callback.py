"""The span lifecycle of DSPy's calls, driven by DSPy's own callback system.

DSPy runs every callback's ``on_*_start`` just before a call and its ``on_*_end`` just
after, in the same frame (``dspy.utils.callback.with_callbacks``), so a span started and
made current in ``start`` is current while the call runs and nests what it calls: the
module's predictors, the adapter, the LM, the tools. A model call holds the core's
model-call key while it runs, so LiteLLM's and the OpenAI SDK's instrumentors underneath
pass through: one model span per call, DSPy's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from typing import Any

from dspy.utils.callback import BaseCallback  # type: ignore[import-untyped]

from spanwise.common._safety import report_internal_error
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanType
from spanwise.semconv import SpanwiseAttributes as S

from .._invocation import AGENT, CHAT, TOOL, WORKFLOW, Invocation, Kind, Settings, tool_attributes
from .._llm import LLMCall
from .._stainless import server_attributes
from ._extract import (
    call_inputs,
    lm_request_attributes,
    lm_request_content,
    lm_response_attributes,
    lm_response_content,
    plain,
    split_model,
)

__all__ = ["SpanwiseCallback", "record_response"]

_MODULE = Kind(SpanType.CHAIN.value, None)
_ADAPTER = Kind(SpanType.PARSER.value, None)
# Modules that run an agent loop (think, pick a tool, observe) rather than one step.
_AGENT_MODULES = frozenset({"ReAct", "CodeAct"})


class _LMState:
    __slots__ = ("call", "entry", "instance")

    def __init__(self, instance: Any, call: LLMCall) -> None:
        self.instance = instance
        self.call = call
        self.entry: dict[str, Any] | None = None  # DSPy's history entry of the call


# The model call in flight in this context, for :func:`record_response`.
_current_lm: ContextVar[_LMState | None] = ContextVar("spanwise_dspy_lm", default=None)


def record_response(instance: Any, entry: dict[str, Any]) -> None:
    """Keep DSPy's history entry of the LM call in flight: it holds the provider's
    response and the usage (callbacks get only the outputs parsed from them)."""
    state = _current_lm.get()
    if state is not None and state.instance is instance:
        state.entry = entry


def _guarded(event: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A callback method that never lets a spanwise fault reach DSPy's call."""

    def decorate(method: Callable[..., None]) -> Callable[..., None]:
        def run(self: SpanwiseCallback, *args: Any, **kwargs: Any) -> None:
            try:
                method(self, *args, **kwargs)
            except Exception as exc:
                report_internal_error(f"dspy {event}", exc)

        run.__name__ = method.__name__
        return run

    return decorate


class SpanwiseCallback(BaseCallback):  # type: ignore[misc]
    """Spans for modules, LM calls, adapters, tools, evaluations and compilations."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._runs: dict[str, Invocation] = {}  # by DSPy's call id
        # call id -> (state, context token)
        self._lm: dict[str, tuple[_LMState, Token[_LMState | None]]] = {}

    # -- shared ----------------------------------------------------------------------------

    def _start(
        self,
        call_id: str,
        name: str,
        attributes: dict[str, Any],
        content: Callable[[], Mapping[str, Any]] | None,
    ) -> None:
        if not self._settings.enabled():
            return
        run = Invocation.start(self._settings, name, attributes, content)
        if run is not None:
            run.enter()
            self._runs[call_id] = run

    def _end(
        self,
        call_id: str,
        exception: BaseException | None,
        content: Callable[[], Mapping[str, Any]] | None,
    ) -> None:
        run = self._runs.pop(call_id, None)
        if run is None:
            return
        run.exit()
        if exception is not None:
            run.fail(exception)
            return
        if content is not None and run.capture:
            run.record({}, content())
        run.end_ok()

    @staticmethod
    def _outputs(outputs: Any) -> Callable[[], Mapping[str, Any]]:
        return lambda: {S.SPAN_OUTPUTS: plain(outputs)}

    # -- modules (Predict, ChainOfThought, ReAct, user programs) ------------------------------

    @_guarded("module start")
    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        cls = type(instance).__name__
        if cls in _AGENT_MODULES:
            attributes = AGENT.attributes(cls)
            name = AGENT.span_name(cls)
        else:
            attributes = _MODULE.attributes()
            name = f"{cls}.forward"
        self._start(call_id, name, attributes, lambda: {S.SPAN_INPUTS: call_inputs(inputs)})

    @_guarded("module end")
    def on_module_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        self._end(call_id, exception, self._outputs(outputs))

    # -- model calls ---------------------------------------------------------------------------

    @_guarded("lm start")
    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        if not self._settings.enabled():
            return
        lm_kwargs: dict[str, Any] = dict(getattr(instance, "kwargs", None) or {})
        call_kwargs: dict[str, Any] = dict(inputs.get("kwargs") or {})
        litellm_backed = type(instance).__name__ == "LM"
        provider, model = split_model(getattr(instance, "model", None), litellm_backed)
        attributes = lm_request_attributes(model, lm_kwargs, call_kwargs)
        attributes.update(CHAT.attributes(model))
        attributes[G.PROVIDER_NAME] = provider
        base_url = call_kwargs.get("api_base") or lm_kwargs.get("api_base")
        if base_url:
            attributes.update(server_attributes(base_url)[1])
        call = LLMCall.start_call(
            self._settings, CHAT.span_name(model), attributes, lambda: lm_request_content(inputs)
        )
        if call is None:
            return
        call.enter()
        state = _LMState(instance, call)
        self._lm[call_id] = (state, _current_lm.set(state))

    @_guarded("lm end")
    def on_lm_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        pending = self._lm.pop(call_id, None)
        if pending is None:
            return
        state, token = pending
        _current_lm.reset(token)
        call = state.call
        call.exit()
        if exception is not None:
            call.fail(exception)
            return
        entry: dict[str, Any] = state.entry or {}
        response = entry.get("response")
        call.record(
            lm_response_attributes(response, entry.get("usage")),
            lm_response_content(response, outputs) if call.capture else None,
        )
        call.succeed()

    # -- adapters: the prompt DSPy formats, the outputs it parses -------------------------------

    @_guarded("adapter start")
    def on_adapter_format_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self._adapter_start(call_id, instance, "format", inputs)

    @_guarded("adapter end")
    def on_adapter_format_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        self._end(call_id, exception, self._outputs(outputs))

    @_guarded("adapter start")
    def on_adapter_parse_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self._adapter_start(call_id, instance, "parse", inputs)

    @_guarded("adapter end")
    def on_adapter_parse_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        self._end(call_id, exception, self._outputs(outputs))

    def _adapter_start(self, call_id: str, instance: Any, step: str, inputs: Any) -> None:
        name = f"{type(instance).__name__}.{step}"
        self._start(
            call_id, name, _ADAPTER.attributes(), lambda: {S.SPAN_INPUTS: call_inputs(inputs)}
        )

    # -- tools ---------------------------------------------------------------------------------

    @_guarded("tool start")
    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        name = str(getattr(instance, "name", None) or type(instance).__name__)
        description = getattr(instance, "desc", None)
        attributes = tool_attributes(
            name, description=str(description) if description else None, tool_type="function"
        )
        self._start(
            call_id,
            TOOL.span_name(name),
            attributes,
            lambda: {G.TOOL_CALL_ARGUMENTS: call_inputs(inputs)},
        )

    @_guarded("tool end")
    def on_tool_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        self._end(call_id, exception, lambda: {G.TOOL_CALL_RESULT: plain(outputs)})

    # -- evaluation and compilation runs, as workflows ----------------------------------------

    @_guarded("evaluate start")
    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        program = inputs.get("program")
        subject = f"Evaluate {type(program).__name__}" if program is not None else "Evaluate"
        devset: Any = inputs.get("devset") or getattr(instance, "devset", None) or []
        self._start(
            call_id,
            WORKFLOW.span_name(subject),
            WORKFLOW.attributes(subject),
            lambda: {S.SPAN_INPUTS: {"program": subject, "examples": len(devset)}},
        )

    @_guarded("evaluate end")
    def on_evaluate_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        score = getattr(outputs, "score", outputs)
        self._end(call_id, exception, lambda: {S.SPAN_OUTPUTS: {"score": plain(score)}})

    @_guarded("compile start")
    def on_compile_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        subject = f"compile {type(instance).__name__}"
        self._start(call_id, WORKFLOW.span_name(subject), WORKFLOW.attributes(subject), None)

    @_guarded("compile end")
    def on_compile_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        self._end(call_id, exception, None)
