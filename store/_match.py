"""Matching and ordering traces held in memory, with the same semantics as the SQL that
``_filter_sql`` compiles the same comparisons to (tested to agree)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._filter import Comparison, Op, OrderBy, Scalar, Value

__all__ = ["TraceFields", "matches", "sort_traces"]


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
    actual: Scalar | None = {
        "state": fields.state,
        "name": fields.name,
        "timestamp_ms": fields.timestamp_ms,
        "execution_time_ms": fields.execution_time_ms,
    }[c.field]
    return _compare(actual, c.op, c.value)


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
