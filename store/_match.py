"""Matching and ordering traces held in memory, with the same semantics as the SQL that
``_filter_sql`` compiles the same comparisons to (tested to agree)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spanwise.model._translate import JSON_ATTRIBUTES

from ._filter import Comparison, Op, OrderBy, Scalar, Value

if TYPE_CHECKING:
    from spanwise.model._model import Trace

__all__ = ["TraceFields", "attribute_text", "matches", "otel_fields", "sort_traces"]

_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class TraceFields:
    """What the in-memory matcher needs to know about one trace."""

    trace_id: str
    state: str
    name: str | None
    timestamp_ms: int
    execution_time_ms: int | None
    tags: Mapping[str, str]
    metadata: Mapping[str, str]
    spans: Sequence[tuple[str, str]]  # (span name, span type)
    start_time_ns: int = 0  # orders traces within the same millisecond
    resources: Sequence[Mapping[str, str]] = ()  # resource attributes, values as text
    scopes: Sequence[str] = ()  # instrumentation scope names
    span_kinds: Sequence[str] = ()  # INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER
    span_attributes: Sequence[Mapping[str, Any]] = ()  # each span's (model) attributes


def _like(pattern: str, flags: int = 0) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), flags | re.DOTALL)


def _compare(actual: Scalar | None, op: Op, value: Value) -> bool:
    if actual is None:
        return False
    if op in ("IN", "NOT IN"):
        inside = actual in value  # type: ignore[operator]
        return inside if op == "IN" else not inside
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    if op in ("LIKE", "ILIKE"):
        flags = re.IGNORECASE if op == "ILIKE" else 0
        return _like(str(value), flags).fullmatch(str(actual)) is not None
    number, limit = float(actual), float(value)  # type: ignore[arg-type]
    return {
        "<": number < limit,
        "<=": number <= limit,
        ">": number > limit,
        ">=": number >= limit,
    }[op]


def _match_one(fields: TraceFields, c: Comparison) -> bool:
    if c.field == "tag":
        return _compare(fields.tags.get(c.key or ""), c.op, c.value)
    if c.field == "metadata":
        return _compare(fields.metadata.get(c.key or ""), c.op, c.value)
    if c.field == "span.name":
        return any(_compare(name, c.op, c.value) for name, _ in fields.spans)
    if c.field == "span.type":
        return any(_compare(kind, c.op, c.value) for _, kind in fields.spans)
    if c.field == "span.kind":
        return any(_compare(kind, c.op, c.value) for kind in fields.span_kinds)
    if c.field == "span.attribute":
        key = c.key or ""
        return any(
            _compare(attribute_text(key, a.get(key)), c.op, c.value) for a in fields.span_attributes
        )
    if c.field == "resource":
        return any(_compare(r.get(c.key or ""), c.op, c.value) for r in fields.resources)
    if c.field == "scope.name":
        return any(_compare(name, c.op, c.value) for name in fields.scopes)
    actual: Scalar | None = {
        "state": fields.state,
        "name": fields.name,
        "timestamp_ms": fields.timestamp_ms,
        "execution_time_ms": fields.execution_time_ms,
    }[c.field]
    return _compare(actual, c.op, c.value)


def attribute_text(key: str, value: Any) -> str | None:
    """A span attribute's value as ``span.attributes.<key>`` compares it, the text the
    store's SQL reads off the stored record: strings as they are (a JSON document the
    model holds decoded as the JSON text recorded), numbers and booleans as JSON
    (``12``, ``0.5``, ``true``); lists and absent values match nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if value is not None and key in JSON_ATTRIBUTES:
        return _text(value)
    return None


def otel_fields(trace: Trace) -> dict[str, Any]:
    """``TraceFields``' resources, scopes, span kinds and span attributes of ``trace``
    (keyword arguments), values as the store indexes them (text; others as compact
    JSON)."""
    resources: dict[int, dict[str, str]] = {}
    scopes: set[str] = set()
    for span in trace.data.spans:
        if span.resource is not None:
            attributes = span.resource.attributes
            resources[id(span.resource)] = {
                k: v if isinstance(v, str) else _text(v) for k, v in attributes.items()
            }
        if span.scope is not None:
            scopes.add(span.scope.name)
    return {
        "resources": list(resources.values()),
        "scopes": sorted(scopes),
        "span_kinds": [span.kind for span in trace.data.spans],
        "span_attributes": [span.attributes for span in trace.data.spans],
    }


def matches(fields: TraceFields, comparisons: Sequence[Comparison]) -> bool:
    return all(_match_one(fields, c) for c in comparisons)


def sort_traces(items: list[TraceFields], order: Sequence[OrderBy]) -> list[TraceFields]:
    """Sorted as the SQL orders them: None values last in either direction."""
    out = list(items)
    for o in reversed(order):  # stable sorts, last key first
        present = [t for t in out if getattr(t, o.field) is not None]
        missing = [t for t in out if getattr(t, o.field) is None]
        if o.field == "timestamp_ms":
            present.sort(key=lambda t: (t.timestamp_ms, t.start_time_ns), reverse=not o.ascending)
        else:
            present.sort(key=lambda t: getattr(t, o.field), reverse=not o.ascending)
        out = present + missing
    return out
