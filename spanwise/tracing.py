"""``spanwise.tracing``: what MLflow's ``mlflow.tracing`` module offers that applies.

Included: ``disable`` / ``enable`` / ``is_tracing_enabled`` (a process-wide switch),
``set_span_chat_tools``, ``get_tracing_context_headers_for_http_request`` and
``set_tracing_context_from_http_request_headers`` (W3C ``traceparent``, distributed
traces), ``get_bridged_tracer_provider``, ``disable_notebook_display`` /
``enable_notebook_display`` (no-ops: spanwise displays nothing by itself).

Not included, because spanwise has no such concept: ``configure``, ``context``,
``set_destination``, ``reset``, experiment trace locations and Databricks settings
(spanwise exports through OpenTelemetry; the destination is
``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``SPANWISE_TRACKING_URI``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from spanwise.common._content import content_settings
from spanwise.common._safety import warn_once
from spanwise.common._serialize import dumps_bounded
from spanwise.exporter._provider import ensure_provider
from spanwise.instrumentations._tracer import set_enabled, tracing_enabled
from spanwise.instrumentations.manual import LiveSpan
from spanwise.model._chat_format import tool_definitions
from spanwise.semconv import GenAIAttributes

__all__ = [
    "disable",
    "disable_notebook_display",
    "enable",
    "enable_notebook_display",
    "get_bridged_tracer_provider",
    "get_tracing_context_headers_for_http_request",
    "is_tracing_enabled",
    "set_span_chat_tools",
    "set_tracing_context_from_http_request_headers",
]

_PROPAGATOR = TraceContextTextMapPropagator()


def disable() -> None:
    """Stop tracing, process-wide, until :func:`enable`: ``@trace``, ``start_span`` and
    ``Client`` give non-recording spans (your code runs as usual), and instrumented
    libraries (``autolog``, ``opentelemetry-instrument``) are called untraced. Spans
    already started end and are exported as usual. As ``mlflow.tracing.disable()``."""
    set_enabled(False)


def enable() -> None:
    """Trace again after :func:`disable` (tracing is on by default)."""
    set_enabled(True)


def is_tracing_enabled() -> bool:
    """False between :func:`disable` and :func:`enable`."""
    return tracing_enabled()


def set_span_chat_tools(span: LiveSpan, tools: Iterable[Mapping[str, Any]]) -> None:
    """Record the tools a model span offered (OpenAI's tool format, as MLflow takes
    them) as ``gen_ai.tool.definitions`` in the GenAI conventions."""
    settings = content_settings()
    if not settings.capture(explicit=True) or not span.is_recording():
        return
    definitions = tool_definitions(list(tools))
    span.otel_span.set_attribute(
        GenAIAttributes.TOOL_DEFINITIONS, dumps_bounded(definitions, settings.max_bytes)
    )


def get_tracing_context_headers_for_http_request() -> dict[str, str]:
    """The ``traceparent`` header for the current span, to send with an HTTP request
    (empty, with a warning, outside a span)."""
    if not otel_trace.get_current_span().get_span_context().is_valid:
        warn_once(
            "tracing:headers",
            "spanwise: no active span to take the trace context from; no headers returned",
        )
    headers: dict[str, str] = {}
    _PROPAGATOR.inject(headers)
    return headers


@contextmanager
def set_tracing_context_from_http_request_headers(
    headers: Mapping[str, str],
) -> Generator[None, None, None]:
    """Within the block, spans continue the trace of the request's ``traceparent``
    (header names are matched case-insensitively)."""
    carrier = {str(k).lower(): str(v) for k, v in headers.items()}
    token = otel_context.attach(_PROPAGATOR.extract(carrier))
    try:
        yield
    finally:
        otel_context.detach(token)


def get_bridged_tracer_provider() -> otel_trace.TracerProvider:
    """The OpenTelemetry ``TracerProvider`` spanwise records with: pass it to any OTel
    instrumentor (``tracer_provider=``) so its spans join spanwise's traces."""
    return ensure_provider()


def disable_notebook_display() -> None:
    """Accepted for MLflow code; spanwise shows no trace widget by itself."""


def enable_notebook_display() -> None:
    """Accepted for MLflow code; a ``Trace`` renders as a tree in notebooks."""
