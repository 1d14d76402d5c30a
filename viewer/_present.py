"""Traces as the viewer's page reads them: list rows and whole traces, plain JSON.

Pure functions of the model (no store, no web framework), shared by the served app and
the notebook view. Times are sent as offsets from the trace's first span in
microseconds (floats): nanoseconds since the epoch do not fit a JavaScript number. Every
value is data for the page to show as text; nothing here is HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, cast

from spanwise.model._basics import SpanResource, SpanScope
from spanwise.model._conversation import CONVERSATION_KEY
from spanwise.model._model import Span, Trace
from spanwise.semconv import GenAIAttributes

__all__ = ["SERVICE_NAME", "dumps", "row", "trace_view"]

# The OTel resource attribute (a resource convention: no GenAI or spanwise constant).
SERVICE_NAME = "service.name"


def dumps(value: Any) -> str:
    """JSON text; anything JSON cannot hold (a set, bytes, NaN...) becomes its text."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:  # NaN or infinity somewhere: JSON.parse refuses them
        return json.dumps(_finite(value), ensure_ascii=False, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in cast("Mapping[Any, Any]", value).items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in cast("list[Any]", value)]
    return value


def _service(span: Span | None) -> str | None:
    if span is None or span.resource is None:
        return None
    name = span.resource.attributes.get(SERVICE_NAME)
    return None if name is None else str(name)


def row(trace: Trace) -> dict[str, Any]:
    """One line of the trace list."""
    info = trace.info
    root = trace.data.root_span
    return {
        "trace_id": info.trace_id,
        "name": None if root is None else root.name,
        "state": info.state.value,
        "request_time": info.request_time,
        "duration_ms": info.execution_duration,
        "token_usage": info.token_usage,
        "tags": dict(info.tags),
        "service": _service(root),
        "span_count": len(trace.data.spans),
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        # The conversation (session) this trace is a turn of: the page filters by it.
        "conversation": info.trace_metadata.get(CONVERSATION_KEY),
    }


def _resource(resource: SpanResource | None) -> dict[str, Any] | None:
    if resource is None:
        return None
    return {"attributes": resource.attributes, "schema_url": resource.schema_url}


def _scope(scope: SpanScope | None) -> dict[str, Any] | None:
    if scope is None:
        return None
    return {"name": scope.name, "version": scope.version, "attributes": scope.attributes}


def _micros(ns: int | None, origin: int) -> float | None:
    return None if ns is None else (ns - origin) / 1000


# Attributes that the translation often hands a span as its inputs or outputs too (the
# very same object): sent once, named by ``inputs_from`` / ``outputs_from``.
_SOURCES = (
    GenAIAttributes.INPUT_MESSAGES,
    GenAIAttributes.OUTPUT_MESSAGES,
    GenAIAttributes.TOOL_CALL_ARGUMENTS,
    GenAIAttributes.TOOL_CALL_RESULT,
)


def _source(value: Any, attributes: Mapping[str, Any]) -> str | None:
    if value is None or isinstance(value, str | int | float | bool):
        return None  # small, or interned: not worth naming
    return next((key for key in _SOURCES if attributes.get(key) is value), None)


def _span(span: Span, origin: int) -> dict[str, Any]:
    inputs_from = _source(span.inputs, span.attributes)
    outputs_from = _source(span.outputs, span.attributes)
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "span_type": span.span_type,
        "kind": span.kind,
        "start_us": _micros(span.start_time_ns, origin),
        "end_us": _micros(span.end_time_ns, origin),
        "status": span.status.status_code.value,
        "status_message": span.status.description,
        "inputs": None if inputs_from else span.inputs,
        "outputs": None if outputs_from else span.outputs,
        "inputs_from": inputs_from,
        "outputs_from": outputs_from,
        "attributes": span.attributes,
        "events": [
            {"name": e.name, "time_us": _micros(e.timestamp, origin), "attributes": e.attributes}
            for e in span.events
        ],
        "links": [
            {"trace_id": link.trace_id, "span_id": link.span_id, "attributes": link.attributes}
            for link in span.links
        ],
        "resource": _resource(span.resource),
        "scope": _scope(span.scope),
        "dropped": {
            "attributes": span.dropped_attributes_count,
            "events": span.dropped_events_count,
            "links": span.dropped_links_count,
        },
    }


def trace_view(trace: Trace) -> dict[str, Any]:
    """The whole trace for the trace page (and the notebook view)."""
    spans = trace.data.spans
    origin = min((s.start_time_ns for s in spans), default=0)
    metadata: Mapping[str, str] = trace.info.trace_metadata
    return {
        **row(trace),
        "start_ns": str(origin),  # exact, as text
        "metadata": dict(metadata),
        "spans": [_span(s, origin) for s in sorted(spans, key=lambda s: s.start_time_ns)],
    }
