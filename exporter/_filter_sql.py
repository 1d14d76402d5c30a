"""Compile parsed filters and orderings to SQLAlchemy clauses over the store's tables.

Tag, metadata and span comparisons become ``trace_id IN (SELECT trace_id ...)`` so
that the (key, value) and name/type indexes do the work. Values are always bound
parameters. LIKE is case-sensitive on both backends (SQLite runs with
``PRAGMA case_sensitive_like = ON``); ILIKE is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select

from ._filter import Comparison, OrderBy

__all__ = ["filter_clauses", "order_clauses"]


def _condition(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    if op == "LIKE":
        return column.like(value)
    if op == "ILIKE":
        return column.ilike(value)
    return {
        "=": lambda: column == value,
        "!=": lambda: column != value,
        "<": lambda: column < value,
        "<=": lambda: column <= value,
        ">": lambda: column > value,
        ">=": lambda: column >= value,
    }[op]()


def filter_clauses(
    comparisons: Sequence[Comparison],
    *,
    traces: Table,
    tags: Table,
    metadata: Table,
    spans: Table,
) -> list[ColumnElement[bool]]:
    columns = {
        "state": traces.c.state,
        "name": traces.c.name,
        "timestamp_ms": traces.c.request_time,
        "execution_time_ms": traces.c.execution_duration,
    }
    clauses: list[ColumnElement[bool]] = []
    for c in comparisons:
        if c.field in ("tag", "metadata"):
            table = tags if c.field == "tag" else metadata
            # != / NOT IN: the trace has the key with another value (MLflow's semantics).
            inner = select(table.c.trace_id).where(
                and_(table.c.key == c.key, _condition(table.c.value, c.op, c.value))
            )
            clauses.append(traces.c.trace_id.in_(inner))
        elif c.field in ("span.name", "span.type"):
            column = spans.c.name if c.field == "span.name" else spans.c.span_type
            inner = select(spans.c.trace_id).where(_condition(column, c.op, c.value))
            clauses.append(traces.c.trace_id.in_(inner))
        else:
            clauses.append(_condition(columns[c.field], c.op, c.value))
    return clauses


def order_clauses(order: Sequence[OrderBy], *, traces: Table) -> list[ColumnElement[Any]]:
    # Milliseconds tie often; the root's start in ns orders them as they happened.
    exact = {"timestamp_ms": (traces.c.start_time_ns,)}
    columns = {
        "timestamp_ms": traces.c.request_time,
        "execution_time_ms": traces.c.execution_duration,
        "name": traces.c.name,
        "state": traces.c.state,
        "trace_id": traces.c.trace_id,
    }
    out: list[ColumnElement[Any]] = []
    for o in order:
        for column in (columns[o.field], *exact.get(o.field, ())):
            out.append((column.asc() if o.ascending else column.desc()).nulls_last())
    return out
