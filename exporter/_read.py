"""Reading traces back: ``get_trace``, ``get_last_active_trace_id``, ``search_traces``."""

from __future__ import annotations

import json
from collections.abc import MutableMapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, cast

from opentelemetry.instrumentation.utils import suppress_instrumentation

from spanwise.common._ids import format_trace_id, parse_trace_id
from spanwise.common._safety import fork_safe_lock, warn_once
from spanwise.model._model import Trace, TraceData
from spanwise.semconv import SpanwiseAttributes

from ._frames import SEARCH_COLUMNS, check_scope, parse_fields, to_dataframe
from ._provider import assembler, ensure_provider, get_store
from ._provider import flush as _flush

if TYPE_CHECKING:
    import pandas as pd
    from opentelemetry.trace import Span as OTelSpan

    from spanwise.store._match import TraceFields
    from spanwise.store._sql import SqlTraceStore

__all__ = [
    "SEARCH_COLUMNS",
    "delete_trace_tag",
    "get_last_active_trace_id",
    "get_trace",
    "search_traces",
    "set_trace_tag",
]


def get_trace(trace_id: str, *, silent: bool = False, flush: bool = False) -> Trace | None:
    """The trace with this id, from memory (right after it ends) or from the store.

    An unknown id raises ``LookupError`` naming where spanwise looked; with
    ``silent=True`` it returns None instead. A malformed id raises ``ValueError``.
    ``flush`` is MLflow's; spanwise always flushes pending writes before reading the store.
    """
    del flush  # always done
    if not isinstance(cast(object, trace_id), str):
        raise TypeError(f"trace_id must be a string, got {type(trace_id).__name__}")
    numeric = parse_trace_id(trace_id)
    found = assembler.get_trace(numeric)
    if found is not None:
        return tag_edits.apply(found)
    _flush()
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
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    extract_fields: Sequence[str] | None = None,
    run_id: str | None = None,
    return_type: Literal["pandas", "list"] | None = None,
    model_id: str | None = None,
    include_spans: bool = True,
    locations: Sequence[str] | None = None,
    flush: bool = False,
) -> pd.DataFrame | list[Trace]:
    """Traces matching ``filter_string`` (MLflow's syntax), newest first by default.

    MLflow's signature and meaning. Sees every trace finished before the call (``flush``
    is accepted; spanwise always flushes). ``return_type`` ``"pandas"`` gives a DataFrame
    with MLflow's columns (``pip install 'spanwise[pandas]'``), ``"list"`` ``Trace``
    objects; unset, a DataFrame when pandas is installed, else a list (MLflow's default;
    spanwise logs once that it chose the list). ``include_spans=False`` returns traces
    without their spans. ``extract_fields`` (DataFrame only) adds MLflow's
    ``"<span>.inputs[.<key>]"`` / ``"<span>.outputs[.<key>]"`` columns. ``run_id`` and
    ``model_id`` select traces whose metadata ``mlflow.sourceRun`` / ``mlflow.modelId``
    says so, as MLflow stores them. spanwise has no experiments: ``experiment_ids`` and
    ``locations`` may only name MLflow's default experiment ``"0"`` (the one store).
    A malformed filter raises ``ValueError`` saying where; an argument of the wrong type
    or value is a ``TypeError``/``ValueError`` naming it.
    """
    from spanwise.store._filter import check_max_results, parse_filter, parse_order_by
    from spanwise.store._match import matches, sort_traces

    del flush  # always done
    # Every argument checked before any work: TypeError/ValueError naming it.
    if isinstance(cast(object, experiment_ids), str) and filter_string is None:
        # search_traces("tags.x = 'y'"): spanwise's first parameter was the filter.
        filter_string, experiment_ids = cast(str, experiment_ids), None
    check_scope("experiment_ids", experiment_ids)
    check_scope("locations", locations)
    return_type = _return_type(return_type)
    if extract_fields is not None and return_type == "list":
        raise ValueError("extract_fields applies to return_type='pandas' only (as in MLflow)")
    fields = parse_fields(extract_fields)
    max_results = check_max_results(max_results)
    comparisons = parse_filter(_scoped_filter(filter_string, run_id, model_id))
    order = parse_order_by(order_by)
    if return_type == "pandas":
        _pandas()  # fail before any work when pandas is missing
    ensure_provider()
    _flush()
    with suppress_instrumentation():
        store = get_store(for_read=True)
        if store is not None:
            traces = [tag_edits.apply(t) for t in store.search(comparisons, order, max_results)]
        else:
            candidates = [
                (_fields(t), t) for t in map(tag_edits.apply, assembler.finished_traces())
            ]
            by_id = {fields.trace_id: trace for fields, trace in candidates}
            kept = [f for f, _ in candidates if matches(f, comparisons)]
            traces = [by_id[f.trace_id] for f in sort_traces(kept, order)][:max_results]
    if not include_spans:
        traces = [Trace(t.info, TraceData([])) for t in traces]
    if return_type == "list":
        return traces
    return to_dataframe(_pandas(), traces, fields)


