"""What callback-style frameworks share (LangChain and LangGraph now; LlamaIndex, DSPy next).

A framework tells its callback handler that a *run* started and, later, from another
stack frame (another step of a generator, another task), that it ended. This module keeps
what turns those callbacks into well-parented spans on the core (:class:`Invocation`):

* :class:`RunSpans`: run id -> the run's span, thread-safe; a child's parent is its
  parent run's span (``parent_run_id``), whatever thread or task it runs on; a run the
  framework hides (an internal step) is an alias of its parent, so its children attach
  to the nearest traced ancestor; a root run nests under the caller's current span
  (the context a span starts in is its parent run's span, else the current one).
* Current-ness of a callback run (:meth:`CallbackRun.attach_here`): never attached by the
  start callback (in the caller's context it would leak to siblings: a batch starts all
  its runs before any body runs), but in the context the framework copies for the run's
  body (LangChain's ``_set_config_context``), which is thrown away after: nothing to
  detach, nothing to leak.
* :class:`ModelFrame`: the model span's current-ness and the core's ``in_model_call``
  key, held exactly while the framework's model code runs: per call for ``invoke``, per
  step for a generator (``stream``, ``astream``), always set and reset in one frame, so
  a provider SDK called by the framework's model gives no second model span and the key
  never outlives its call (a consumer's code between two chunks is not "in the model").
* :func:`guarded`: a callback method whose internal failure is reported and never
  reaches the framework (nor the application).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context

from spanwise.common._safety import fork_safe_lock, report_internal_error
from spanwise.semconv import FrameworkAttributes, GenAIAttributes

from ._invocation import Invocation, _in_model_call

__all__ = [
    "CallbackRun",
    "FrameworkAttributes",
    "ModelFrame",
    "RunSpans",
    "frame_agen",
    "frame_async",
    "frame_call",
    "frame_gen",
    "guarded",
]


F = TypeVar("F", bound=Callable[..., Any])


def guarded(site: str) -> Callable[[F], F]:
    """A callback that never raises into the framework: spanwise's failure is reported
    (once per site; re-raised under tests) and the run goes on untraced."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except Exception as exc:
                report_internal_error(site, exc)
                return None

        return run  # type: ignore[return-value]

    return decorate


# -- runs ------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class CallbackRun:
    """One run's span, as the framework's start and end callbacks see it."""

    invocation: Invocation
    kind: str  # what the framework called it: chain, llm, tool, retriever...
    parent: CallbackRun | None = None  # the traced run it nests under
    data: dict[str, Any] = field(default_factory=dict[str, Any])  # per-kind state

    @property
    def span(self) -> trace.Span:
        return self.invocation.span

    def context(self) -> Context:
        return trace.set_span_in_context(self.invocation.span)

    def attach_here(self) -> None:
        """Make this run current in the context the framework is preparing for the run's
        body (a fresh copy it throws away afterwards): user spans in a tool, a lambda or
        a node nest under the run, and nothing needs detaching."""
        otel_context.attach(self.context())


class RunSpans:
    """Run id -> run, for the callbacks of every thread and task."""

    __slots__ = ("_aliases", "_lock", "_runs")

    def __init__(self) -> None:
        self._runs: dict[Any, CallbackRun] = {}
        self._aliases: dict[Any, Any] = {}  # a hidden run -> its parent run id
        self._lock = fork_safe_lock()

    def add(self, run_id: Any, run: CallbackRun) -> None:
        with self._lock:
            self._runs[run_id] = run

    def alias(self, run_id: Any, parent_run_id: Any) -> None:
        """``run_id`` is not traced: its children belong to its parent's span."""
        with self._lock:
            self._aliases[run_id] = parent_run_id

    def get(self, run_id: Any) -> CallbackRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def pop(self, run_id: Any) -> CallbackRun | None:
        with self._lock:
            self._aliases.pop(run_id, None)
            return self._runs.pop(run_id, None)

    def parent(self, parent_run_id: Any) -> CallbackRun | None:
        """The traced run a child of ``parent_run_id`` nests under (hidden runs skipped)."""
        with self._lock:
            seen = 0
            while parent_run_id is not None and seen < 64:
                run = self._runs.get(parent_run_id)
                if run is not None:
                    return run
                parent_run_id = self._aliases.get(parent_run_id)
                seen += 1
            return None

    def __len__(self) -> int:
        """Runs and aliases held (none once every run has ended)."""
        with self._lock:
            return len(self._runs) + len(self._aliases)


# -- model frames ------------------------------------------------------------------------------

_frame: ContextVar[ModelFrame | None] = ContextVar("spanwise_model_frame", default=None)


