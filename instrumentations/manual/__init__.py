"""Manual tracing: ``@trace``, ``start_span``, ``Client`` and friends (MLflow's names)."""

from __future__ import annotations

from ._api import get_current_active_span, start_span, update_current_trace, with_current_context
from ._client import Client
from ._decorator import trace
from ._no_context import get_active_trace_id, log_trace, start_span_no_context
from ._span import LiveSpan

__all__ = [
    "Client",
    "LiveSpan",
    "get_active_trace_id",
    "get_current_active_span",
    "log_trace",
    "start_span",
    "start_span_no_context",
    "trace",
    "update_current_trace",
    "with_current_context",
]
