"""Patching, shared: wrapt wrapper factories (sync and async twins) and the target loop.

A library says *what* to patch (:class:`Target` rows) and *how a call becomes a span*
(an :class:`Operation`: ``start`` turns the call into a started run, ``finish`` turns
the result into what the caller gets); the wrappers here are the only code that runs a
patched call, so the start/current/fail/end body exists once (:class:`SpanRun`).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from wrapt import wrap_function_wrapper  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

from ._invocation import Settings
from ._lifecycle import SpanRun

__all__ = [
    "Operation",
    "Target",
    "Wrapper",
    "async_wrapper",
    "patch",
    "resolve",
    "sync_wrapper",
    "unpatch",
]

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


class Operation(Protocol):
    """How one kind of call becomes a span."""

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> SpanRun | None:
        """The started run (not yet current), or None to leave the call untraced."""
        ...

    def finish(self, run: Any, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        """Record the result and end the run (or hand it to a stream); return what the
        caller gets. An operation may also have ``async def finish_async(run, result,
        kwargs)`` for coroutine methods whose result needs awaiting to be read."""
        ...


def sync_wrapper(settings: Settings, operation: Operation, *, is_async: bool = False) -> Wrapper:
    """A wrapper for a plain method (``is_async``: of an async client, returning an async
    object such as an async stream manager, not a coroutine)."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not settings.enabled():
            return wrapped(*args, **kwargs)
        run = operation.start(settings, instance, args, kwargs)
        if run is None:
            return wrapped(*args, **kwargs)
        with run:
            result = wrapped(*args, **kwargs)
        return operation.finish(run, result, kwargs, is_async=is_async)

    return wrapper


def async_wrapper(settings: Settings, operation: Operation) -> Wrapper:
    finish_async: Callable[..., Awaitable[Any]] | None = getattr(operation, "finish_async", None)

    def wrapper(
        wrapped: Callable[..., Awaitable[Any]],
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Awaitable[Any]:
        async def run_call() -> Any:
            if not settings.enabled():
                return await wrapped(*args, **kwargs)
            run = operation.start(settings, instance, args, kwargs)
            if run is None:
                return await wrapped(*args, **kwargs)
            with run:
                result = await wrapped(*args, **kwargs)
            if finish_async is not None:
                return await finish_async(run, result, kwargs)
            return operation.finish(run, result, kwargs, is_async=True)

        return run_call()

    return wrapper


@dataclass(frozen=True, slots=True)
class Target:
    """A method to patch: ``module.sync_cls.method`` and its async twin."""

    module: str
    sync_cls: str | None
    async_cls: str | None
    method: str
    operation: Operation
    # False where the async class's method is a plain one (returns a manager, not a coroutine).
    async_is_coroutine: bool = True


def resolve(module: str, cls: str, method: str) -> Any | None:
    """The class, if this library version has it and its own ``method`` (older versions
    lack some); None otherwise."""
    try:
        owner = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return None
    return owner if method in vars(owner) else None


def _factories(target: Target, settings: Settings) -> list[tuple[str | None, Wrapper]]:
    operation = target.operation
    if target.async_is_coroutine:
        async_factory = async_wrapper(settings, operation)
    else:
        async_factory = sync_wrapper(settings, operation, is_async=True)
    return [(target.sync_cls, sync_wrapper(settings, operation)), (target.async_cls, async_factory)]


def patch(settings: Settings, targets: Iterable[Target]) -> None:
    for target in targets:
        for cls, wrapper in _factories(target, settings):
            if cls is not None and resolve(target.module, cls, target.method) is not None:
                wrap_function_wrapper(target.module, f"{cls}.{target.method}", wrapper)


def unpatch(targets: Iterable[Target]) -> None:
    from opentelemetry.instrumentation.utils import unwrap

    for target in targets:
        for cls in (target.sync_cls, target.async_cls):
            owner = None if cls is None else resolve(target.module, cls, target.method)
            if owner is not None:
                unwrap(owner, target.method)