class ModelFrame:
    """While a framework's model method runs: its span current and ``in_model_call`` set.

    The span is known from the start (a run id in the call's arguments) or bound by the
    start callback that runs inside the frame (:meth:`bind_current`). Everything a step
    sets is reset by that step, in the same frame: the key cannot leak."""

    __slots__ = ("_tokens", "span", "stream")

    def __init__(self, span: trace.Span | None = None, *, stream: bool = False) -> None:
        self.span = span
        self.stream = stream  # the caller asked for a stream (stream/astream)
        self._tokens: list[tuple[Any, Any]] = []

    @staticmethod
    def bind_current(span: trace.Span) -> None:
        """Called by a model start callback: the frame this code runs in (if any, and not
        yet bound) is this span's, from now until the frame's step ends."""
        frame = _frame.get()
        if frame is not None and frame.span is None:
            frame.span = span
            if frame.stream:
                span.set_attribute(GenAIAttributes.REQUEST_STREAM, True)
            frame._push()

    def _push(self) -> None:
        span = self.span
        if span is None:
            return
        self._tokens.append((None, otel_context.attach(trace.set_span_in_context(span))))
        self._tokens.append((_in_model_call, _in_model_call.set(True)))

    def _pop(self) -> None:
        tokens, self._tokens = self._tokens, []
        span = self.span
        for var, token in reversed(tokens):
            try:
                if var is None:
                    # Detached only where it is current: a start callback that ran in
                    # another context (older LangChain gathers async callbacks in tasks)
                    # attached it there, not here.
                    if span is not None and trace.get_current_span() is span:
                        otel_context.detach(token)
                else:
                    var.reset(token)
            except ValueError:  # the same: a token of another context
                pass
            except Exception as exc:
                report_internal_error("model frame", exc)

    def step(self) -> Any:
        """Start a step: returns the token to pass to :meth:`end_step`."""
        token = _frame.set(self)
        if self.span is not None:
            self._push()
        elif self.stream:
            # A stream's first step opens its run inside: the key is set from the step's
            # start (the start callback may run in another context, where it could not).
            self._tokens.append((_in_model_call, _in_model_call.set(True)))
        return token

    def end_step(self, token: Any) -> None:
        self._pop()
        _frame.reset(token)


SpanOf = Callable[[tuple[Any, ...], dict[str, Any]], "trace.Span | None"]


def _new_frame(span_of: SpanOf | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ModelFrame:
    span = None
    if span_of is not None:
        try:
            span = span_of(args, kwargs)
        except Exception as exc:
            report_internal_error("model frame", exc)
    return ModelFrame(span)


def frame_call(enabled: Callable[[], bool], span_of: SpanOf | None = None) -> Any:
    """A wrapt wrapper: a plain model method runs in one frame."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not enabled():
            return wrapped(*args, **kwargs)
        frame = _new_frame(span_of, args, kwargs)
        token = frame.step()
        try:
            return wrapped(*args, **kwargs)
        finally:
            frame.end_step(token)

    return wrapper


def frame_async(enabled: Callable[[], bool], span_of: SpanOf | None = None) -> Any:
    """A wrapt wrapper: a coroutine model method runs in one frame (in its own task's
    context: set and reset in the same coroutine)."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def run() -> Any:
            if not enabled():
                return await wrapped(*args, **kwargs)
            frame = _new_frame(span_of, args, kwargs)
            token = frame.step()
            try:
                return await wrapped(*args, **kwargs)
            finally:
                frame.end_step(token)

        return run()

    return wrapper


def frame_gen(enabled: Callable[[], bool]) -> Any:
    """A wrapt wrapper: each step of a generator model method runs in the frame (the
    consumer's code between two items does not)."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not enabled():
            return wrapped(*args, **kwargs)
        return _stepped(wrapped(*args, **kwargs))

    return wrapper


def _stepped(inner: Iterator[Any]) -> Iterator[Any]:
    frame = ModelFrame(stream=True)
    try:
        while True:
            token = frame.step()
            try:
                item = next(inner)
            except StopIteration:
                return
            finally:
                frame.end_step(token)
            yield item
    finally:
        close = getattr(inner, "close", None)
        if close is not None:
            token = frame.step()
            try:
                close()
            finally:
                frame.end_step(token)


def frame_agen(enabled: Callable[[], bool]) -> Any:
    """The async generator twin of :func:`frame_gen`."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not enabled():
            return wrapped(*args, **kwargs)
        return _astepped(wrapped(*args, **kwargs))

    return wrapper


async def _astepped(inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
    frame = ModelFrame(stream=True)
    try:
        while True:
            token = frame.step()
            try:
                item = await inner.__anext__()
            except StopAsyncIteration:
                return
            finally:
                frame.end_step(token)
            yield item
    finally:
        aclose = getattr(inner, "aclose", None)
        if aclose is not None:
            token = frame.step()
            try:
                await aclose()
            finally:
                frame.end_step(token)
