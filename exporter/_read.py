"""Reading traces back: ``get_trace``, ``get_last_active_trace_id``, ``search_traces``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from opentelemetry.instrumentation.utils import suppress_instrumentation

from spanwise.common._ids import format_trace_id, parse_trace_id
from spanwise.model._model import Trace

from ._provider import assembler, ensure_provider, flush, get_store

if TYPE_CHECKING:
    import pandas as pd

    from spanwise.store._match import TraceFields

__all__ = ["SEARCH_COLUMNS", "get_last_active_trace_id", "get_trace", "search_traces"]

SEARCH_COLUMNS = (
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
)


def get_trace(trace_id: str, *, silent: bool = False) -> Trace | None:
    """The trace with this id, from memory (right after it ends) or from the store.

    An unknown id raises ``LookupError`` naming where spanwise looked; with
    ``silent=True`` it returns None instead. A malformed id raises ``ValueError``.
    """
    if not isinstance(cast(object, trace_id), str):
        raise TypeError(f"trace_id must be a string, got {type(trace_id).__name__}")
    numeric = parse_trace_id(trace_id)
    found = assembler.get_trace(numeric)
    if found is not None:
        return found
    flush()
    with suppress_instrumentation():
        store = get_store(for_read=True)
        found = store.get_trace(format_trace_id(numeric)) if store is not None else None
    if found is None and not silent:
        where = f"the store at {store.uri}" if store is not None else "no store (memory only)"
        raise LookupError(
            f"Trace {trace_id!r} not found: not among the last traces of this process, nor in "
            f"{where}"
        )
    return found


def get_last_active_trace_id(thread_local: bool = False) -> str | None:
    """The id of the last trace that finished in this process (or in this thread)."""
    numeric = assembler.last_trace_id(thread_local)
    return None if numeric is None else format_trace_id(numeric)


def search_traces(
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    return_type: Literal["pandas", "list"] = "pandas",
) -> pd.DataFrame | list[Trace]:
    """Traces matching ``filter_string`` (MLflow's syntax), newest first by default.

    Sees every trace finished before the call. ``return_type="pandas"`` gives a
    DataFrame with MLflow's columns (``pip install 'spanwise[pandas]'``); ``"list"``
    gives ``Trace`` objects. A malformed filter raises ``ValueError`` saying where; an
    argument of the wrong type or value is a ``TypeError``/``ValueError`` naming it.
    """
    from spanwise.store._filter import check_max_results, parse_filter, parse_order_by
    from spanwise.store._match import matches, sort_traces

    # Every argument checked before any work: TypeError/ValueError naming it.
    if return_type not in ("pandas", "list"):
        raise ValueError(f"return_type must be 'pandas' or 'list', got {return_type!r}")
    max_results = check_max_results(max_results)
    comparisons = parse_filter(filter_string)
    order = parse_order_by(order_by)
    if return_type == "pandas":
        _pandas()  # fail before any work when pandas is missing
    ensure_provider()
    flush()
    with suppress_instrumentation():
        store = get_store(for_read=True)
        if store is not None:
            traces = store.search(comparisons, order, max_results)
        else:
            candidates = [(_fields(t), t) for t in assembler.finished_traces()]
            by_id = {fields.trace_id: trace for fields, trace in candidates}
            kept = [f for f, _ in candidates if matches(f, comparisons)]
            traces = [by_id[f.trace_id] for f in sort_traces(kept, order)][:max_results]
    if return_type == "list":
        return traces
    return _to_dataframe(traces)


def _fields(trace: Trace) -> TraceFields:
    from spanwise.store._match import TraceFields

    root = trace.data.root_span
    return TraceFields(
        trace_id=trace.info.trace_id,
        state=trace.info.state.value,
        name=None if root is None else root.name,
        timestamp_ms=trace.info.request_time,
        execution_time_ms=trace.info.execution_duration,
        tags=trace.info.tags,
        metadata=trace.info.trace_metadata,
        spans=[(s.name, s.span_type) for s in trace.data.spans],
        start_time_ns=0 if root is None else root.start_time_ns,
    )


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "search_traces(return_type='pandas') needs pandas: pip install 'spanwise[pandas]' "
            "(or pass return_type='list')"
        ) from None
    return pandas


def _to_dataframe(traces: list[Trace]) -> pd.DataFrame:
    pandas = _pandas()
    rows = [
        {
            "trace_id": t.info.trace_id,
            "trace": t,
            "client_request_id": t.info.client_request_id,
            "state": t.info.state.value,
            "request_time": t.info.request_time,
            "execution_duration": t.info.execution_duration,
            "request": t.data.request,
            "response": t.data.response,
            "trace_metadata": t.info.trace_metadata,
            "tags": t.info.tags,
            "spans": [s.to_dict() for s in t.data.spans],
            "assessments": t.info.assessments,
        }
        for t in traces
    ]
    return pandas.DataFrame(rows, columns=list(SEARCH_COLUMNS))
