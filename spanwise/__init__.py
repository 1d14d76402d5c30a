"""spanwise: OpenTelemetry-native LLM tracing with MLflow Tracing's API.

Trace your own code with ``@spanwise.trace`` and ``spanwise.start_span``; read traces
back with ``spanwise.get_trace`` and ``spanwise.search_traces``. Every span is a
standard OpenTelemetry span (GenAI semantic conventions), so it also flows to any
OTel backend your application exports to.
"""

from __future__ import annotations

from spanwise import entities
from spanwise._autolog import autolog, library_modules
from spanwise.entities import SpanType, Trace
from spanwise.exporter._provider import flush, set_tracking_uri
from spanwise.exporter._read import get_last_active_trace_id, get_trace, search_traces
from spanwise.instrumentations.manual import (
    Client,
    LiveSpan,
    get_current_active_span,
    start_span,
    trace,
    update_current_trace,
    with_current_context,
)
from spanwise.store._config import get_tracking_uri

__all__ = [
    "Client",
    "LiveSpan",
    "SpanType",
    "Trace",
    "autolog",
    "entities",
    "flush",
    "get_current_active_span",
    "get_last_active_trace_id",
    "get_trace",
    "get_tracking_uri",
    "search_traces",
    "set_tracking_uri",
    "start_span",
    "trace",
    "update_current_trace",
    "with_current_context",
]

# spanwise.openai, spanwise.anthropic, ...: one module per library of the registry.
globals().update(library_modules())
