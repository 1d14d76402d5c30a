"""The trace data model: ``Trace(info, data)``, ``TraceInfo``, ``TraceData``, ``Span``.

Both directions of the translation layer go through it. Its JSON (``Trace.to_json``)
has MLflow's shape (see ``_mlflow_json``), so tools written for MLflow traces read
spanwise traces, and ``Trace.from_json`` reads MLflow's. ``Trace.to_tree`` renders it as
text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spanwise.semconv import GenAIAttributes, SpanType

from ._basics import (
    SpanEvent,
    SpanLink,
    SpanResource,
    SpanScope,
    SpanStatus,
    SpanStatusCode,
    TraceState,
)
from ._mlflow_json import info_fields, info_to_dict, span_fields, span_to_dict

__all__ = [
    "PREVIEW_CHARS",
    "Span",
    "SpanEvent",
    "SpanLink",
    "SpanResource",
    "SpanScope",
    "SpanStatus",
    "SpanStatusCode",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
    "render_tree",
    "set_html_renderer",
]


# MLflow keeps request/response previews this short; full values stay on the root span.
PREVIEW_CHARS = 1000


@dataclass(slots=True, eq=False)
class Span:
    """One finished (or, in an in-progress trace, recorded) span. A span read from the
    store or the receiver is a ``StoredSpan`` (``_stored``): the same fields, its JSON
    attributes decoded on first read."""

    trace_id: str  # tr-<32 hex>
    span_id: str  # 16 hex
    parent_id: str | None
    name: str
    start_time_ns: int
    end_time_ns: int | None
    status: SpanStatus
    span_type: str = SpanType.UNKNOWN.value
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    events: list[SpanEvent] = field(default_factory=list[SpanEvent])
    # True when the parent lives in another process (distributed tracing): this span is
    # then the local root of its trace although parent_id is set.
    remote_parent: bool = False
    # The rest of OTLP, kept whole: kind (INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER;
    # UNSPECIFIED when the sender gave none), the W3C trace state, the OTLP span flags,
    # links, what the SDK dropped, and the resource and scope the span came from.
    kind: str = "INTERNAL"
    trace_state: str = ""
    flags: int = 0
    links: list[SpanLink] = field(default_factory=list[SpanLink])
    dropped_attributes_count: int = 0
    dropped_events_count: int = 0
    dropped_links_count: int = 0
    resource: SpanResource | None = None
    scope: SpanScope | None = None

    @property
    def request_id(self) -> str:
        """Alias of :attr:`trace_id` (MLflow 2 name)."""
        return self.trace_id

    @property
    def start_time_ms(self) -> int:
        return self.start_time_ns // 1_000_000

    @property
    def duration_ms(self) -> float | None:
        if self.end_time_ns is None:
            return None
        return (self.end_time_ns - self.start_time_ns) / 1e6

    def get_attribute(self, key: str) -> Any:
        return self.attributes.get(key)

    def __eq__(self, other: object) -> bool:
        # Field by field, as the dataclass would, but a StoredSpan equals a plain Span.
        if not isinstance(other, Span):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _SPAN_FIELDS)

    __hash__ = None  # pyright: ignore[reportAssignmentType]  # mutable, as the dataclass's

    def to_dict(self) -> dict[str, Any]:
        return span_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        return cls(**span_fields(data))


_SPAN_FIELDS: tuple[str, ...] = tuple(Span.__dataclass_fields__)


def plain_attributes(span: Span) -> Mapping[str, Any]:
    """The span's attributes for reading plain (non-JSON) keys: a ``StoredSpan``'s
    undecoded record attributes, so that nothing is decoded to read a token count."""
    raw: Mapping[str, Any] | None = getattr(span, "raw_attributes", None)
    return span.attributes if raw is None else raw


@dataclass(slots=True)
class TraceInfo:
    trace_id: str
    request_time: int  # ms since the epoch
    state: TraceState
    execution_duration: int | None = None  # ms; None while in progress
    request_preview: str | None = None
    response_preview: str | None = None
    client_request_id: str | None = None
    trace_metadata: dict[str, str] = field(default_factory=dict[str, str])
    tags: dict[str, str] = field(default_factory=dict[str, str])
    assessments: list[Any] = field(default_factory=list[Any])
    # MLflow's TraceInfo.token_usage: summed over the trace's model spans (see Trace).
    token_usage: dict[str, int] | None = None

    @property
    def request_id(self) -> str:
        return self.trace_id

    @property
    def status(self) -> TraceState:
        """Alias of :attr:`state` (MLflow 2 name)."""
        return self.state

    @property
    def metadata(self) -> dict[str, str]:
        return self.trace_metadata

    @property
    def timestamp_ms(self) -> int:
        return self.request_time

    @property
    def execution_time_ms(self) -> int | None:
        return self.execution_duration

    def to_dict(self) -> dict[str, Any]:
        return info_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TraceInfo:
        return cls(**info_fields(data))


@dataclass(slots=True)
class TraceData:
    spans: list[Span] = field(default_factory=list[Span])

    @property
    def root_span(self) -> Span | None:
        return find_root(self.spans)

    @property
    def request(self) -> str | None:
        """The root span's inputs as a JSON string (None when it has none)."""
        root = self.root_span
        return None if root is None or root.inputs is None else _json(root.inputs)

    @property
    def response(self) -> str | None:
        """The root span's outputs as a JSON string (None when it has none)."""
        root = self.root_span
        return None if root is None or root.outputs is None else _json(root.outputs)


