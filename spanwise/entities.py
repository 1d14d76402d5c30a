"""The trace data model and span types (``spanwise.entities.SpanType`` etc.)."""

from __future__ import annotations

from spanwise.instrumentations.manual import LiveSpan
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
from spanwise.semconv import SpanType

__all__ = [
    "LiveSpan",
    "Span",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
]
