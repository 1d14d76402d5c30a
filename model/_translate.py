"""Translation in: OpenTelemetry spans -> the spanwise model, and spans -> a ``Trace``.

Pure functions, run off the application's thread (the store writer) or on demand
(``get_trace``). Spans of other conventions are first rewritten into the canonical
keys by ``_conventions``; this module reads the canonical keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spanwise.common import _json
from spanwise.common._ids import TRACE_ID_PREFIX
from spanwise.semconv import (
    SPAN_TYPE_BY_OPERATION,
    GenAIAttributes,
    SpanType,
    SpanwiseAttributes,
)

from ._chat_out import chat_request, chat_response
from ._conventions import canonical_record
from ._model import (
    PREVIEW_CHARS,
    Span,
    SpanEvent,
    SpanLink,
    SpanResource,
    SpanScope,
    SpanStatus,
    SpanStatusCode,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
    root_index,
)
from ._records import ResourceRecord, ScopeRecord, SpanRecord

__all__ = [
    "JSON_ATTRIBUTES",
    "build_trace",
    "decode_attributes",
    "root_record",
    "span_from_record",
    "span_type_of",
    "trace_info",
]

# Attributes whose values are JSON documents; the model holds them decoded.
JSON_ATTRIBUTES = frozenset(
    {
        SpanwiseAttributes.SPAN_INPUTS,
        SpanwiseAttributes.SPAN_OUTPUTS,
        GenAIAttributes.TOOL_CALL_ARGUMENTS,
        GenAIAttributes.TOOL_CALL_RESULT,
        GenAIAttributes.INPUT_MESSAGES,
        GenAIAttributes.OUTPUT_MESSAGES,
        GenAIAttributes.SYSTEM_INSTRUCTIONS,
        GenAIAttributes.TOOL_DEFINITIONS,
        GenAIAttributes.RETRIEVAL_DOCUMENTS,
    }
)


def _loads(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return _json.loads(value)
    except ValueError:
        return value  # not JSON after all (another tool's plain string): keep it


def decode_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """OTel attribute values as plain Python: tuples as lists, JSON documents decoded."""
    out = dict(attributes or {})
    for key, value in out.items():
        if key in JSON_ATTRIBUTES:
            out[key] = _loads(value)
        elif isinstance(value, tuple):
            out[key] = list(value)  # pyright: ignore[reportUnknownArgumentType]
    return out


def span_type_of(attributes: Mapping[str, Any]) -> str:
    """The span type from attributes (decoded or raw: both keys hold plain strings)."""
    kind = attributes.get(SpanwiseAttributes.SPAN_TYPE)
    if isinstance(kind, str) and kind:
        return kind
    operation = attributes.get(GenAIAttributes.OPERATION_NAME)
    if isinstance(operation, str):
        return SPAN_TYPE_BY_OPERATION.get(operation, SpanType.UNKNOWN.value)
    return SpanType.UNKNOWN.value


def _inputs_outputs(attributes: dict[str, Any]) -> tuple[Any, Any]:
    """The span's inputs and outputs; spanwise's own keys are lifted out of the
    attributes (the model holds them once, as ``inputs``/``outputs``). A model call's
    are its messages as MLflow shows them (Chat Completions request and response)."""
    inputs = attributes.pop(SpanwiseAttributes.SPAN_INPUTS, None)
    if inputs is None:
        inputs = attributes.get(GenAIAttributes.TOOL_CALL_ARGUMENTS)
    if inputs is None:
        inputs = chat_request(attributes)
    outputs = attributes.pop(SpanwiseAttributes.SPAN_OUTPUTS, None)
    if outputs is None:
        outputs = attributes.get(GenAIAttributes.TOOL_CALL_RESULT)
    if outputs is None:
        outputs = chat_response(attributes)
    return inputs, outputs


# SpanStatus is frozen: the message-less ones are shared (an Enum lookup per span adds up).
_STATUSES = {code.value: SpanStatus(code) for code in SpanStatusCode}


def _status(code: str, message: str) -> SpanStatus:
    if not message:
        status = _STATUSES.get(code)
        if status is not None:
            return status
    return SpanStatus(SpanStatusCode(code), message)


def span_from_record(record: SpanRecord) -> Span:
    """A stored (or just recorded) span as a model ``Span``: JSON attributes decoded,
    inputs and outputs lifted out, the span type resolved."""
    attributes = decode_attributes(record["attributes"])
    inputs, outputs = _inputs_outputs(attributes)
    return Span(
        trace_id=TRACE_ID_PREFIX + record["trace_id"],
        span_id=record["span_id"],
        parent_id=record["parent_id"],
        name=record["name"],
        start_time_ns=record["start"],
        end_time_ns=record["end"],
        status=_status(record["status"], record["message"]),
        span_type=span_type_of(attributes),
        inputs=inputs,
        outputs=outputs,
        attributes=attributes,
        events=[
            SpanEvent(
                e["name"],
                e["time"],
                decode_attributes(e["attributes"]),
                e.get("dropped_attributes_count", 0),
            )
            for e in record["events"]
        ],
        remote_parent=record["remote_parent"],
        # Records written before these were kept have none: OTLP's defaults.
        kind=record.get("kind", "UNSPECIFIED"),
        trace_state=record.get("trace_state", ""),
        flags=record.get("flags", 0),
        links=[
            SpanLink(
                link["trace_id"],
                link["span_id"],
                link["trace_state"],
                dict(link["attributes"]),
                link["dropped_attributes_count"],
                link["flags"],
            )
            for link in record.get("links", ())
        ],
        dropped_attributes_count=record.get("dropped_attributes_count", 0),
        dropped_events_count=record.get("dropped_events_count", 0),
        dropped_links_count=record.get("dropped_links_count", 0),
        resource=_resource(record.get("resource")),
        scope=_scope(record.get("scope")),
    )


def _resource(record: ResourceRecord | None) -> SpanResource | None:
    if record is None:
        return None
    return SpanResource(
        dict(record["attributes"]), record["dropped_attributes_count"], record["schema_url"]
    )


def _scope(record: ScopeRecord | None) -> SpanScope | None:
    if record is None:
        return None
    return SpanScope(
        record["name"],
        record["version"],
        dict(record["attributes"]),
        record["dropped_attributes_count"],
        record["schema_url"],
    )


def _suffix_siblings(spans: Sequence[Span]) -> list[Span]:
    """Same-name siblings become ``name_1``, ``name_2``... in start order (model only)."""
    if len({span.name for span in spans}) == len(spans):  # no two share a name: none to do
        return list(spans)
    groups: dict[tuple[str | None, str], list[Span]] = {}
    for span in spans:
        groups.setdefault((span.parent_id, span.name), []).append(span)
    renamed: dict[str, str] = {}
    for (_, name), members in groups.items():
        if len(members) > 1:
            members.sort(key=lambda s: (s.start_time_ns, s.span_id))
            for index, member in enumerate(members, 1):
                renamed[member.span_id] = f"{name}_{index}"
    if not renamed:
        return list(spans)
    out: list[Span] = []
    for span in spans:
        new_name = renamed.get(span.span_id)
        if new_name is None:
            out.append(span)
        else:
            copy = Span(**{f: getattr(span, f) for f in Span.__slots__})  # pyright: ignore[reportGeneralTypeIssues]
            copy.name = new_name
            out.append(copy)
    return out


_TAG = SpanwiseAttributes.TRACE_TAG_PREFIX
_METADATA = SpanwiseAttributes.TRACE_METADATA_PREFIX
# What both prefixes start with: most keys are ruled out by one test.
_TRACE = _TAG.removesuffix(".").rpartition(".")[0] + "."  # spanwise.trace.
assert _METADATA.startswith(_TRACE)


def _trace_keys(attributes: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The trace's (metadata, tags) from its root's attributes, in one pass."""
    metadata: dict[str, str] = {}
    tags: dict[str, str] = {}
    for key, value in attributes.items():
        if key.startswith(_TRACE):
            text = value if isinstance(value, str) else json.dumps(value)
            if key.startswith(_TAG):
                tags[key[len(_TAG) :]] = text
            elif key.startswith(_METADATA):
                metadata[key[len(_METADATA) :]] = text
    return metadata, tags


