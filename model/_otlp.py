"""OTLP trace payloads (protobuf and JSON) -> span records.

Used by the receiver. Decoding is strict where the OTLP spec is (ids must be 16/8
bytes, or 32/16 hex characters in JSON) and a span that breaks it is rejected alone,
with the reason, so one bad span never costs the rest of its request.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as PbStatus

from ._records import RECORD_VERSION, EventRecord, SpanRecord

__all__ = ["Decoded", "OTLPError", "decode_json", "decode_protobuf"]

# OTLP span flags: bit 8 says whether bit 9 (parent is remote) is known.
_HAS_IS_REMOTE = 0x100
_IS_REMOTE = 0x200
_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


class OTLPError(ValueError):
    """The payload as a whole cannot be read (not OTLP, truncated, wrong encoding)."""


@dataclass(slots=True)
class Decoded:
    records: list[SpanRecord] = field(default_factory=list[SpanRecord])
    rejected: int = 0
    errors: list[str] = field(default_factory=list[str])

    def reject(self, why: str) -> None:
        self.rejected += 1
        if len(self.errors) < 5:  # a few examples are enough for the client
            self.errors.append(why)


# -- protobuf --------------------------------------------------------------------------


def _any(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [_any(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        # Not an OTel attribute type: kept as the JSON object it stands for.
        return json.dumps({kv.key: _any(kv.value) for kv in value.kvlist_value.values})
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def _attrs(values: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: _any(kv.value) for kv in values}


def _pb_record(span: PbSpan) -> SpanRecord:
    if len(span.trace_id) != 16 or span.trace_id == bytes(16):
        raise ValueError("trace_id must be 16 bytes, not all zero")
    if len(span.span_id) != 8 or span.span_id == bytes(8):
        raise ValueError("span_id must be 8 bytes, not all zero")
    if span.parent_span_id and len(span.parent_span_id) != 8:
        raise ValueError("parent_span_id must be 8 bytes")
    status: PbStatus = span.status
    return {
        "v": RECORD_VERSION,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_id": span.parent_span_id.hex() if span.parent_span_id else None,
        "remote_parent": bool(span.flags & _HAS_IS_REMOTE and span.flags & _IS_REMOTE),
        "name": span.name,
        "start": span.start_time_unix_nano,
        "end": span.end_time_unix_nano or None,
        "status": _STATUS.get(status.code, "UNSET"),
        "message": status.message,
        "attributes": _attrs(span.attributes),
        "events": [
            {"name": e.name, "time": e.time_unix_nano, "attributes": _attrs(e.attributes)}
            for e in span.events
        ],
    }


def decode_protobuf(payload: bytes | ExportTraceServiceRequest) -> Decoded:
    """An ``ExportTraceServiceRequest`` (bytes or message) as records."""
    if isinstance(payload, ExportTraceServiceRequest):
        request = payload
    else:
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(payload)
        except Exception as exc:  # protobuf's DecodeError, or worse on garbage
            raise OTLPError(f"not an OTLP ExportTraceServiceRequest: {exc}") from None
    out = Decoded()
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                try:
                    out.records.append(_pb_record(span))
                except ValueError as exc:
                    out.reject(f"span {span.name!r}: {exc}")
    return out


# -- JSON (OTLP/HTTP JSON encoding: ids in hex, 64-bit integers as strings) -----------


def _obj(value: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []


def _json_any(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    v = cast("dict[str, Any]", value)
    if "stringValue" in v:
        return str(v["stringValue"])
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [_json_any(x) for x in _items(_obj(v["arrayValue"]).get("values"))]
    if "kvlistValue" in v:
        pairs = [_obj(p) for p in _items(_obj(v["kvlistValue"]).get("values"))]
        return json.dumps({str(p.get("key", "")): _json_any(p.get("value")) for p in pairs})
    if "bytesValue" in v:
        return str(v["bytesValue"])
    return None


def _json_attrs(values: Any) -> dict[str, Any]:
    if not isinstance(values, list):
        return {}
    out: dict[str, Any] = {}
    for kv in cast("list[Any]", values):
        if isinstance(kv, dict) and isinstance(kv.get("key"), str):  # pyright: ignore[reportUnknownMemberType]
            item = cast("dict[str, Any]", kv)
            out[item["key"]] = _json_any(item.get("value"))
    return out


def _hex_id(value: Any, size: int, name: str, *, required: bool = True) -> str | None:
    if not value:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    text = str(value).lower()
    if len(text) != size * 2 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"{name} must be {size * 2} hex characters, got {str(value)[:40]!r}")
    if set(text) == {"0"}:
        raise ValueError(f"{name} must not be all zero")
    return text


def _json_record(span: Mapping[str, Any]) -> SpanRecord:
    status = _obj(span.get("status"))
    flags = int(span.get("flags") or 0)
    code = status.get("code", 0)
    if isinstance(code, str):  # the enum's name is accepted too
        code = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(code, 0)
    end = int(span.get("endTimeUnixNano") or 0)
    return {
        "v": RECORD_VERSION,
        "trace_id": cast(str, _hex_id(span.get("traceId"), 16, "traceId")),
        "span_id": cast(str, _hex_id(span.get("spanId"), 8, "spanId")),
        "parent_id": _hex_id(span.get("parentSpanId"), 8, "parentSpanId", required=False),
        "remote_parent": bool(flags & _HAS_IS_REMOTE and flags & _IS_REMOTE),
        "name": str(span.get("name") or ""),
        "start": int(span.get("startTimeUnixNano") or 0),
        "end": end or None,
        "status": _STATUS.get(int(code), "UNSET"),
        "message": str(status.get("message") or ""),
        "attributes": _json_attrs(span.get("attributes")),
        "events": [
            EventRecord(
                name=str(e.get("name") or ""),
                time=int(e.get("timeUnixNano") or 0),
                attributes=_json_attrs(e.get("attributes")),
            )
            for e in map(_obj, _items(span.get("events")))
        ],
    }


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OTLPError(f"{where} must be a list")
    return cast("list[Any]", value)


def decode_json(payload: bytes) -> Decoded:
    """An OTLP/JSON ``ExportTraceServiceRequest`` as records."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OTLPError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OTLPError("an OTLP/JSON request is an object with resourceSpans")
    out = Decoded()
    body = cast("dict[str, Any]", data)
    for resource_spans in _list(body.get("resourceSpans"), "resourceSpans"):
        if not isinstance(resource_spans, dict):
            raise OTLPError("resourceSpans items must be objects")
        rs = cast("dict[str, Any]", resource_spans)
        for scope_spans in _list(rs.get("scopeSpans"), "scopeSpans"):
            if not isinstance(scope_spans, dict):
                raise OTLPError("scopeSpans items must be objects")
            ss = cast("dict[str, Any]", scope_spans)
            for span in _list(ss.get("spans"), "spans"):
                if not isinstance(span, dict):
                    out.reject("a span must be an object")
                    continue
                try:
                    out.records.append(_json_record(cast("dict[str, Any]", span)))
                except (ValueError, TypeError, AttributeError) as exc:
                    out.reject(f"span {cast('dict[str, Any]', span).get('name')!r}: {exc}")
    return out
