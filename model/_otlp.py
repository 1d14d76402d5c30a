"""OTLP trace payloads (protobuf and JSON) -> span records.

Used by the receiver. Decoding is strict where the OTLP spec and the store are: ids
must be 16/8 bytes (32/16 hex characters in JSON), times 64-bit signed integers (the
store's BIGINT columns hold up to 2^63-1 ns, the year 2262). A span that breaks a rule
is rejected alone, with the reason, so one bad span never costs the rest of its request.
What can be repaired without changing its meaning is repaired instead: a lone surrogate
in any JSON string (and a byte that is not UTF-8 in a JSON body) becomes U+FFFD, a NUL
in a span name (PostgreSQL text cannot hold it) too, and nested attribute values are
bounded (see ``_otlp_values``). Only ``OTLPError`` (the request as a whole is unreadable)
leaves ``decode_json`` and ``decode_protobuf``, and their cost is linear in the payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as PbStatus

from ._otlp_values import INT64_MAX, json_int, json_value, pb_value, repair_tree, storable_name
from ._otlp_wire import WireError, describe_span, span_bytes
from ._records import (
    KINDS,
    RECORD_VERSION,
    EventRecord,
    LinkRecord,
    ResourceRecord,
    ScopeRecord,
    SpanRecord,
)

__all__ = ["Decoded", "OTLPError", "decode_json", "decode_protobuf"]

# OTLP span flags: bit 8 says whether bit 9 (parent is remote) is known.
_HAS_IS_REMOTE = 0x100
_IS_REMOTE = 0x200
_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}
_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
# A \uD800-\uDFFF escape: the only way a JSON body can carry a lone surrogate (a pair
# is joined by the parser). Escaped backslashes may match too: then nothing is fixed.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class OTLPError(ValueError):
    """The payload as a whole cannot be read (not OTLP, truncated, wrong encoding)."""


@dataclass(slots=True)
class Decoded:
    """The spans of one request: records to store, and how many were rejected (why)."""

    records: list[SpanRecord] = field(default_factory=list[SpanRecord])
    rejected: int = 0
    errors: list[str] = field(default_factory=list[str])

    def reject(self, why: str) -> None:
        self.rejected += 1
        if len(self.errors) < 5:  # a few examples are enough for the client
            self.errors.append(why)


def _time(value: int, what: str) -> int:
    if not 0 <= value <= INT64_MAX:
        raise ValueError(f"{what} {value} is out of range (0 to 2^63-1 ns)")
    return value


# -- protobuf --------------------------------------------------------------------------


def _attrs(values: Iterable[KeyValue]) -> dict[str, Any]:
    # pb_value inlined for strings and integers (most attributes): a call per attribute
    # is a tenth of the decode.
    out: dict[str, Any] = {}
    for kv in values:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "string_value":
            out[kv.key] = value.string_value
        elif kind == "int_value":
            out[kv.key] = value.int_value
        else:
            out[kv.key] = pb_value(value)
    return out


def _pb_kind(value: int) -> str:
    return KINDS[value] if 0 <= value < len(KINDS) else KINDS[0]


def _pb_link(link: PbSpan.Link) -> LinkRecord:
    if len(link.trace_id) != 16 or len(link.span_id) != 8:
        raise ValueError("a link's trace_id/span_id must be 16/8 bytes")
    return {
        "trace_id": link.trace_id.hex(),
        "span_id": link.span_id.hex(),
        "trace_state": link.trace_state,
        "attributes": _attrs(link.attributes),
        "dropped_attributes_count": link.dropped_attributes_count,
        "flags": link.flags,
    }


_NO_TRACE, _NO_SPAN = bytes(16), bytes(8)


def _pb_record(span: PbSpan) -> SpanRecord:
    # Each field read once: a read from a protobuf message costs more than a local.
    trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
    if len(trace_id) != 16 or trace_id == _NO_TRACE:
        raise ValueError("trace_id must be 16 bytes, not all zero")
    if len(span_id) != 8 or span_id == _NO_SPAN:
        raise ValueError("span_id must be 8 bytes, not all zero")
    if parent and len(parent) != 8:
        raise ValueError("parent_span_id must be 8 bytes")
    flags = span.flags
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start > INT64_MAX:  # fixed64: never negative
        _time(start, "start_time_unix_nano")
    if end > INT64_MAX:
        _time(end, "end_time_unix_nano")
    status: PbStatus = span.status
    events, links = span.events, span.links
    return {
        "v": RECORD_VERSION,
        "trace_id": trace_id.hex(),
        "span_id": span_id.hex(),
        "parent_id": parent.hex() if parent else None,
        "remote_parent": bool(flags & _HAS_IS_REMOTE and flags & _IS_REMOTE),
        "name": storable_name(span.name),
        "start": start,
        "end": end or None,
        "status": _STATUS.get(status.code, "UNSET"),
        "message": status.message,
        "attributes": _attrs(span.attributes),
        "events": [
            {
                "name": e.name,
                "time": _time(e.time_unix_nano, "event time_unix_nano"),
                "attributes": _attrs(e.attributes),
                "dropped_attributes_count": e.dropped_attributes_count,
            }
            for e in events
        ]
        if events
        else [],
        "kind": _pb_kind(span.kind),
        "trace_state": span.trace_state,
        "flags": flags,
        "links": [_pb_link(link) for link in links] if links else [],
        "dropped_attributes_count": span.dropped_attributes_count,
        "dropped_events_count": span.dropped_events_count,
        "dropped_links_count": span.dropped_links_count,
    }


def _add_pb(
    out: Decoded,
    span: PbSpan,
    resource: ResourceRecord | None = None,
    scope: ScopeRecord | None = None,
) -> None:
    try:
        record = _pb_record(span)
        if resource is not None:
            record["resource"] = resource
        if scope is not None:
            record["scope"] = scope
        out.records.append(record)
    except Exception as exc:  # ValueError by design; anything else is still this span's
        out.reject(f"span {span.span_id.hex() or '?'} {span.name[:200]!r}: {exc}")


def _span_by_span(payload: bytes, failure: Exception) -> Decoded:
    """The request walked by hand, each span parsed alone: what protobuf refused whole
    (one span with a string that is not UTF-8) costs only the spans that are broken."""
    out = Decoded()
    try:
        for raw in span_bytes(payload):
            span = PbSpan()
            try:
                span.ParseFromString(bytes(raw))
            except Exception:  # DecodeError, or a nesting too deep for protobuf
                label, why = describe_span(raw)
                out.reject(f"span {label}: not a valid OTLP span: {why}")
                continue
            _add_pb(out, span)
    except WireError as exc:
        raise OTLPError(f"not an OTLP ExportTraceServiceRequest: {failure} ({exc})") from None
    return out


def decode_protobuf(payload: bytes | ExportTraceServiceRequest) -> Decoded:
    """An ``ExportTraceServiceRequest`` (bytes or message) as records."""
    if isinstance(payload, ExportTraceServiceRequest):
        request = payload
    else:
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(payload)
        except (DecodeError, RecursionError, ValueError) as exc:
            return _span_by_span(bytes(payload), exc)
        except Exception as exc:  # protobuf on garbage: a payload error all the same
            raise OTLPError(f"not an OTLP ExportTraceServiceRequest: {exc}") from None
    out = Decoded()
    for resource_spans in request.resource_spans:
        pb_resource = resource_spans.resource
        resource: ResourceRecord = {
            "attributes": _attrs(pb_resource.attributes),
            "dropped_attributes_count": pb_resource.dropped_attributes_count,
            "schema_url": resource_spans.schema_url,
        }
        for scope_spans in resource_spans.scope_spans:
            pb_scope = scope_spans.scope
            scope: ScopeRecord = {
                "name": pb_scope.name,
                "version": pb_scope.version,
                "attributes": _attrs(pb_scope.attributes),
                "dropped_attributes_count": pb_scope.dropped_attributes_count,
                "schema_url": scope_spans.schema_url,
            }
            for span in scope_spans.spans:
                _add_pb(out, span, resource, scope)
    return out


# -- JSON (OTLP/HTTP JSON encoding: ids in hex, 64-bit integers as strings) -----------


def _obj(value: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _items(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []


def _json_attrs(values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in _items(values):
        item = _obj(kv)
        key = item.get("key")
        if isinstance(key, str):
            out[key] = json_value(item.get("value"))
    return out


def _json_time(value: Any, what: str, *, missing: int | None = 0) -> int | None:
    if value is None or value == "":
        return missing
    number = json_int(value)
    if number is None:
        raise ValueError(f"{what} is not an integer: {str(value)[:40]!r}")
    return _time(number, what) or missing  # 0 is protobuf's "not set"


def _text(value: Any, what: str) -> str:
    """A string field: numbers are read as their text, other types break the span."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    raise ValueError(f"{what} must be a string, not {type(value).__name__}")


