"""``autolog`` for every library spanwise instruments, and ``spanwise.<library>``.

The libraries are those of the registry (``instrumentations/_registry.py``); each gets a
module ``spanwise.<library>`` with its ``autolog`` (``spanwise.anthropic.autolog()``),
made here rather than written out per library.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from spanwise.instrumentations._registry import LIBRARIES, Library, library

__all__ = ["autolog", "autolog_library", "library_modules"]


def autolog_library(name: str, *, disable: bool = False, log_traces: bool = True) -> None:
    """Trace every call of library ``name`` (recording content), or stop (``disable=True``)."""
    instrumentor = library(name).load()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    if disable:
        return
    from spanwise.exporter._provider import ensure_provider

    ensure_provider()
    instrumentor.instrument(capture_content_explicit=True, log_traces=log_traces)


def autolog(disable: bool = False, log_traces: bool = True) -> None:
    """``autolog`` every installed library spanwise instruments."""
    for name, lib in LIBRARIES.items():
        if _installed(lib.import_name):
            autolog_library(name, disable=disable, log_traces=log_traces)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a dotted name whose parent package is absent
        return False


def _library_module(lib: Library) -> ModuleType:
    module = ModuleType(
        f"spanwise.{lib.name}",
        f"``spanwise.{lib.name}.autolog()``: trace every {lib.name} call.\n\n"
        f"Needs the library: ``pip install 'spanwise[{lib.extra}]'``.",
    )

    def autolog(disable: bool = False, log_traces: bool = True) -> None:
        autolog_library(lib.name, disable=disable, log_traces=log_traces)

    autolog.__doc__ = (
        f"Trace every {lib.name} call as a GenAI span, recording prompts and completions.\n\n"
        "``disable=True`` removes the patches; ``log_traces=False`` keeps them and records\n"
        "nothing. ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false`` keeps content out."
    )
    autolog.__module__ = module.__name__
    autolog.__qualname__ = "autolog"
    module.autolog = autolog  # type: ignore[attr-defined]
    module.__all__ = ["autolog"]  # type: ignore[attr-defined]
    return module


def library_modules() -> dict[str, ModuleType]:
    """``spanwise.<library>`` for every library, registered so that ``import
    spanwise.<library>`` works too."""
    modules: dict[str, ModuleType] = {}
    for lib in LIBRARIES.values():
        module = sys.modules.get(f"spanwise.{lib.name}")
        if module is None:
            module = sys.modules[f"spanwise.{lib.name}"] = _library_module(lib)
        modules[lib.name] = module
    return modules
