"""Spans that are not made current: ``start_span_no_context``, ``log_trace``, and
``get_active_trace_id`` (MLflow's names and semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN

from spanwise.common._content import content_settings
from spanwise.common._ids import format_trace_id
from spanwise.common._safety import report_internal_error, warn_once
from spanwise.common._serialize import dumps_bounded
from spanwise.semconv import MLflowAttributes, SpanType, SpanwiseAttributes

from .._tracer import local_root_span
from ._run import Run, SpanSpec, span_name, span_type_name, static_attributes
from ._span import LiveSpan

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "INTERMEDIATE_OUTPUTS",
    "get_active_trace_id",
    "log_trace",
    "start_span_no_context",
]

# MLflow's "Default" experiment: spanwise's one trace store plays it.
DEFAULT_EXPERIMENT_ID = "0"
# MLflow's root-span key for log_trace's intermediate outputs.
INTERMEDIATE_OUTPUTS = MLflowAttributes.INTERMEDIATE_OUTPUTS


def get_active_trace_id() -> str | None:
    """The id of the trace the current span belongs to, or None outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format_trace_id(context.trace_id)


def start_span_no_context(
    name: str,
    span_type: SpanType | str = SpanType.UNKNOWN,
    parent_span: LiveSpan | None = None,
    inputs: Any = None,
    attributes: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    experiment_id: str | None = None,
    start_time_ns: int | None = None,
) -> LiveSpan:
    """Start a span that is not made current; end it with ``span.end()``.

    Without ``parent_span`` the span starts a new trace, whatever span is current; with
    it, the span is that span's child. ``tags`` and ``metadata`` go to the trace (its
    local root span). spanwise has no experiments: ``experiment_id`` other than MLflow's
    default ``"0"`` is ignored with a warning (the span is still recorded).
    """
    kind = span_type_name(span_type)
    if experiment_id is not None and str(experiment_id) != DEFAULT_EXPERIMENT_ID:
        warn_once(
            "no-context:experiment",
            "spanwise: start_span_no_context(experiment_id=%r) ignored: spanwise has no "
            "experiments (every trace goes to the one store)",
            experiment_id,
        )
    run = None
    try:
        name = span_name(name)
        parent = (
            Context()
            if parent_span is None
            else trace.set_span_in_context(parent_span.otel_span, Context())
        )
        run = Run.start(
            SpanSpec(name, kind, static_attributes(name, kind, attributes)),
            None if inputs is None else (lambda: inputs),
            parent=parent,
            start_time=start_time_ns,
        )
        # A non-recording span (tracing is off) has no trace to tag.
        if run is not None and (tags or metadata) and run.span.is_recording():
            _set_trace_data(run.span, tags, metadata)
    except Exception as exc:
        report_internal_error("start_span_no_context", exc)
    if run is None:
        return LiveSpan(INVALID_SPAN, kind)
    return run.live


def _set_trace_data(
    span: trace.Span, tags: Mapping[str, Any] | None, metadata: Mapping[str, Any] | None
) -> None:
    root = local_root_span(span)
    if not root.is_recording():
        warn_once(
            "no-context:ended-root",
            "spanwise: the trace's root span has already ended; tags and metadata not recorded",
        )
        return
    max_bytes = content_settings().max_bytes
    attrs: dict[str, str] = {}
    for prefix, values in (
        (SpanwiseAttributes.TRACE_TAG_PREFIX, tags),
        (SpanwiseAttributes.TRACE_METADATA_PREFIX, metadata),
    ):
        for key, value in (values or {}).items():
            attrs[prefix + str(key)] = (
                value if isinstance(value, str) else dumps_bounded(value, max_bytes)
            )
    root.set_attributes(attrs)


def log_trace(
    name: str = "Task",
    request: Any = None,
    response: Any = None,
    intermediate_outputs: Mapping[str, Any] | None = None,
    attributes: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    start_time_ms: int | None = None,
    execution_time_ms: int | None = None,
) -> str:
    """Record a (request, response) pair as a trace of one span; returns its id.

    Without ``start_time_ms`` the span starts and ends now; with it and
    ``execution_time_ms`` it spans that interval (MLflow's ``log_trace``).
    ``intermediate_outputs`` is kept on the span as MLflow keeps it.
    """
    attrs = dict(attributes or {})
    if intermediate_outputs:
        attrs[INTERMEDIATE_OUTPUTS] = dict(intermediate_outputs)
    start_ns = None if start_time_ms is None else int(start_time_ms) * 1_000_000
    end_ns = None
    if start_time_ms is not None and execution_time_ms is not None:
        end_ns = (int(start_time_ms) + int(execution_time_ms)) * 1_000_000
    span = start_span_no_context(
        name, inputs=request, attributes=attrs, tags=tags, start_time_ns=start_ns
    )
    span.end(outputs=response, end_time_ns=end_ns)
    return span.trace_id
