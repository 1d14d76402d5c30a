"""Translation in: OpenTelemetry spans -> the spanwise model, and spans -> a ``Trace``.

Pure functions, run off the application's thread (the store writer) or on demand
(``get_trace``). Spans of other conventions are first rewritten into the canonical
keys by ``_conventions``; this module reads the canonical keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spanwise.common._ids import TRACE_ID_PREFIX
from spanwise.semconv import (
    SPAN_TYPE_BY_OPERATION,
    GenAIAttributes,
    SpanType,
    SpanwiseAttributes,
)

from ._conventions import canonical_record
from ._conversation import add_conversation
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
from ._stored import JSON_ATTRIBUTES, StoredSpan, decode_attributes

__all__ = [
    "JSON_ATTRIBUTES",
    "build_trace",
    "decode_attributes",
    "root_record",
    "span_from_record",
    "span_type_of",
    "trace_info",
]


def span_type_of(attributes: Mapping[str, Any]) -> str:
    """The span type from attributes (decoded or raw: both keys hold plain strings)."""
    kind = attributes.get(SpanwiseAttributes.SPAN_TYPE)
    if isinstance(kind, str) and kind:
        return kind
    operation = attributes.get(GenAIAttributes.OPERATION_NAME)
    if isinstance(operation, str):
        return SPAN_TYPE_BY_OPERATION.get(operation, SpanType.UNKNOWN.value)
    return SpanType.UNKNOWN.value


# SpanStatus is frozen: the message-less ones are shared (an Enum lookup per span adds up).
_STATUSES = {code.value: SpanStatus(code) for code in SpanStatusCode}


def _status(code: str, message: str) -> SpanStatus:
    if not message:
        status = _STATUSES.get(code)
        if status is not None:
            return status
    return SpanStatus(SpanStatusCode(code), message)


def span_from_record(record: SpanRecord) -> Span:
    """A stored (or just recorded) span as a model ``Span``, the span type resolved; its
    JSON attributes are decoded and its inputs and outputs lifted out when first read
    (a ``StoredSpan``)."""
    attributes = record["attributes"]
    events, links = record["events"], record.get("links")
    get = record.get
    return StoredSpan.make(
        attributes,
        TRACE_ID_PREFIX + record["trace_id"],
        record["span_id"],
        record["parent_id"],
        record["name"],
        record["start"],
        record["end"],
        _status(record["status"], record["message"]),
        span_type_of(attributes),
        [
            SpanEvent(
                e["name"],
                e["time"],
                decode_attributes(e["attributes"]),
                e.get("dropped_attributes_count", 0),
            )
            for e in events
        ]
        if events
        else [],
        record["remote_parent"],
        # Records written before these were kept have none: OTLP's defaults.
        get("kind", "UNSPECIFIED"),
        get("trace_state", ""),
        get("flags", 0),
        [
            SpanLink(
                link["trace_id"],
                link["span_id"],
                link["trace_state"],
                dict(link["attributes"]),
                link["dropped_attributes_count"],
                link["flags"],
            )
            for link in links
        ]
        if links
        else [],
        (
            get("dropped_attributes_count", 0),
            get("dropped_events_count", 0),
            get("dropped_links_count", 0),
        ),
        _resource(get("resource")),
        _scope(get("scope")),
    )


# The records of one request or one read share their resource (scope) object: the last
# one's model object is reused (frozen; it holds the record, so its id is not reused).
_last_resource: list[tuple[ResourceRecord, SpanResource]] = []
_last_scope: list[tuple[ScopeRecord, SpanScope]] = []


def _resource(record: ResourceRecord | None) -> SpanResource | None:
    if record is None:
        return None
    last = _last_resource[-1] if _last_resource else None
    if last is not None and last[0] is record:
        return last[1]
    made = SpanResource(
        dict(record["attributes"]), record["dropped_attributes_count"], record["schema_url"]
    )
    _last_resource[:] = [(record, made)]
    return made


def _scope(record: ScopeRecord | None) -> SpanScope | None:
    if record is None:
        return None
    last = _last_scope[-1] if _last_scope else None
    if last is not None and last[0] is record:
        return last[1]
    made = SpanScope(
        record["name"],
        record["version"],
        dict(record["attributes"]),
        record["dropped_attributes_count"],
        record["schema_url"],
    )
    _last_scope[:] = [(record, made)]
    return made


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
            if isinstance(span, StoredSpan):
                out.append(span.renamed(new_name))
                continue
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
    add_conversation(metadata, root, ())  # the root's conversation (see _conversation)
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
    info = trace_info(root)
    add_conversation(info.trace_metadata, root, ordered)  # else a span's (see _conversation)
    return Trace(info, TraceData(_suffix_siblings(spans)))