_REQUEST_KEYS = (
    SpanwiseAttributes.SPAN_INPUTS,
    GenAIAttributes.TOOL_CALL_ARGUMENTS,
    GenAIAttributes.INPUT_MESSAGES,
)
_RESPONSE_KEYS = (
    SpanwiseAttributes.SPAN_OUTPUTS,
    GenAIAttributes.TOOL_CALL_RESULT,
    GenAIAttributes.OUTPUT_MESSAGES,
)


def _preview(attributes: Mapping[str, Any], explicit: str, keys: Sequence[str]) -> str | None:
    """The explicit preview, else the head of the raw JSON value (as MLflow: JSON-encoded,
    truncated). Cut from the recorded string: nothing is decoded to make it."""
    value = attributes.get(explicit)
    if isinstance(value, str):
        return value
    for key in keys:
        raw = attributes.get(key)
        if raw is not None:
            text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
            return text[:PREVIEW_CHARS]
    return None


def trace_info(root: SpanRecord) -> TraceInfo:
    """A trace's info from its local root span, read off the record (nothing decoded)."""
    end, start = root["end"], root["start"]
    complete = end is not None and (root["parent_id"] is None or root["remote_parent"])
    if not complete:
        state = TraceState.IN_PROGRESS
    elif root["status"] == SpanStatusCode.ERROR.value:
        state = TraceState.ERROR
    else:
        state = TraceState.OK
    attrs = root["attributes"]
    client_request_id = attrs.get(SpanwiseAttributes.TRACE_CLIENT_REQUEST_ID)
    metadata, tags = _trace_keys(attrs)
    return TraceInfo(
        trace_id=TRACE_ID_PREFIX + root["trace_id"],
        request_time=start // 1_000_000,
        state=state,
        execution_duration=(end - start) // 1_000_000 if complete and end is not None else None,
        request_preview=_preview(attrs, SpanwiseAttributes.TRACE_REQUEST_PREVIEW, _REQUEST_KEYS),
        response_preview=_preview(attrs, SpanwiseAttributes.TRACE_RESPONSE_PREVIEW, _RESPONSE_KEYS),
        client_request_id=None if client_request_id is None else str(client_request_id),
        trace_metadata=metadata,
        tags=tags,
    )


def root_record(records: Sequence[SpanRecord]) -> SpanRecord | None:
    index = root_index(
        [(r["span_id"], r["parent_id"], r["remote_parent"], r["start"]) for r in records]
    )
    return None if index is None else records[index]


def build_trace(records: Iterable[SpanRecord]) -> Trace:
    """Assemble the records of one trace (any order, possibly partial) into a ``Trace``."""
    ordered = sorted(map(canonical_record, records), key=lambda r: (r["start"], r["span_id"]))
    root = root_record(ordered)
    if root is None:
        raise ValueError("A trace needs at least one span")
    spans = [span_from_record(r) for r in ordered]
    return Trace(trace_info(root), TraceData(_suffix_siblings(spans)))
