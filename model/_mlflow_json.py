"""MLflow's trace JSON shape (MLflow 3 ``Trace.to_dict``), both ways.

Spans: ids base64 (OTLP JSON style), times in ns, status codes ``STATUS_CODE_*``, and
every attribute value JSON-encoded, with MLflow's keys ``mlflow.traceRequestId``,
``mlflow.spanType``, ``mlflow.spanInputs`` and ``mlflow.spanOutputs``. Trace info: the
request time as an RFC 3339 string, the duration as ``execution_duration_ms``.
Reading also accepts hex ids and integer times, so hand-written JSON works.

The rest of OTLP sits where OTLP's own JSON puts it (``kind`` as ``SPAN_KIND_*``,
``trace_state``, ``flags``, ``links``, ``dropped_*_count``); the span's ``resource`` and
``scope``, which MLflow's span has no field for, sit alongside, attribute values plain.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any, Protocol, cast

from spanwise.semconv import SpanType

from ._basics import (
    SpanEvent,
    SpanLink,
    SpanResource,
    SpanScope,
    SpanStatus,
    SpanStatusCode,
    TraceState,
)


# What these read of the model's Span and TraceInfo (the model's classes call these
# functions; the functions never need the classes).
class _Span(Protocol):
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_time_ns: int
    end_time_ns: int | None
    status: SpanStatus
    span_type: str
    inputs: Any
    outputs: Any
    attributes: dict[str, Any]
    events: list[SpanEvent]
    kind: str
    trace_state: str
    flags: int
    links: list[SpanLink]
    dropped_attributes_count: int
    dropped_events_count: int
    dropped_links_count: int
    resource: SpanResource | None
    scope: SpanScope | None


class _TraceInfo(Protocol):
    trace_id: str
    request_time: int
    state: TraceState
    execution_duration: int | None
    trace_metadata: dict[str, str]
    tags: dict[str, str]
    assessments: list[Any]
    token_usage: dict[str, int] | None


__all__ = ["info_fields", "info_to_dict", "span_fields", "span_to_dict"]

REQUEST_ID = "mlflow.traceRequestId"
SPAN_TYPE = "mlflow.spanType"
SPAN_INPUTS = "mlflow.spanInputs"
SPAN_OUTPUTS = "mlflow.spanOutputs"
TOKEN_USAGE = "mlflow.trace.tokenUsage"  # trace metadata: the trace's summed usage
_LIFTED = (REQUEST_ID, SPAN_TYPE, SPAN_INPUTS, SPAN_OUTPUTS)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _loads(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _b64(value: str, size: int) -> str:
    return base64.b64encode(int(value, 16).to_bytes(size, "big")).decode("ascii")


def _hex_id(value: Any, size: int, what: str) -> str:
    """An id from JSON: base64 of ``size`` bytes, or hex (with or without ``tr-``)."""
    text = str(value).removeprefix("tr-")
    if len(text) == size * 2:
        try:
            return f"{int(text, 16):0{size * 2}x}"
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise ValueError(f"Invalid {what} {value!r} in trace JSON: expected base64 or hex")
    return raw.hex()


def span_to_dict(span: _Span) -> dict[str, Any]:
    attributes = {key: _dumps(value) for key, value in span.attributes.items()}
    attributes[REQUEST_ID] = _dumps(span.trace_id)
    attributes[SPAN_TYPE] = _dumps(span.span_type)
    if span.inputs is not None:
        attributes[SPAN_INPUTS] = _dumps(span.inputs)
    if span.outputs is not None:
        attributes[SPAN_OUTPUTS] = _dumps(span.outputs)
    return {
        "trace_id": _b64(span.trace_id.removeprefix("tr-"), 16),
        "span_id": _b64(span.span_id, 8),
        "parent_span_id": None if span.parent_id is None else _b64(span.parent_id, 8),
        "name": span.name,
        "start_time_unix_nano": span.start_time_ns,
        "end_time_unix_nano": span.end_time_ns,
        "events": [_event_to_dict(e) for e in span.events],
        "status": {
            "code": f"STATUS_CODE_{span.status.status_code.value}",
            "message": span.status.description,
        },
        "attributes": attributes,
        "links": [
            {  # MLflow's Link: its trace id form, hex span id, plain attributes
                "trace_id": "tr-" + link.trace_id,
                "span_id": link.span_id,
                "attributes": dict(link.attributes) or None,
                "trace_state": link.trace_state,
                "dropped_attributes_count": link.dropped_attributes_count,
                "flags": link.flags,
            }
            for link in span.links
        ],
        "kind": f"SPAN_KIND_{span.kind}",
        "trace_state": span.trace_state,
        "flags": span.flags,
        "dropped_attributes_count": span.dropped_attributes_count,
        "dropped_events_count": span.dropped_events_count,
        "dropped_links_count": span.dropped_links_count,
        "resource": None if span.resource is None else _resource_to_dict(span.resource),
        "scope": None if span.scope is None else _scope_to_dict(span.scope),
    }


def _event_to_dict(event: SpanEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": event.name,
        "time_unix_nano": event.timestamp,
        "attributes": dict(event.attributes),
    }
    if event.dropped_attributes_count:
        out["dropped_attributes_count"] = event.dropped_attributes_count
    return out


def _resource_to_dict(resource: SpanResource) -> dict[str, Any]:
    return {
        "attributes": dict(resource.attributes),
        "dropped_attributes_count": resource.dropped_attributes_count,
        "schema_url": resource.schema_url,
    }


def _scope_to_dict(scope: SpanScope) -> dict[str, Any]:
    return {
        "name": scope.name,
        "version": scope.version,
        "attributes": dict(scope.attributes),
        "dropped_attributes_count": scope.dropped_attributes_count,
        "schema_url": scope.schema_url,
    }


def _count(value: Any) -> int:
    return int(value or 0)


def _otlp_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The OTLP fields besides MLflow's (absent in MLflow's own JSON: OTLP's defaults)."""
    kind = str(data.get("kind") or "SPAN_KIND_INTERNAL").upper().removeprefix("SPAN_KIND_")
    resource = data.get("resource")
    scope = data.get("scope")
    out: dict[str, Any] = dict(
        kind=kind,
        trace_state=str(data.get("trace_state") or ""),
        flags=_count(data.get("flags")),
        links=[
            SpanLink(
                trace_id=_hex_id(link["trace_id"], 16, "link trace_id"),
                span_id=_hex_id(link["span_id"], 8, "link span_id"),
                trace_state=str(link.get("trace_state") or ""),
                attributes=_mapping(link.get("attributes")),
                dropped_attributes_count=_count(link.get("dropped_attributes_count")),
                flags=_count(link.get("flags")),
            )
            for link in map(_mapping, data.get("links") or [])
        ],
        dropped_attributes_count=_count(data.get("dropped_attributes_count")),
        dropped_events_count=_count(data.get("dropped_events_count")),
        dropped_links_count=_count(data.get("dropped_links_count")),
        resource=None,
        scope=None,
    )
    if isinstance(resource, dict):
        r = _mapping(resource)
        out["resource"] = SpanResource(
            _mapping(r.get("attributes")),
            _count(r.get("dropped_attributes_count")),
            str(r.get("schema_url") or ""),
        )
    if isinstance(scope, dict):
        c = _mapping(scope)
        out["scope"] = SpanScope(
            str(c.get("name") or ""),
            str(c.get("version") or ""),
            _mapping(c.get("attributes")),
            _count(c.get("dropped_attributes_count")),
            str(c.get("schema_url") or ""),
        )
    return out


