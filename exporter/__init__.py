"""Provider set-up, the trace data model and its translation, the store, and the
``spanwise`` OpenTelemetry exporter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._config import get_tracking_uri, set_tracking_uri

if TYPE_CHECKING:
    from ._store_exporter import SpanwiseStoreExporter
from ._model import (
    Span,
    SpanEvent,
    SpanStatus,
    SpanStatusCode,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
)

__all__ = [
    "Span",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanwiseStoreExporter",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
    "get_tracking_uri",
    "set_tracking_uri",
]


def __getattr__(name: str) -> object:
    # The exporter pulls in SQLAlchemy; load it when asked for (entry point, or import).
    if name == "SpanwiseStoreExporter":
        from ._store_exporter import SpanwiseStoreExporter

        return SpanwiseStoreExporter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
