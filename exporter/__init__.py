"""Provider set-up, the trace data model and its translation, the store, the
``spanwise`` OpenTelemetry exporter, the export dialects and the OTLP receiver."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._config import get_tracking_uri, set_tracking_uri

if TYPE_CHECKING:
    from ._store_exporter import SpanwiseStoreExporter
from ._dialects import DialectSpanExporter
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
from ._resilient import ResilientSpanExporter

__all__ = [
    "DialectSpanExporter",
    "ResilientSpanExporter",
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
