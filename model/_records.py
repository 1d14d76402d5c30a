"""Span records: an OTel span as plain JSON-able data, the form the store keeps.

A record holds the span as it was recorded (attribute values undecoded), so writing
costs no translation, and stored spans are read through the current translation
(``span_from_record``) however old they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from spanwise.common._ids import hex_span_id, hex_trace_id

__all__ = ["EventRecord", "SpanRecord", "record_from_otel"]

RECORD_VERSION = 1


class EventRecord(TypedDict):
    name: str
    time: int
    attributes: dict[str, Any]


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


_STATUS = {StatusCode.UNSET: "UNSET", StatusCode.OK: "OK", StatusCode.ERROR: "ERROR"}


def _plain(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    # OTel keeps sequences as tuples; JSON wants lists.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in (attributes or {}).items()}  # pyright: ignore[reportUnknownArgumentType]


def record_from_otel(span: ReadableSpan) -> SpanRecord:
    """An SDK span as a record. Cheap: no attribute is decoded."""
    context = span.context
    assert context is not None  # SDK spans always have one
    parent = span.parent
    status = span.status
    return {
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
            {"name": e.name, "time": e.timestamp, "attributes": _plain(e.attributes)}
            for e in span.events
        ],
    }
