"""``@trace``: a span around each call of a function, coroutine or (async) generator."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any, TypeVar, cast, overload

from spanwise.semconv import SpanType

from ._run import Binder, Run, SpanSpec, span_type_name, static_attributes
from ._run import span_name as fixed_name

__all__ = ["trace"]

F = TypeVar("F", bound=Callable[..., Any])


@overload
def trace(func: F, /) -> F: ...


@overload
def trace(
    func: None = None,
    /,
    *,
    name: str | None = None,
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: Mapping[str, Any] | None = None,
    output_reducer: Callable[[list[Any]], Any] | None = None,
) -> Callable[[F], F]: ...


def trace(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: Mapping[str, Any] | None = None,
    output_reducer: Callable[[list[Any]], Any] | None = None,
) -> Any:
    """Trace every call of ``func`` as a span (bare ``@trace`` or ``@trace(name=...)``).

    The span records the bound arguments (defaults applied, without ``self``/``cls``) as
    inputs and the return value as outputs. For generators the span runs from the first
    step to exhaustion, ``close()`` or garbage collection; each yielded item is an event
    and the outputs are the list of items, or ``output_reducer(items)``. Exceptions are
    recorded and re-raised unchanged. ``trace(fn)`` also wraps existing callables such
    as ``math.pow``.
    """

    def decorate(fn: Callable[..., Any]) -> Any:
        if isinstance(fn, (staticmethod, classmethod)):
            method = cast(Any, fn)
            return type(method)(decorate(method.__func__))
        if not callable(fn):
            raise TypeError(f"@trace needs a callable, got {type(fn).__name__}")
        unnamed = name is None or name == ""
        span_name = fixed_name(
            (getattr(fn, "__name__", None) or type(fn).__name__) if unnamed else name
        )
        kind = span_type_name(span_type)
        spec = SpanSpec(span_name, kind, static_attributes(span_name, kind, attributes))
        binder = Binder(fn)
        if inspect.isasyncgenfunction(fn):
            wrapper = _async_generator_wrapper(fn, spec, binder, output_reducer)
        elif inspect.isgeneratorfunction(fn):
            wrapper = _generator_wrapper(fn, spec, binder, output_reducer)
        elif output_reducer is not None:
            raise ValueError(
                f"output_reducer applies to generator functions only; {span_name!r} is not one"
            )
        elif inspect.iscoroutinefunction(fn):
            wrapper = _coroutine_wrapper(fn, spec, binder)
        else:
            wrapper = _function_wrapper(fn, spec, binder)
        with contextlib.suppress(AttributeError, TypeError):  # callables without __dict__
            functools.update_wrapper(wrapper, fn)
        return wrapper

    if func is None:
        return decorate
    return decorate(func)


def _function_wrapper(fn: Callable[..., Any], spec: SpanSpec, binder: Binder) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        run = Run.start(spec, lambda: binder.bind(args, kwargs))
        if run is None:
            return fn(*args, **kwargs)
        with run:
            result = fn(*args, **kwargs)
        run.succeed(result)
        return result

    return wrapper


def _coroutine_wrapper(
    fn: Callable[..., Any], spec: SpanSpec, binder: Binder
) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        run = Run.start(spec, lambda: binder.bind(args, kwargs))
        if run is None:
            return await fn(*args, **kwargs)
        with run:  # CancelledError included: the span says so
            result = await fn(*args, **kwargs)
        run.succeed(result)
        return result

    return wrapper


# The generator twins: the span starts at the first step, is current only while the
# wrapped generator's body runs, and ends once on exhaustion, error, close() or garbage
# collection (which closes the wrapper). Values sent and exceptions thrown in are
# passed through to the wrapped generator.


def _generator_wrapper(
    fn: Callable[..., Any],
    spec: SpanSpec,
    binder: Binder,
    reducer: Callable[[list[Any]], Any] | None,
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        gen: Generator[Any, Any, Any] = fn(*args, **kwargs)
        run = Run.start(spec, lambda: binder.bind(args, kwargs))
        if run is None:
            result: Any = yield from gen
            return result
        items: list[Any] = []
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            run.enter()
            try:
                item = gen.send(sent) if thrown is None else gen.throw(thrown)
            except StopIteration as stop:
                run.exit()
                run.finish_stream(items, reducer)
                return stop.value
            except BaseException as exc:
                run.exit()
                run.fail(exc)
                raise
            run.exit()
            run.stream_item(len(items), item)
            items.append(item)
            sent, thrown = None, None
            try:
                sent = yield item
            except GeneratorExit:  # close() or garbage collection: an early stop, not an error
                run.enter()
                try:
                    gen.close()
                finally:
                    run.exit()
                    run.finish_stream(items, reducer)
                raise
            except BaseException as exc:
                thrown = exc

    return wrapper


def _async_generator_wrapper(
    fn: Callable[..., Any],
    spec: SpanSpec,
    binder: Binder,
    reducer: Callable[[list[Any]], Any] | None,
) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        agen = fn(*args, **kwargs)
        run = Run.start(spec, lambda: binder.bind(args, kwargs))
        items: list[Any] = []
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            if run is not None:
                run.enter()
            try:
                item = await (agen.asend(sent) if thrown is None else agen.athrow(thrown))
            except StopAsyncIteration:
                if run is not None:
                    run.exit()
                    run.finish_stream(items, reducer)
                return
            except BaseException as exc:
                if run is not None:
                    run.exit()
                    run.fail(exc)
                raise
            if run is not None:
                run.exit()
                run.stream_item(len(items), item)
                items.append(item)
            sent, thrown = None, None
            try:
                sent = yield item
            except GeneratorExit:
                if run is not None:
                    run.enter()
                try:
                    await agen.aclose()
                finally:
                    if run is not None:
                        run.exit()
                        run.finish_stream(items, reducer)
                raise
            except BaseException as exc:
                thrown = exc

    return wrapper