@dataclass(slots=True)
class Trace:
    info: TraceInfo
    data: TraceData

    def __post_init__(self) -> None:
        if self.info.token_usage is None and self.data.spans:
            self.info.token_usage = token_usage(self.data.spans)

    def search_spans(
        self, span_type: SpanType | str | None = None, name: str | None = None
    ) -> list[Span]:
        """Spans of this trace with the given type and/or name."""
        kind = span_type.value if isinstance(span_type, SpanType) else span_type
        return [
            s
            for s in self.data.spans
            if (kind is None or s.span_type == kind) and (name is None or s.name == name)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": self.info.to_dict(),
            "data": {"spans": [s.to_dict() for s in self.data.spans]},
        }

    def to_json(self, pretty: bool = False) -> str:
        """MLflow's trace JSON (``mlflow.entities.Trace.from_json`` reads it)."""
        return json.dumps(self.to_dict(), indent=2 if pretty else None, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        try:
            info, spans = data["info"], data["data"]["spans"]
        except (KeyError, TypeError):
            raise ValueError(
                "Not a trace: expected {'info': {...}, 'data': {'spans': [...]}}"
            ) from None
        return cls(TraceInfo.from_dict(info), TraceData([Span.from_dict(s) for s in spans]))

    @classmethod
    def from_json(cls, text: str | bytes) -> Trace:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Not a trace: invalid JSON ({exc})") from None
        return cls.from_dict(data)

    def to_tree(self) -> str:
        """The trace as a text tree: span names, types, durations, tokens, errors."""
        return render_tree(self)

    def _repr_html_(self) -> str:
        """A notebook shows the span tree and timeline: ``spanwise.viewer`` (a layer
        above) registers the renderer with ``set_html_renderer``; else the text tree."""
        if _html_renderer:
            return _html_renderer[0](self)
        return "<pre>" + self.to_tree().replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


_html_renderer: list[Callable[[Trace], str]] = []


def set_html_renderer(renderer: Callable[[Trace], str]) -> None:
    """Make ``renderer`` the notebook view of every ``Trace`` (``Trace._repr_html_``)."""
    _html_renderer[:] = [renderer]


# (span_id, parent_id, remote_parent, start_time_ns): what root detection looks at, for
# model spans and for stored records alike.
RootKey = tuple[str, "str | None", bool, int]


def root_index(nodes: Sequence[RootKey]) -> int | None:
    """Index of the local root: no parent, a remote parent, or (partial traces) a parent
    that has not arrived. A span without a parent beats one whose parent is missing."""
    ids = {node[0] for node in nodes}
    best: tuple[bool, int] | None = None
    found: int | None = None
    for index, (_, parent_id, remote_parent, start) in enumerate(nodes):
        if parent_id is None or remote_parent or parent_id not in ids:
            rank = (parent_id is not None and not remote_parent, start)
            if best is None or rank < best:
                best, found = rank, index
    return found


def find_root(spans: Sequence[Span]) -> Span | None:
    index = root_index([(s.span_id, s.parent_id, s.remote_parent, s.start_time_ns) for s in spans])
    return None if index is None else spans[index]


_USAGE_KEYS = (
    ("input_tokens", GenAIAttributes.USAGE_INPUT_TOKENS),
    ("output_tokens", GenAIAttributes.USAGE_OUTPUT_TOKENS),
)
_CACHE_KEYS = (
    ("cache_read_input_tokens", GenAIAttributes.USAGE_CACHE_READ_INPUT_TOKENS),
    ("cache_creation_input_tokens", GenAIAttributes.USAGE_CACHE_CREATION_INPUT_TOKENS),
)


def span_token_usage(attributes: Mapping[str, Any]) -> dict[str, int] | None:
    """A span's ``gen_ai.usage.*`` as MLflow's usage dict (``mlflow.chat.tokenUsage``:
    input, output and total tokens, and the cache counts the span has), or None."""
    if (
        GenAIAttributes.USAGE_INPUT_TOKENS not in attributes
        and GenAIAttributes.USAGE_OUTPUT_TOKENS not in attributes
    ):
        return None  # most spans: two lookups instead of four
    usage = {
        name: value
        for name, key in (*_USAGE_KEYS, *_CACHE_KEYS)
        if isinstance(value := attributes.get(key), int) and not isinstance(value, bool)
    }
    if not any(name in usage for name, _ in _USAGE_KEYS):
        return None
    counts = {name: usage.get(name, 0) for name, _ in _USAGE_KEYS}
    counts["total_tokens"] = counts["input_tokens"] + counts["output_tokens"]
    counts.update({name: usage[name] for name, _ in _CACHE_KEYS if name in usage})
    return counts


def token_usage(spans: Sequence[Span]) -> dict[str, int] | None:
    """The trace's usage as MLflow aggregates it: the sum over spans with usage, skipping
    a span whose ancestor has usage too (a framework span around the provider's call
    counts once)."""
    by_id = {s.span_id: s for s in spans}
    usages = {s.span_id: span_token_usage(plain_attributes(s)) for s in spans}
    total: dict[str, int] = {}
    for span in spans:
        usage = usages[span.span_id]
        if usage is None:
            continue
        parent, seen = span.parent_id, {span.span_id}
        while parent is not None and parent in by_id and parent not in seen:
            if usages[parent] is not None:
                break
            seen.add(parent)
            parent = by_id[parent].parent_id
        else:
            for name, value in usage.items():
                total[name] = total.get(name, 0) + value
    return total or None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# -- the text tree -----------------------------------------------------------------------


def _label(span: Span) -> str:
    parts = [f"{span.name} [{span.span_type}]"]
    duration = span.duration_ms
    parts.append("(open)" if duration is None else f"{duration:.1f} ms")
    tokens_in = span.get_attribute(GenAIAttributes.USAGE_INPUT_TOKENS)
    tokens_out = span.get_attribute(GenAIAttributes.USAGE_OUTPUT_TOKENS)
    if tokens_in is not None or tokens_out is not None:
        parts.append(f"tokens {tokens_in or 0} in / {tokens_out or 0} out")
    tool = span.get_attribute(GenAIAttributes.TOOL_NAME)
    if tool is not None and tool != span.name:
        parts.append(f"tool={tool}")
    if span.status.status_code is SpanStatusCode.ERROR:
        parts.append(f"ERROR {span.status.description}".rstrip())
    if span.kind not in ("INTERNAL", "UNSPECIFIED"):
        parts.append(span.kind)
    if span.links:
        parts.append(f"links {len(span.links)}")
    return "  ".join(parts)


_SHOWN_RESOURCE_KEYS = 6


def _sources(spans: Sequence[Span]) -> list[str]:
    """One line per resource the spans came from (service.name first), and the scopes."""
    lines: list[str] = []
    seen: set[int] = set()
    for span in spans:
        resource = span.resource
        if resource is None or id(resource) in seen or not resource.attributes:
            continue
        seen.add(id(resource))
        attrs = sorted(resource.attributes.items(), key=lambda kv: kv[0] != "service.name")
        shown = ", ".join(f"{k}={v}" for k, v in attrs[:_SHOWN_RESOURCE_KEYS])
        more = len(attrs) - _SHOWN_RESOURCE_KEYS
        line = f"resource: {shown}" + (f", +{more} more" if more > 0 else "")
        if line not in lines:
            lines.append(line)
    scopes = sorted(
        {f"{s.scope.name} {s.scope.version}".strip() for s in spans if s.scope and s.scope.name}
    )
    if scopes:
        lines.append("scopes: " + ", ".join(scopes))
    return lines


def render_tree(trace: Trace) -> str:
    """``trace`` as an indented tree, one span a line, children in start order."""
    info = trace.info
    root = trace.data.root_span
    exact = None if root is None else root.duration_ms
    duration = "in progress" if exact is None else f"{exact:.1f} ms"
    lines = [f"{info.trace_id}  {info.state.value}  {duration}"]
    if info.tags:
        lines.append("tags: " + ", ".join(f"{k}={v}" for k, v in sorted(info.tags.items())))
    lines += _sources(trace.data.spans)
    ids = {s.span_id for s in trace.data.spans}
    children: dict[str | None, list[Span]] = {}
    for span in trace.data.spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)

    def walk(parent: str | None, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda s: s.start_time_ns)
        for index, span in enumerate(kids):
            last = index == len(kids) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(span)}")
            walk(span.span_id, prefix + ("    " if last else "│   "))

    walk(None, "")
    return "\n".join(lines)
