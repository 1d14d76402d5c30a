"""The span of a CrewAI model call: framed by CrewAI's retry wrapper, described by its
own model-call events.

``BaseLLM.__init_subclass__`` runs every LLM class's ``call``/``acall`` (LiteLLM's
``LLM``, the native OpenAI, Anthropic, Gemini, Azure, Bedrock clients, an app's own
subclass, also one defined after instrumenting) through ``run_with_rate_limit_retry`` /
``arun_with_rate_limit_retry``, module functions of ``crewai.llms.base_llm`` looked up at
call time. Wrapping them *frames* every model call; inside the frame the call itself
tells what it is by calling ``BaseLLM._emit_call_started_event`` (the messages, the tool
schemas, the effective parameters) and ``_emit_call_completed_event`` (the text or tool
calls, usage, finish reason, response id) in its own stack frame:

* started: the ``chat {model}`` span starts, becomes current and marks the model call in
  flight (``LLMCall``): the LiteLLM and provider-SDK instrumentors underneath pass
  through, one model span per call; a retry's second started event is the same span;
* completed: the outcome is recorded;
* the frame's end ends the span, with the exception if one leaves the call.

The events themselves reach CrewAI's bus (and the app's listeners) unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from spanwise.common._safety import report_internal_error

from .._invocation import CHAT, Settings
from .._llm import LLMCall
from .._wrappers import Wrapper
from ._extract import (
    STARTED_PARAMETERS,
    llm_request,
    llm_request_content,
    llm_response_attributes,
    llm_response_content,
    llm_usage_attributes,
    named_arguments,
)

__all__ = ["BASE_LLM", "completed_hook", "frame_wrappers", "started_hook", "usage_hook"]

BASE_LLM = "crewai.llms.base_llm"
_COMPLETED_PARAMETERS = (
    "response",
    "call_type",
    "from_task",
    "from_agent",
    "messages",
    "usage",
    "finish_reason",
    "response_id",
)


class _Frame:
    """One model call in flight: its span once the call has said what it is."""

    __slots__ = ("answered", "call", "llm", "result", "thread")

    def __init__(self) -> None:
        self.call: LLMCall | None = None
        self.llm: Any = None  # the client whose call it is
        self.answered = False  # a completed event recorded the outcome
        self.result: Any = None  # the call's return value
        self.thread = threading.get_ident()


_frame: ContextVar[_Frame | None] = ContextVar("spanwise_crewai_llm_frame", default=None)


@contextmanager
def _framed() -> Generator[_Frame]:
    frame = _Frame()
    token = _frame.set(frame)
    error: BaseException | None = None
    try:
        yield frame
    except BaseException as exc:
        error = exc
        raise
    finally:
        _frame.reset(token)
        _close(frame, error)


def _close(frame: _Frame, error: BaseException | None) -> None:
    call, frame.call = frame.call, None
    if call is None:
        return
    try:
        call.exit()
        if error is None and not frame.answered:
            # A client that returns without a completed event (LiteLLM's ``LLM`` handing
            # tool calls back to the executor): the outcome is what the call returned.
            outcome = {"response": frame.result}
            call.record(
                llm_response_attributes(outcome),
                llm_response_content(outcome) if call.capture else None,
            )
    except Exception as exc:  # never the app's: the call's own context was left as it was
        report_internal_error("crewai llm end", exc)
    if error is None:
        call.succeed()
    else:
        call.fail(error)


def frame_wrappers(settings: Settings) -> tuple[Wrapper, Wrapper]:
    """Wrappers of the sync and async retry functions: each model call runs in a frame."""

    def sync(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not settings.enabled():
            return wrapped(*args, **kwargs)
        with _framed() as frame:
            frame.result = wrapped(*args, **kwargs)
            return frame.result

    def async_(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def run() -> Any:
            if not settings.enabled():
                return await wrapped(*args, **kwargs)
            with _framed() as frame:
                frame.result = await wrapped(*args, **kwargs)
                return frame.result

        return run()

    return sync, async_


def _start(settings: Settings, llm: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    frame = _frame.get()
    if frame is None or frame.call is not None or not settings.enabled():
        return
    started = named_arguments(STARTED_PARAMETERS, args, kwargs)
    model, attributes = llm_request(llm, started)
    attributes.update(CHAT.attributes(model))
    call = LLMCall.start_call(
        settings, CHAT.span_name(model), attributes, lambda: llm_request_content(started)
    )
    if call is None:
        return
    # Current (HTTP spans nest under it; provider instrumentors pass through) only where
    # the frame can undo it: in the thread, hence the context, that opened it.
    if frame.thread == threading.get_ident():
        call.enter()
    frame.call, frame.llm = call, llm


def started_hook(settings: Settings) -> Wrapper:
    """``BaseLLM._emit_call_started_event``: the model call's span starts."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            _start(settings, instance, args, kwargs)
        except Exception as exc:
            report_internal_error("crewai llm start", exc)
        return wrapped(*args, **kwargs)

    return wrapper


def _in_flight(llm: Any) -> tuple[_Frame, LLMCall] | None:
    """The frame and span of ``llm``'s call in flight (not another client's call nested
    in it, e.g. by a tool the model call runs: that one is not traced)."""
    frame = _frame.get()
    call = None if frame is None else frame.call
    if frame is None or call is None or frame.llm is not llm:
        return None
    return frame, call


def completed_hook(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``BaseLLM._emit_call_completed_event`` (LiteLLM's ``LLM._handle_emit_call_events``):
    the model call's outcome."""
    try:
        flight = _in_flight(instance)
        if flight is not None:
            frame, call = flight
            completed = named_arguments(_COMPLETED_PARAMETERS, args, kwargs)
            call.record(
                llm_response_attributes(completed),
                llm_response_content(completed) if call.capture else None,
            )
            frame.answered = True
    except Exception as exc:
        report_internal_error("crewai llm response", exc)
    return wrapped(*args, **kwargs)


def usage_hook(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``BaseLLM._track_token_usage_internal(usage)``: every client reports its usage here,
    also where its completed event carries none."""
    try:
        flight = _in_flight(instance)
        if flight is not None:
            usage = args[0] if args else kwargs.get("usage_data")
            flight[1].record(llm_usage_attributes(usage))
    except Exception as exc:
        report_internal_error("crewai llm usage", exc)
    return wrapped(*args, **kwargs)
