"""``search_traces``' MLflow parts: the DataFrame, ``extract_fields``, experiment scope.

The DataFrame has MLflow 3's columns and values: ``trace`` is the trace's JSON
(``Trace.from_json`` reads it back), ``request``/``response`` the root span's inputs and
outputs as Python values (not JSON text), ``assessments`` plain dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from spanwise.model._model import Span, Trace

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "SEARCH_COLUMNS",
    "Field",
    "check_scope",
    "parse_fields",
    "to_dataframe",
]

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

# MLflow's "Default" experiment: the one spanwise store plays it.
DEFAULT_EXPERIMENT_ID = "0"


def check_scope(name: str, value: object) -> None:
    """``experiment_ids``/``locations``: None, empty, or MLflow's default experiment only."""
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of strings, got {type(value).__name__}")
    others = [v for v in cast("Sequence[object]", value) if str(v) != DEFAULT_EXPERIMENT_ID]
    if others:
        raise ValueError(
            f"{name}={others!r} cannot apply: spanwise has no experiments or trace "
            f"locations; every trace is in the one store (MLflow's default experiment "
            f"{DEFAULT_EXPERIMENT_ID!r}). Use a tag or metadata filter to select traces"
        )


@dataclass(frozen=True, slots=True)
class Field:
    """One ``extract_fields`` item: ``<span>.inputs|outputs[.<key>]``."""

    span_name: str
    kind: Literal["inputs", "outputs"]
    key: str | None

    @property
    def column(self) -> str:
        # MLflow names the column after the parsed field (backticks dropped).
        base = f"{self.span_name}.{self.kind}"
        return base if self.key is None else f"{base}.{self.key}"

    def value(self, span: Span) -> Any:
        data = span.inputs if self.kind == "inputs" else span.outputs
        if self.key is None:
            return data
        return cast("dict[str, Any]", data).get(self.key) if isinstance(data, dict) else None


def _segment(text: str, pos: int, item: str, *, last: bool) -> tuple[str, int]:
    """A name at ``pos`` (back-quoted, or up to the next dot) and where the rest starts."""
    if text.startswith("`", pos):
        end = text.find("`", pos + 1)
        if end < 0:
            raise ValueError(f"Invalid extract_fields item {item!r}: a backtick is not closed")
        name, after = text[pos + 1 : end], end + 1
        if last and after != len(text):
            raise ValueError(
                f"Invalid extract_fields item {item!r}: text after the closing backtick"
            )
        return name, after
    end = len(text) if last else text.find(".", pos)
    if end < 0:
        end = len(text)
    return text[pos:end], end


def _parse_field(item: object) -> Field:
    if not isinstance(item, str):
        raise TypeError(f"extract_fields items must be strings, got {type(item).__name__}")
    span_name, pos = _segment(item, 0, item, last=False)
    if not item.startswith(".", pos):
        raise ValueError(f"Invalid extract_fields item {item!r}: expected '.' after the span name")
    kind_end = item.find(".", pos + 1)
    kind = item[pos + 1 : len(item) if kind_end < 0 else kind_end]
    if kind not in ("inputs", "outputs"):
        raise ValueError(
            f"Invalid extract_fields item {item!r}: expected 'inputs' or 'outputs', got {kind!r}"
        )
    if kind_end < 0 or kind_end == len(item) - 1:
        return Field(span_name, kind, None)
    key, _ = _segment(item, kind_end + 1, item, last=True)
    return Field(span_name, kind, key)


def parse_fields(fields: Sequence[str] | None) -> list[Field]:
    """``extract_fields`` as MLflow parses them (``"`a.b`.inputs.`x.y`"`` for dotted names)."""
    if fields is None:
        return []
    if isinstance(fields, str) or not isinstance(cast(object, fields), (list, tuple)):
        raise TypeError(f"extract_fields must be a list of strings, got {type(fields).__name__}")
    return [_parse_field(item) for item in fields]


def _row(trace: Trace, fields: Sequence[Field]) -> dict[str, Any]:
    root = trace.data.root_span
    info = trace.info
    row: dict[str, Any] = {
        "trace_id": info.trace_id,
        "trace": trace.to_json(),
        "client_request_id": info.client_request_id,
        "state": info.state.value,
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "request": None if root is None else root.inputs,
        "response": None if root is None else root.outputs,
        "trace_metadata": dict(info.trace_metadata),
        "tags": dict(info.tags),
        "spans": [s.to_dict() for s in trace.data.spans],
        "assessments": list(info.assessments),
    }
    for field in fields:
        value = None
        for span in trace.data.spans:  # the last span of that name wins, as in MLflow
            if span.name == field.span_name:
                value = field.value(span)
        row[field.column] = value
    return row


def to_dataframe(pandas: Any, traces: Sequence[Trace], fields: Sequence[Field]) -> pd.DataFrame:
    columns = [*SEARCH_COLUMNS, *(f.column for f in fields)]
    return pandas.DataFrame([_row(t, fields) for t in traces], columns=columns)