def _status(value: Any) -> SpanStatus:
    data = _mapping(value)
    code = str(data.get("code") or "UNSET").upper().removeprefix("STATUS_CODE_")
    try:
        status_code = SpanStatusCode(code)
    except ValueError:
        raise ValueError(f"Invalid span status code {data.get('code')!r} in trace JSON") from None
    return SpanStatus(status_code, str(data.get("message") or ""))


def _mapping(value: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def span_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A span's fields (``Span(**fields)``) from its MLflow JSON."""
    try:
        raw: dict[str, Any] = _mapping(data.get("attributes"))
        attributes = {key: _loads(value) for key, value in raw.items()}
        trace_id = "tr-" + _hex_id(data["trace_id"], 16, "trace_id")
        parent = data.get("parent_span_id") or data.get("parent_id")
        end = data.get("end_time_unix_nano")
        span_type = attributes.get(SPAN_TYPE)
        inputs, outputs = attributes.get(SPAN_INPUTS), attributes.get(SPAN_OUTPUTS)
        for key in _LIFTED:
            attributes.pop(key, None)
        return dict(
            trace_id=trace_id,
            span_id=_hex_id(data["span_id"], 8, "span_id"),
            parent_id=None if not parent else _hex_id(parent, 8, "parent_span_id"),
            name=str(data["name"]),
            start_time_ns=int(data["start_time_unix_nano"]),
            end_time_ns=None if end in (None, "", 0) else int(end),
            status=_status(data.get("status")),
            span_type=str(span_type) if span_type else SpanType.UNKNOWN.value,
            inputs=inputs,
            outputs=outputs,
            attributes=attributes,
            events=[
                SpanEvent(
                    str(e["name"]),
                    int(e.get("time_unix_nano") or 0),
                    _mapping(e.get("attributes")),
                    _count(e.get("dropped_attributes_count")),
                )
                for e in map(_mapping, data.get("events") or [])
            ],
            **_otlp_fields(data),
        )
    except KeyError as exc:
        raise ValueError(f"Invalid span in trace JSON: missing {exc.args[0]!r}") from None
    except (TypeError, AttributeError) as exc:
        raise ValueError(f"Invalid span in trace JSON: {exc}") from None


def _rfc3339(ms: int) -> str:
    moment = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _ms(value: Any) -> int:
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value)
    if text.isdigit():
        return int(text)
    moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def info_to_dict(info: _TraceInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "trace_id": info.trace_id,
        # spanwise traces live in no MLflow experiment.
        "trace_location": {"type": "TRACE_LOCATION_TYPE_UNSPECIFIED"},
        "request_time": _rfc3339(info.request_time),
        "state": info.state.value,
        "trace_metadata": dict(info.trace_metadata),
        "tags": dict(info.tags),
        "assessments": list(info.assessments),
    }
    if info.token_usage is not None:  # where MLflow keeps it (TraceMetadataKey.TOKEN_USAGE)
        out["trace_metadata"][TOKEN_USAGE] = _dumps(info.token_usage)
    if info.execution_duration is not None:
        out["execution_duration_ms"] = info.execution_duration
    for key in ("request_preview", "response_preview", "client_request_id"):
        value = getattr(info, key)
        if value is not None:
            out[key] = value
    return out


