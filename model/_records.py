"""Span records: an OTel span as plain JSON-able data, the form the store keeps.

A record holds the span as it was recorded (attribute values undecoded), so writing
costs no translation, and stored spans are read through the current translation
(``span_from_record``) however old they are. Nothing of OTLP is dropped: the resource,
the instrumentation scope, the kind, links, trace state, flags and dropped-counts ride
along (optional keys: records written before they existed lack them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, StatusCode, TraceState
from typing_extensions import NotRequired  # typing has it from Python 3.11

from spanwise.common._ids import hex_span_id, hex_trace_id

__all__ = [
    "KINDS",
    "EventRecord",
    "LinkRecord",
    "ResourceRecord",
    "ScopeRecord",
    "SpanRecord",
    "record_from_otel",
]

RECORD_VERSION = 1


# OTLP's span kinds by number (0 is "not given"); the SDK's SpanKind is the number - 1.
KINDS = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")


class EventRecord(TypedDict):
    name: str
    time: int
    attributes: dict[str, Any]
    dropped_attributes_count: NotRequired[int]


class LinkRecord(TypedDict):
    trace_id: str  # 32 hex
    span_id: str  # 16 hex
    trace_state: str
    attributes: dict[str, Any]
    dropped_attributes_count: int
    flags: int


class ResourceRecord(TypedDict):
    attributes: dict[str, Any]
    dropped_attributes_count: int
    schema_url: str  # the ResourceSpans' schema URL


class ScopeRecord(TypedDict):
    name: str
    version: str
    attributes: dict[str, Any]
    dropped_attributes_count: int
    schema_url: str  # the ScopeSpans' schema URL


class SpanRecord(TypedDict):
    v: int
    trace_id: str  # 32 hex
    span_id: str  # 16 hex
    parent_id: str | None
    remote_parent: bool
    name: str
    start: int
    end: int | None
    status: str  # UNSET | OK | ERROR
    message: str
    attributes: dict[str, Any]
    events: list[EventRecord]
    # OTLP's other fields (absent from records written before they were kept).
    kind: NotRequired[str]  # one of KINDS
    trace_state: NotRequired[str]  # W3C tracestate header value
    flags: NotRequired[int]  # OTLP span flags (trace flags, parent-is-remote bits)
    links: NotRequired[list[LinkRecord]]
    dropped_attributes_count: NotRequired[int]
    dropped_events_count: NotRequired[int]
    dropped_links_count: NotRequired[int]
    # Shared by every span of a request's ResourceSpans/ScopeSpans: the decoders hand
    # out one object per group, which the store files once.
    resource: NotRequired[ResourceRecord]
    scope: NotRequired[ScopeRecord]


# OTLP span flags: bit 8 says whether bit 9 (parent is remote) is known.
HAS_IS_REMOTE = _HAS_IS_REMOTE = 0x100
IS_REMOTE = _IS_REMOTE = 0x200
_STATUS = {StatusCode.UNSET: "UNSET", StatusCode.OK: "OK", StatusCode.ERROR: "ERROR"}


def _plain(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    # OTel keeps sequences as tuples; JSON wants lists.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in (attributes or {}).items()}  # pyright: ignore[reportUnknownArgumentType]


# The SDK hands every span of a provider the same Resource (and of a tracer the same
# scope): converted once, shared by the records (the store files each once).
_last_resource: tuple[object, ResourceRecord] | None = None
_scopes: dict[object, ScopeRecord] = {}


def _resource(resource: Resource | None) -> ResourceRecord | None:
    global _last_resource
    if resource is None:
        return None
    cached = _last_resource
    if cached is not None and cached[0] is resource:
        return cached[1]
    record: ResourceRecord = {
        "attributes": _plain(resource.attributes),
        "dropped_attributes_count": 0,
        "schema_url": resource.schema_url or "",
    }
    _last_resource = (resource, record)  # holds the object: its id is not reused
    return record


def _scope(scope: InstrumentationScope | None) -> ScopeRecord | None:
    if scope is None:
        return None
    record = _scopes.get(scope)
    if record is None:
        record = ScopeRecord(
            {
                "name": scope.name,
                "version": scope.version or "",
                "attributes": _plain(scope.attributes),
                "dropped_attributes_count": 0,
                "schema_url": scope.schema_url or "",
            }
        )
        if len(_scopes) > 256:  # tracers are few; a bound all the same
            _scopes.clear()
        _scopes[scope] = record
    return record


def _flags(context: SpanContext, parent: SpanContext | None) -> int:
    """OTLP span flags: the W3C trace flags, and whether the parent is remote."""
    flags = int(context.trace_flags) | _HAS_IS_REMOTE
    return flags | _IS_REMOTE if parent is not None and parent.is_remote else flags


def _trace_state(state: TraceState | None) -> str:
    return state.to_header() if state else ""


def record_from_otel(span: ReadableSpan) -> SpanRecord:
    """An SDK span as a record. Cheap: no attribute is decoded."""
    context = span.context
    assert context is not None  # SDK spans always have one
    parent = span.parent
    status = span.status
    record: SpanRecord = {
        "v": RECORD_VERSION,
        "trace_id": hex_trace_id(context.trace_id),
        "span_id": hex_span_id(context.span_id),
        "parent_id": None if parent is None else hex_span_id(parent.span_id),
        "remote_parent": parent is not None and parent.is_remote,
        "name": span.name,
        "start": span.start_time or 0,
        "end": span.end_time,
        "status": _STATUS[status.status_code],
        "message": status.description or "",
        "attributes": _plain(span.attributes),
        "events": [
            {
                "name": e.name,
                "time": e.timestamp,
                "attributes": _plain(e.attributes),
                "dropped_attributes_count": e.dropped_attributes,
            }
            for e in span.events
        ],
        "kind": KINDS[span.kind.value + 1],
        "trace_state": _trace_state(context.trace_state),
        "flags": _flags(context, parent),
        "links": [
            {
                "trace_id": hex_trace_id(link.context.trace_id),
                "span_id": hex_span_id(link.context.span_id),
                "trace_state": _trace_state(link.context.trace_state),
                "attributes": _plain(link.attributes),
                "dropped_attributes_count": link.dropped_attributes,
                "flags": _flags(link.context, link.context),
            }
            for link in span.links
        ],
        "dropped_attributes_count": span.dropped_attributes,
        "dropped_events_count": span.dropped_events,
        "dropped_links_count": span.dropped_links,
    }
    resource = _resource(span.resource)
    if resource is not None:
        record["resource"] = resource
    scope = _scope(span.instrumentation_scope)
    if scope is not None:
        record["scope"] = scope
    return record