def _return_type(return_type: object) -> Literal["pandas", "list"]:
    if return_type is None:
        try:
            import pandas  # noqa: F401  # pyright: ignore[reportUnusedImport]
        except ImportError:
            warn_once(
                "search_traces:list",
                "spanwise: pandas is not installed, so search_traces() returns a list of "
                "Trace (as MLflow does); pip install 'spanwise[pandas]' for a DataFrame",
            )
            return "list"
        return "pandas"
    if return_type not in ("pandas", "list"):
        raise ValueError(f"return_type must be 'pandas' or 'list', got {return_type!r}")
    return return_type


# Where MLflow records a trace's run and logged model (TraceMetadataKey).
_RUN_KEY = "mlflow.sourceRun"
_MODEL_KEY = "mlflow.modelId"


def _scoped_filter(
    filter_string: str | None, run_id: str | None, model_id: str | None
) -> str | None:
    if run_id is None and model_id is None:
        return filter_string  # checked (type, syntax) by parse_filter
    if not isinstance(cast(object, filter_string), str | None):
        return filter_string  # parse_filter names the wrong type
    parts = [filter_string] if filter_string and filter_string.strip() else []
    for name, key, value in (("run_id", _RUN_KEY, run_id), ("model_id", _MODEL_KEY, model_id)):
        if value is None:
            continue
        if not isinstance(cast(object, value), str) or not value:
            raise TypeError(f"{name} must be a non-empty string or None, got {value!r}")
        quoted = value.replace("\\", "\\\\").replace("'", "\\'")
        parts.append(f"metadata.`{key}` = '{quoted}'")
    return " AND ".join(parts)


def _fields(trace: Trace) -> TraceFields:
    from spanwise.store._match import TraceFields, otel_fields

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
        **otel_fields(trace),
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


# -- trace tags ------------------------------------------------------------------------


class _TagEdits:
    """Tag changes to ended traces, applied to the copies held in memory (their spans
    are immutable); the store holds the same changes itself. Bounded like the
    assembler's memory: the oldest edits go first."""

    def __init__(self, size: int = 1000) -> None:
        self._size = size
        self._edits: dict[str, dict[str, str | None]] = {}
        self._lock = fork_safe_lock()

    def record(self, trace_id: str, key: str, value: str | None) -> None:
        with self._lock:
            edits = self._edits.pop(trace_id, {})
            edits[key] = value
            self._edits[trace_id] = edits  # most recent last
            while len(self._edits) > self._size:
                del self._edits[next(iter(self._edits))]

    def apply(self, trace: Trace) -> Trace:
        edits = self._edits.get(trace.info.trace_id)
        if not edits:
            return trace
        tags = dict(trace.info.tags)
        for key, value in edits.items():
            if value is None:
                tags.pop(key, None)
            else:
                tags[key] = value
        return Trace(replace(trace.info, tags=tags), trace.data)

    def clear(self) -> None:
        with self._lock:
            self._edits.clear()


tag_edits = _TagEdits()


def set_trace_tag(trace_id: str, key: str, value: Any) -> None:
    """Set a tag on a trace: one still running, or one that ended (in memory and in the
    store). A value that is not a string is stored as JSON. An unknown trace id raises
    ``LookupError``."""
    _amend_tag(trace_id, _tag_key(key), _tag_value(value))


def delete_trace_tag(trace_id: str, key: str) -> None:
    """Remove a tag from a trace, running or ended; a tag it does not have is no error.
    An unknown trace id raises ``LookupError``."""
    _amend_tag(trace_id, _tag_key(key), None)


def _tag_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise TypeError(f"a tag key must be a non-empty string, got {key!r}")
    return key


def _tag_value(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _amend_tag(trace_id: str, key: str, value: str | None) -> None:
    if not isinstance(cast(object, trace_id), str):
        raise TypeError(f"trace_id must be a string, got {type(trace_id).__name__}")
    numeric = parse_trace_id(trace_id)
    attribute = SpanwiseAttributes.TRACE_TAG_PREFIX + key
    root = assembler.local_root(numeric)
    if root is not None and root.is_recording():
        if value is not None:
            root.set_attribute(attribute, value)
        else:
            _remove_attribute(root, attribute)
        return
    canonical = format_trace_id(numeric)
    in_memory = assembler.get_trace(numeric) is not None
    _flush()
    with suppress_instrumentation():
        store = get_store(for_read=True)
        stored = None if store is None else _amend_stored(store, canonical, key, value)
    if in_memory:
        tag_edits.record(canonical, key, value)
    if in_memory or stored:
        return
    if store is None:
        raise LookupError(
            f"Trace {trace_id!r} not found: not running, nor among the last traces of this "
            "process (no store: memory only)"
        )
    raise LookupError(
        f"Trace {trace_id!r} not found: not running, not among the last traces of this "
        f"process, nor in the store at {store.uri}"
    )


def _remove_attribute(span: OTelSpan, key: str) -> None:
    # The OTel API cannot remove an attribute; an SDK span's attribute mapping can while
    # the span is open (nothing has been exported yet).
    attributes = getattr(span, "_attributes", None)
    if isinstance(attributes, MutableMapping):
        cast("MutableMapping[str, Any]", attributes).pop(key, None)
    else:
        warn_once(
            "delete_trace_tag:span",
            "spanwise: cannot remove a tag from a running trace whose root is not an "
            "OpenTelemetry SDK span",
        )


def _amend_stored(store: SqlTraceStore, trace_id: str, key: str, value: str | None) -> bool:
    """Whether the store had the trace (and so changed the tag there)."""
    return store.update_trace_tags(trace_id, {key: value})