def _hex_id(value: Any, size: int, name: str, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is missing")
        return None
    text = value.lower() if isinstance(value, str) else ""
    if (
        len(text) != size * 2
        or not text.isascii()
        or any(c not in "0123456789abcdef" for c in text)
    ):
        raise ValueError(f"{name} must be {size * 2} hex characters, got {str(value)[:40]!r}")
    if set(text) == {"0"}:
        raise ValueError(f"{name} must not be all zero")
    return text


def _json_kind(value: Any) -> str:
    if isinstance(value, str) and value.removeprefix("SPAN_KIND_") in KINDS:
        return value.removeprefix("SPAN_KIND_")
    return _pb_kind(json_int(value) or 0)


def _count(value: Any) -> int:
    number = json_int(value) or 0
    return number if 0 <= number < 2**32 else 0


def _json_link(link: Mapping[str, Any]) -> LinkRecord:
    return {
        "trace_id": cast(str, _hex_id(link.get("traceId"), 16, "link traceId")),
        "span_id": cast(str, _hex_id(link.get("spanId"), 8, "link spanId")),
        "trace_state": _text(link.get("traceState"), "link traceState"),
        "attributes": _json_attrs(link.get("attributes")),
        "dropped_attributes_count": _count(link.get("droppedAttributesCount")),
        "flags": _count(link.get("flags")),
    }


def _json_resource(resource_spans: Mapping[str, Any]) -> ResourceRecord:
    resource = _obj(resource_spans.get("resource"))
    schema_url = resource_spans.get("schemaUrl")
    return {
        "attributes": _json_attrs(resource.get("attributes")),
        "dropped_attributes_count": _count(resource.get("droppedAttributesCount")),
        "schema_url": schema_url if isinstance(schema_url, str) else "",
    }


def _json_scope(scope_spans: Mapping[str, Any]) -> ScopeRecord:
    scope = _obj(scope_spans.get("scope"))
    name, version, schema_url = (
        scope.get("name"),
        scope.get("version"),
        scope_spans.get("schemaUrl"),
    )
    return {
        "name": name if isinstance(name, str) else "",
        "version": version if isinstance(version, str) else "",
        "attributes": _json_attrs(scope.get("attributes")),
        "dropped_attributes_count": _count(scope.get("droppedAttributesCount")),
        "schema_url": schema_url if isinstance(schema_url, str) else "",
    }


def _json_record(span: Mapping[str, Any]) -> SpanRecord:
    status = _obj(span.get("status"))
    # Flags only say whether the parent is remote: unreadable flags mean "not known".
    flags = json_int(span.get("flags")) or 0
    code = status.get("code", 0)
    if isinstance(code, str) and code in _STATUS_NAMES:  # the enum's name is accepted too
        code = _STATUS_NAMES[code]
    return {
        "v": RECORD_VERSION,
        "trace_id": cast(str, _hex_id(span.get("traceId"), 16, "traceId")),
        "span_id": cast(str, _hex_id(span.get("spanId"), 8, "spanId")),
        "parent_id": _hex_id(span.get("parentSpanId"), 8, "parentSpanId", required=False),
        "remote_parent": bool(flags & _HAS_IS_REMOTE and flags & _IS_REMOTE),
        "name": storable_name(_text(span.get("name"), "name")),
        "start": cast(int, _json_time(span.get("startTimeUnixNano"), "startTimeUnixNano")),
        "end": _json_time(span.get("endTimeUnixNano"), "endTimeUnixNano", missing=None),
        "status": _STATUS.get(json_int(code) or 0, "UNSET"),
        "message": _text(status.get("message"), "status message"),
        "attributes": _json_attrs(span.get("attributes")),
        "events": [
            EventRecord(
                name=_text(e.get("name"), "event name"),
                time=cast(int, _json_time(e.get("timeUnixNano"), "event timeUnixNano")),
                attributes=_json_attrs(e.get("attributes")),
                dropped_attributes_count=_count(e.get("droppedAttributesCount")),
            )
            for e in map(_obj, filter(_is_object, _items(span.get("events"))))
        ],
        "kind": _json_kind(span.get("kind")),
        "trace_state": _text(span.get("traceState"), "traceState"),
        "flags": _count(span.get("flags")),
        "links": [
            _json_link(link) for link in map(_obj, filter(_is_object, _items(span.get("links"))))
        ],
        "dropped_attributes_count": _count(span.get("droppedAttributesCount")),
        "dropped_events_count": _count(span.get("droppedEventsCount")),
        "dropped_links_count": _count(span.get("droppedLinksCount")),
    }


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OTLPError(f"{where} must be a list")
    return cast("list[Any]", value)


def _parse_json(payload: bytes) -> Any:
    try:
        # Bytes that are not UTF-8 can only sit inside strings of a valid body: repaired
        # to U+FFFD there (json.loads would keep some as lone surrogates).
        text = payload.decode(json.detect_encoding(payload), "replace")
        data = json.loads(text)
    except RecursionError:
        raise OTLPError("JSON nested too deeply to read") from None
    except (ValueError, LookupError) as exc:  # JSONDecodeError, too many digits
        raise OTLPError(f"not JSON: {exc}") from None
    return repair_tree(data) if _SURROGATE_ESCAPE.search(text) else data


def _span_label(span: Mapping[str, Any]) -> str:
    span_id, name = span.get("spanId"), span.get("name")
    parts = [str(span_id)[:16] if isinstance(span_id, str) else "?"]
    if isinstance(name, str):
        parts.append(repr(name[:200]))
    return " ".join(parts)


def decode_json(payload: bytes) -> Decoded:
    """An OTLP/JSON ``ExportTraceServiceRequest`` as records."""
    data = _parse_json(payload)
    if not isinstance(data, dict):
        raise OTLPError("an OTLP/JSON request is an object with resourceSpans")
    out = Decoded()
    body = cast("dict[str, Any]", data)
    for resource_spans in _list(body.get("resourceSpans"), "resourceSpans"):
        if not isinstance(resource_spans, dict):
            raise OTLPError("resourceSpans items must be objects")
        rs = cast("dict[str, Any]", resource_spans)
        resource = _json_resource(rs)
        for scope_spans in _list(rs.get("scopeSpans"), "scopeSpans"):
            if not isinstance(scope_spans, dict):
                raise OTLPError("scopeSpans items must be objects")
            ss = cast("dict[str, Any]", scope_spans)
            scope = _json_scope(ss)
            for span in _list(ss.get("spans"), "spans"):
                if not isinstance(span, dict):
                    out.reject("a span must be an object")
                    continue
                item = cast("dict[str, Any]", span)
                try:
                    record = _json_record(item)
                    record["resource"], record["scope"] = resource, scope
                    out.records.append(record)
                except Exception as exc:  # ValueError by design; anything else too
                    out.reject(f"span {_span_label(item)}: {exc}")
    return out
