"""Patching: our handler into every callback manager, and the model frames.

One :class:`SpanwiseCallbackHandler` serves both instrumentors (``langchain`` and
``langgraph``): whichever is instrumented first installs it, the last to uninstrument
removes it; while both are on, LangChain's settings (tracer, content policy) rule.

* ``BaseCallbackManager.__init__`` adds the handler (inheritable) to every run callback
  manager LangChain creates, as LangChain's own tracers are added: any run, any entry point.
* ``_set_config_context`` (what LangChain runs in the context it copies for a run's
  body, to make LangSmith's run current there) makes the run's span current there too.
* The model methods where a model's own code runs (``_generate_with_cache`` and its
  async twin, ``stream``/``astream``; ``BaseLLM``'s helpers) run in a
  :class:`ModelFrame`: the model span current and ``in_model_call`` set exactly then.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Span
from wrapt import wrap_function_wrapper  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

from spanwise.common._access import get
from spanwise.common._safety import fork_safe_lock, report_internal_error

from .._framework import SpanOf, frame_agen, frame_async, frame_call, frame_gen
from .._invocation import Settings
from ._handler import SpanwiseCallbackHandler

__all__ = ["current_handler", "install", "uninstall", "unwrap_bodies", "wrap_bodies"]

_CHAT = "langchain_core.language_models.chat_models"
_LLM = "langchain_core.language_models.llms"
_MANAGER = "langchain_core.callbacks.base"
# Modules that hold LangChain's ``_set_config_context`` (older versions import it by name
# into each module that runs bodies: each binding is wrapped).
_BODIES = (
    "langchain_core.runnables.config",
    "langchain_core.runnables.base",
    "langchain_core.runnables.fallbacks",
    "langchain_core.tools.base",
)

_lock = fork_safe_lock()
_owners: dict[str, Settings] = {}
_handler: SpanwiseCallbackHandler | None = None


def current_handler() -> SpanwiseCallbackHandler | None:
    """The installed handler (None when neither instrumentor is on)."""
    return _handler


def _enabled() -> bool:
    handler = _handler
    return handler is not None and handler._on()  # pyright: ignore[reportPrivateUsage]


def _manager_init(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    wrapped(*args, **kwargs)
    handler = _handler
    if handler is None:
        return
    try:
        # Run managers only: others (LangGraph's graph lifecycle managers) dispatch
        # events a run handler does not have.
        if not isinstance(instance, _run_managers()):
            return
        if handler not in instance.inheritable_handlers:
            instance.add_handler(handler, True)
    except Exception as exc:
        report_internal_error("langchain callback manager", exc)


def body_context(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``_set_config_context(config)``, run by LangChain (and LangGraph) inside the fresh
    context copy a run's body runs in: the run (the config's callbacks' parent run) is
    made current there too."""
    result = wrapped(*args, **kwargs)
    handler = _handler
    if handler is None or not handler._on():  # pyright: ignore[reportPrivateUsage]
        return result
    try:
        config = args[0] if args else kwargs.get("config")
        parent_run_id = getattr(get(config, "callbacks"), "parent_run_id", None)
        run = None if parent_run_id is None else handler.runs.parent(parent_run_id)
        if run is not None:
            run.attach_here()
    except Exception as exc:
        report_internal_error("langchain body context", exc)
    return result


def wrap_bodies(modules: tuple[str, ...]) -> list[Any]:
    """Wrap ``_set_config_context`` where each module binds it; the modules wrapped."""
    import importlib

    from wrapt import ObjectProxy  # pyright: ignore[reportMissingTypeStubs]

    wrapped: list[Any] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        target = getattr(module, "_set_config_context", None)
        # A binding imported after another module was wrapped is that wrapper already.
        if callable(target) and not isinstance(target, ObjectProxy):
            wrap_function_wrapper(module, "_set_config_context", body_context)
            wrapped.append(module)
    return wrapped


def unwrap_bodies(modules: Iterable[Any]) -> None:
    for module in modules:
        unwrap(module, "_set_config_context")


_wrapped_bodies: list[Any] = []


def _run_managers() -> tuple[type, ...]:
    from langchain_core.callbacks.manager import AsyncCallbackManager, CallbackManager

    return (CallbackManager, AsyncCallbackManager)


def _span_of(position: int, key: str, many: bool = False) -> SpanOf:
    """The model span of a method that is given its run manager(s) (``run_manager`` or
    ``run_managers``) at ``position`` (self excluded) or by name."""

    def span_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span | None:
        manager = kwargs.get(key, args[position] if len(args) > position else None)
        if many:
            manager = manager[0] if manager else None
        handler = _handler
        run = None if manager is None or handler is None else handler.runs.get(manager.run_id)
        return None if run is None else run.span

    return span_of


def _frames() -> list[tuple[str, str, Any]]:
    one, many = _span_of(2, "run_manager"), _span_of(2, "run_managers", many=True)
    rows: list[tuple[str, str, Any]] = []
    for module, cls, sync_name, async_name, span_of in (
        (_CHAT, "BaseChatModel", "_generate_with_cache", "_agenerate_with_cache", one),
        (_LLM, "BaseLLM", "_generate_helper", "_agenerate_helper", many),
    ):
        rows += [
            (module, f"{cls}.{sync_name}", frame_call(_enabled, span_of)),
            (module, f"{cls}.{async_name}", frame_async(_enabled, span_of)),
            (module, f"{cls}.stream", frame_gen(_enabled)),
            (module, f"{cls}.astream", frame_agen(_enabled)),
        ]
    return rows


def _patch_all() -> None:
    wrap_function_wrapper(_MANAGER, "BaseCallbackManager.__init__", _manager_init)
    _wrapped_bodies[:] = wrap_bodies(_BODIES)
    for module, name, wrapper in _frames():
        wrap_function_wrapper(module, name, wrapper)


def _unpatch_all() -> None:
    import importlib

    unwrap(importlib.import_module(_MANAGER).BaseCallbackManager, "__init__")
    unwrap_bodies(_wrapped_bodies)
    _wrapped_bodies.clear()
    for module, name, _ in _frames():
        cls, method = name.split(".")
        unwrap(getattr(importlib.import_module(module), cls), method)


def install(owner: str, settings: Settings) -> SpanwiseCallbackHandler:
    """Turn the handler on for ``owner`` (``langchain`` or ``langgraph``)."""
    global _handler
    with _lock:
        _owners[owner] = settings
        ruling = _owners.get("langchain", settings)
        if _handler is None:
            _handler = SpanwiseCallbackHandler(ruling)
            _patch_all()
        else:
            _handler.settings = ruling
        return _handler


def uninstall(owner: str) -> None:
    """Turn it off for ``owner``; the last owner out removes the patches."""
    global _handler
    with _lock:
        _owners.pop(owner, None)
        if _handler is None:
            return
        if _owners:
            _handler.settings = _owners.get("langchain") or next(iter(_owners.values()))
            return
        _handler, old = None, _handler
        old.settings.active = False  # managers made before keep it: it passes through
        _unpatch_all()
