"""spanwise: OpenTelemetry-native LLM tracing with MLflow Tracing's API.

Trace your own code with ``@spanwise.trace`` and ``spanwise.start_span``; read traces
back with ``spanwise.get_trace`` and ``spanwise.search_traces``. Every span is a
standard OpenTelemetry span (GenAI semantic conventions), so it also flows to any
OTel backend your application exports to.
"""

from __future__ import annotations

import spanwise.viewer  # noqa: F401  # pyright: ignore[reportUnusedImport]  (Trace's notebook view)
from spanwise import entities, tracing
from spanwise._autolog import autolog, library_modules
from spanwise._version import distribution_version
from spanwise.entities import SpanType, Trace
from spanwise.exporter._provider import flush, set_tracking_uri
from spanwise.exporter._read import (
    delete_trace_tag,
    get_last_active_trace_id,
    get_trace,
    search_traces,
    set_trace_tag,
)
from spanwise.instrumentations.manual import (
    Client,
    LiveSpan,
    get_active_trace_id,
    get_current_active_span,
    log_trace,
    start_span,
    start_span_no_context,
    trace,
    update_current_trace,
    with_current_context,
)
from spanwise.store._config import get_tracking_uri

__version__ = distribution_version()

__all__ = [
    "Client",
    "LiveSpan",
    "SpanType",
    "Trace",
    "__version__",
    "autolog",
    "delete_trace_tag",
    "entities",
    "flush",
    "flush_trace_async_logging",
    "get_active_trace_id",
    "get_current_active_span",
    "get_last_active_trace_id",
    "get_trace",
    "get_tracking_uri",
    "log_trace",
    "search_traces",
    "set_trace_tag",
    "set_tracking_uri",
    "start_span",
    "start_span_no_context",
    "trace",
    "tracing",
    "update_current_trace",
    "with_current_context",
]


def flush_trace_async_logging(terminate: bool = False) -> None:
    """MLflow's name for :func:`flush`: every finished span exported and stored.

    ``terminate`` is accepted; spanwise's exporters stop at interpreter exit by themselves.
    """
    del terminate
    flush()


# spanwise.openai, spanwise.anthropic, ...: one module per library of the registry.
globals().update(library_modules())
