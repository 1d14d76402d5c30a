"""Span lifecycle of AutoGen's calls: coroutines, async generators, and runs that nest.

AutoGen's work is asynchronous: ``run``, ``on_messages``, ``run_json`` and ``create`` are
coroutines (the core's :func:`async_wrapper` runs them), while ``run_stream``,
``on_messages_stream``, ``run_json_stream`` and ``create_stream`` are async generators.
A generator's span is current only while one of its steps runs (:func:`agen_wrapper`):
the consumer's code between two items is not inside the agent or the model.

One agent invocation is one span although AutoGen calls an agent through several
layers (``run`` -> ``on_messages`` -> ``on_messages_stream``, a team's container ->
``on_messages_stream``): a run marks its agent (or team) as running in its context
(:class:`NestedRun`), and a call on the same object inside it passes through, handing
what it yields to the outer run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar, Token
from typing import Any, Protocol

from spanwise.common._safety import report_internal_error

from .._invocation import Invocation, Settings
from .._lifecycle import SpanRun
from .._wrappers import Wrapper

__all__ = ["NestedRun", "StreamOperation", "agen_wrapper", "outer_run"]

# (object id, its run) for every agent and team whose span is in flight in this context.
_running: ContextVar[tuple[tuple[int, Invocation], ...]] = ContextVar(
    "spanwise_autogen_running", default=()
)


def outer_run(obj: object) -> Invocation | None:
    """The run in flight for ``obj`` (an agent or a team) in this context, if any."""
    key = id(obj)
    for owner, run in _running.get():
        if owner == key:
            return run
    return None


class NestedRun(Invocation):
    """An agent's or team's span: while current, its object counts as running."""

    __slots__ = ("_guard", "key")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.key = 0
        self._guard: Token[tuple[tuple[int, Invocation], ...]] | None = None

    def enter(self) -> None:
        super().enter()
        self._guard = _running.set((*_running.get(), (self.key, self)))

    def exit(self) -> None:
        guard, self._guard = self._guard, None
        if guard is not None:
            try:
                _running.reset(guard)
            except ValueError as exc:  # reset in another context: drop ours only
                report_internal_error("autogen run guard", exc)
        super().exit()


class StreamOperation(Protocol):
    """How an async generator method becomes a span."""

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> SpanRun | None:
        """The started run, or None to pass through."""
        ...

    def outer(self, instance: Any) -> SpanRun | None:
        """When passing through: a run that wants what the generator yields."""
        ...

    def item(self, run: Any, item: Any) -> None:
        """Record one yielded item (may raise: the caller reports it)."""
        ...


def _observe(operation: StreamOperation, run: Any, item: Any) -> None:
    try:
        operation.item(run, item)
    except Exception as exc:
        report_internal_error("autogen stream item", exc)


async def _traced(run: SpanRun, operation: StreamOperation, inner: AsyncIterator[Any]) -> Any:
    try:
        while True:
            run.enter()
            try:
                item = await inner.__anext__()
            except StopAsyncIteration:
                break
            finally:
                run.exit()
            _observe(operation, run, item)
            yield item
    except BaseException as exc:  # GeneratorExit (closed early) ends it as a success
        run.fail(exc)
        raise
    finally:
        aclose: Callable[[], Any] | None = getattr(inner, "aclose", None)
        if aclose is not None:
            await aclose()
    run.end_ok()


async def _watched(run: SpanRun, operation: StreamOperation, inner: AsyncIterator[Any]) -> Any:
    """Pass through, handing each item to the outer run."""
    try:
        async for item in inner:
            _observe(operation, run, item)
            yield item
    finally:
        aclose: Callable[[], Any] | None = getattr(inner, "aclose", None)
        if aclose is not None:
            await aclose()


def agen_wrapper(settings: Settings, operation: StreamOperation) -> Wrapper:
    """A wrapt wrapper for an async generator method."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not settings.enabled():
            return wrapped(*args, **kwargs)
        run = operation.start(settings, instance, args, kwargs)
        if run is not None:
            return _traced(run, operation, wrapped(*args, **kwargs))
        outer = operation.outer(instance)
        if outer is not None:
            return _watched(outer, operation, wrapped(*args, **kwargs))
        return wrapped(*args, **kwargs)

    return wrapper
