"""spanwise.exporter: the OTel export pipeline.

Provider set-up (join the application's or make one), the in-process trace assembler,
OTLP export with its buffer and disk spool, the ``spanwise`` store exporter, the distro
and configurator for ``opentelemetry-instrument``, and reading traces back (in-process
and from the store). The model's types are re-exported here for convenience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spanwise.store._config import get_tracking_uri

if TYPE_CHECKING:
    from ._store_exporter import SpanwiseStoreExporter
from spanwise.model._dialects import DialectSpanExporter
from spanwise.model._model import (
    Span,
    SpanEvent,
    SpanStatus,
    SpanStatusCode,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
)

from ._provider import set_tracking_uri
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