def _duration_ms(data: Mapping[str, Any]) -> int | None:
    if data.get("execution_duration_ms") is not None:
        return int(data["execution_duration_ms"])
    value = data.get("execution_duration")
    if value is None:
        return None
    if isinstance(value, str) and value.endswith("s"):  # protobuf Duration JSON
        return round(float(value[:-1]) * 1000)
    return int(value)


def info_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A trace info's fields (``TraceInfo(**fields)``) from its MLflow JSON."""
    try:
        state = str(data.get("state") or data.get("status") or "OK").upper()
        metadata = {k: str(v) for k, v in _mapping(data.get("trace_metadata")).items()}
        usage = _loads(metadata.pop(TOKEN_USAGE, None))
        return dict(
            trace_id=str(data.get("trace_id") or data.get("request_id") or data["trace_id"]),
            request_time=_ms(data.get("request_time", data.get("timestamp_ms", 0))),
            state=TraceState(state if state != "UNSET" else "OK"),
            execution_duration=_duration_ms(data),
            request_preview=data.get("request_preview"),
            response_preview=data.get("response_preview"),
            client_request_id=data.get("client_request_id"),
            trace_metadata=metadata,
            tags={k: str(v) for k, v in _mapping(data.get("tags")).items()},
            assessments=list(data.get("assessments") or []),
            token_usage=_mapping(usage) or None,
        )
    except KeyError as exc:
        raise ValueError(f"Invalid trace info in trace JSON: missing {exc.args[0]!r}") from None
    except ValueError as exc:
        raise ValueError(f"Invalid trace info in trace JSON: {exc}") from None
