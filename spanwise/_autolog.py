"""``autolog`` for every library spanwise instruments."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__all__ = ["LIBRARIES", "autolog", "autolog_library"]

# library (the import name) -> spanwise instrumentor
LIBRARIES: dict[str, str] = {
    "openai": "spanwise.instrumentations.openai:OpenAIInstrumentor",
}


def _instrumentor(library: str) -> Any:
    module, _, name = LIBRARIES[library].partition(":")
    return getattr(importlib.import_module(module), name)()


def autolog_library(library: str, *, disable: bool = False, log_traces: bool = True) -> None:
    """Trace every call of ``library`` (recording content), or stop (``disable=True``)."""
    instrumentor = _instrumentor(library)
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    if disable:
        return
    from spanwise.exporter._provider import ensure_provider

    ensure_provider()
    instrumentor.instrument(capture_content_explicit=True, log_traces=log_traces)


def autolog(disable: bool = False, log_traces: bool = True) -> None:
    """``autolog`` every installed library spanwise instruments."""
    for library in LIBRARIES:
        if importlib.util.find_spec(library) is not None:
            autolog_library(library, disable=disable, log_traces=log_traces)
