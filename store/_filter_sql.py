"""Compile parsed filters and orderings to SQLAlchemy clauses over the store's tables.

Tag, metadata and span comparisons become ``trace_id IN (SELECT trace_id ...)`` so
that the (key, value) and name/type indexes do the work. Values are always bound
parameters. LIKE is case-sensitive on both backends (SQLite runs with
``PRAGMA case_sensitive_like = ON``); ILIKE is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, Text, and_, exists, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from . import _schema as s
from ._filter import Comparison, OrderBy

__all__ = ["filter_clauses", "order_clauses", "side_subqueries"]


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


def _subquery(
    c: Comparison, traces: Table, tags: Table, metadata: Table, spans: Table
) -> Select[Any]:
    """The rows of the side table that satisfy a tag/metadata/span comparison."""
    if c.field in ("tag", "metadata"):
        table = tags if c.field == "tag" else metadata
        # != / NOT IN: the trace has the key with another value (MLflow's semantics).
        return select(table.c.trace_id).where(
            and_(table.c.key == c.key, _condition(table.c.value, c.op, c.value))
        )
    sources = s.trace_sources
    if c.field == "resource":  # traces with a span from a matching resource
        attrs = s.resource_attributes
        matching = select(attrs.c.resource_id).where(
            and_(attrs.c.key == c.key, _condition(attrs.c.value, c.op, c.value))
        )
        return select(sources.c.trace_id).where(sources.c.resource_id.in_(matching))
    if c.field == "scope.name":
        named = select(s.scopes.c.scope_id).where(_condition(s.scopes.c.name, c.op, c.value))
        return select(sources.c.trace_id).where(sources.c.scope_id.in_(named))
    if c.field == "span.attribute":
        return _attribute_subquery(spans, c)
    column = {"span.name": spans.c.name, "span.kind": spans.c.kind}.get(c.field, spans.c.span_type)
    return select(spans.c.trace_id).where(_condition(column, c.op, c.value))


class _AttributeText(FunctionElement[str]):
    """``(content, key)``: a stored span's attribute as text, as ``_match.attribute_text``
    reads it (strings as they are, numbers and booleans as JSON), NULL when absent or
    not a scalar. Compiled per database; the key is a bound parameter."""

    type = Text()
    inherit_cache = True
    name = "spanwise_attribute_text"


def _args(element: _AttributeText, compiler: SQLCompiler, kw: Any) -> tuple[str, Any]:
    # The key is rendered once per use: a positional (qmark) bound parameter must be.
    content, key = element.clauses
    return compiler.process(content, **kw), lambda: compiler.process(key, **kw)


@compiles(_AttributeText, "sqlite")
def _sqlite_attribute(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    content, key = _args(element, compiler, kw)

    def path() -> str:
        return f"'$.attributes.\"' || {key()} || '\"'"

    # json_type: text, integer, real, true, false, null, array, object; NULL if absent.
    return (
        f"CASE json_type({content}, {path()}) "
        f"WHEN 'text' THEN json_extract({content}, {path()}) "
        "WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        "WHEN 'null' THEN NULL WHEN 'array' THEN NULL WHEN 'object' THEN NULL "
        f"ELSE CAST(json_extract({content}, {path()}) AS TEXT) END"
    )


@compiles(_AttributeText, "postgresql")
def _postgres_attribute(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    content, key = _args(element, compiler, kw)
    attributes = f"(CAST({content} AS JSON) -> 'attributes')"
    # PostgreSQL's JSON functions refuse text with an escaped U+0000 (\u0000): such a
    # record (rare: a NUL in some string) is not read, rather than failing the search.
    return (
        f"CASE WHEN strpos({content}, '\\u0000') > 0 THEN NULL "
        f"WHEN json_typeof({attributes} -> {key()}) IN ('string', 'number', 'boolean') "
        f"THEN {attributes} ->> {key()} END"
    )


def _attribute_subquery(spans: Table, c: Comparison) -> Select[Any]:
    """Spans whose attribute ``c.key`` matches. A plain key's JSON text is looked for
    first: a substring test is far cheaper than parsing each record."""
    key = c.key or ""
    conditions: list[ColumnElement[bool]] = []
    if key.isascii() and key.isprintable() and '"' not in key and "\\" not in key:
        conditions.append(spans.c.content.contains(f'"{key}"', autoescape=True))
    text = _AttributeText(spans.c.content, literal(key, Text()))
    conditions.append(_condition(text, c.op, c.value))
    return select(spans.c.trace_id).where(*conditions)


def side_subqueries(
    comparisons: Sequence[Comparison], *, traces: Table, tags: Table, metadata: Table, spans: Table
) -> list[Select[Any]]:
    """The side-table subqueries of ``comparisons`` (for sizing them before a search)."""
    return [
        _subquery(c, traces, tags, metadata, spans) for c in comparisons if c.field not in _COLUMNS
    ]


_COLUMNS = ("state", "name", "timestamp_ms", "execution_time_ms")


def _trace_columns(traces: Table) -> dict[str, Any]:
    """Filter and order fields that are columns of the traces table."""
    return {
        "state": traces.c.state,
        "name": traces.c.name,
        "timestamp_ms": traces.c.request_time,
        "execution_time_ms": traces.c.execution_duration,
        "trace_id": traces.c.trace_id,
    }


def filter_clauses(
    comparisons: Sequence[Comparison],
    *,
    traces: Table,
    tags: Table,
    metadata: Table,
    spans: Table,
    correlated: bool = False,
) -> list[ColumnElement[bool]]:
    """WHERE clauses. Side-table comparisons are ``trace_id IN (subquery)`` (best when
    they select few traces) or, with ``correlated``, ``EXISTS (... = traces.trace_id)``
    (best when many match and a LIMIT lets an in-order scan stop early)."""
    columns = _trace_columns(traces)
    clauses: list[ColumnElement[bool]] = []
    for c in comparisons:
        if c.field in _COLUMNS:
            clauses.append(_condition(columns[c.field], c.op, c.value))
            continue
        inner = _subquery(c, traces, tags, metadata, spans)
        if correlated:
            side = inner.selected_columns[0].table
            clauses.append(exists(inner.where(side.c.trace_id == traces.c.trace_id)))  # type: ignore[attr-defined]
        else:
            clauses.append(traces.c.trace_id.in_(inner))
    return clauses


def order_clauses(order: Sequence[OrderBy], *, traces: Table) -> list[ColumnElement[Any]]:
    # Milliseconds tie often; the root's start in ns orders them as they happened.
    exact = {"timestamp_ms": (traces.c.start_time_ns,)}
    columns = _trace_columns(traces)
    out: list[ColumnElement[Any]] = []
    for o in order:
        for column in (columns[o.field], *exact.get(o.field, ())):
            ordered = column.asc() if o.ascending else column.desc()
            # Only where NULLs can occur: an explicit NULLS LAST keeps SQLite from
            # reading the order off an index.
            out.append(ordered.nulls_last() if column.nullable else ordered)
    return out
