"""Span records -> an OTLP ``ExportTraceServiceRequest``: stored traces re-exported.

The inverse of ``_otlp``'s decoding: spans are grouped under their resource and scope
as they came, and every OTLP field a record keeps goes back where it was (kind, trace
state, flags, links, dropped counts, schema URLs). A dialect other than ``genai`` adds
its attributes (``_dialects``), what the span already says winning. Records written
before spanwise kept these fields get OTLP's defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Status
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan

from ._records import HAS_IS_REMOTE, IS_REMOTE, KINDS, ResourceRecord, ScopeRecord, SpanRecord

__all__ = ["encode_records"]

_STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}
_KIND = {name: number for number, name in enumerate(KINDS)}
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def _any(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list | tuple):
        items = cast("Iterable[Any]", value)
        return AnyValue(array_value=ArrayValue(values=[_any(v) for v in items]))
    if isinstance(value, dict):
        pairs = cast("Mapping[str, Any]", value)
        return AnyValue(kvlist_value=KeyValueList(values=_attributes(pairs)))
    return AnyValue()  # None: OTLP's empty value


def _attributes(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_any(v)) for k, v in attributes.items()]


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


def _span(record: SpanRecord, extra: Mapping[str, Any]) -> PbSpan:
    attributes = dict(record["attributes"])
    for key, value in extra.items():
        attributes.setdefault(key, value)
    remote = HAS_IS_REMOTE | IS_REMOTE if record["remote_parent"] else HAS_IS_REMOTE
    return PbSpan(
        trace_id=_hex(record["trace_id"]),
        span_id=_hex(record["span_id"]),
        trace_state=record.get("trace_state", ""),
        parent_span_id=b"" if record["parent_id"] is None else _hex(record["parent_id"]),
        flags=record.get("flags", remote),
        name=record["name"],
        kind=_KIND.get(record.get("kind", "UNSPECIFIED"), 0),  # pyright: ignore[reportArgumentType]
        start_time_unix_nano=record["start"],
        end_time_unix_nano=record["end"] or 0,
        attributes=_attributes(attributes),
        dropped_attributes_count=record.get("dropped_attributes_count", 0),
        events=[
            PbSpan.Event(
                time_unix_nano=e["time"],
                name=e["name"],
                attributes=_attributes(e["attributes"]),
                dropped_attributes_count=e.get("dropped_attributes_count", 0),
            )
            for e in record["events"]
        ],
        dropped_events_count=record.get("dropped_events_count", 0),
        links=[
            PbSpan.Link(
                trace_id=_hex(link["trace_id"]),
                span_id=_hex(link["span_id"]),
                trace_state=link["trace_state"],
                attributes=_attributes(link["attributes"]),
                dropped_attributes_count=link["dropped_attributes_count"],
                flags=link["flags"],
            )
            for link in record.get("links", ())
        ],
        dropped_links_count=record.get("dropped_links_count", 0),
        status=Status(code=_STATUS.get(record["status"], 0), message=record["message"]),  # pyright: ignore[reportArgumentType]
    )


def _resource(value: ResourceRecord | None) -> ResourceSpans:
    if value is None:
        return ResourceSpans()
    return ResourceSpans(
        resource=Resource(
            attributes=_attributes(value["attributes"]),
            dropped_attributes_count=value["dropped_attributes_count"],
        ),
        schema_url=value["schema_url"],
    )


def _scope(value: ScopeRecord | None) -> ScopeSpans:
    if value is None:
        return ScopeSpans()
    return ScopeSpans(
        scope=InstrumentationScope(
            name=value["name"],
            version=value["version"],
            attributes=_attributes(value["attributes"]),
            dropped_attributes_count=value["dropped_attributes_count"],
        ),
        schema_url=value["schema_url"],
    )


def encode_records(
    records: Iterable[SpanRecord], dialect: str = "genai"
) -> ExportTraceServiceRequest:
    """``records`` as one OTLP request, spans in the order given within their group."""
    from ._dialects import record_dialect_attributes, resolve_dialect

    dialect = resolve_dialect(dialect)
    keys: dict[int, str] = {}  # by identity first: records of a group share the object

    def key(value: Any) -> str:
        if value is None:
            return ""
        found = keys.get(id(value))
        if found is None:
            found = keys[id(value)] = _canonical(value)
        return found

    groups: dict[str, tuple[ResourceSpans, dict[str, ScopeSpans]]] = {}
    for record in records:
        resource, scope = record.get("resource"), record.get("scope")
        group = groups.get(key(resource))
        if group is None:
            group = groups[key(resource)] = (_resource(resource), {})
        scope_spans = group[1].get(key(scope))
        if scope_spans is None:
            scope_spans = group[1][key(scope)] = _scope(scope)
        extra = record_dialect_attributes(record, dialect)
        scope_spans.spans.append(_span(record, extra))
    request = ExportTraceServiceRequest()
    for resource_spans, scopes in groups.values():
        resource_spans.scope_spans.extend(scopes.values())
        request.resource_spans.append(resource_spans)
    return request
