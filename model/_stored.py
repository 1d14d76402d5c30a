"""Spans read from records, decoded only when read: ``StoredSpan``.

A stored or received span's JSON attributes (inputs, outputs, messages, tool calls) are
text in its record. Most readers never look at them (a search lists names, times,
tags; ``token_usage`` reads integers), so a ``StoredSpan`` keeps the record's attributes
as they came and decodes them, once, the first time ``inputs``, ``outputs`` or
``attributes`` is read or set. Until then ``get_attribute`` answers plain keys straight
from the record, and ``Trace.to_json`` embeds the stored JSON text instead of decoding
and re-encoding it (see ``_mlflow_json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.common import _json
from spanwise.semconv import GenAIAttributes, SpanwiseAttributes

from ._basics import SpanEvent, SpanLink, SpanResource, SpanScope, SpanStatus
from ._chat_out import chat_request, chat_response
from ._model import Span

__all__ = ["JSON_ATTRIBUTES", "StoredSpan", "decode_attributes", "inputs_outputs"]

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
_LIFTED = (SpanwiseAttributes.SPAN_INPUTS, SpanwiseAttributes.SPAN_OUTPUTS)


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


def inputs_outputs(attributes: dict[str, Any]) -> tuple[Any, Any]:
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


# The dataclass's own slots, written past the properties below.
_INPUTS: Any = Span.__dict__["inputs"]
_OUTPUTS: Any = Span.__dict__["outputs"]
_ATTRIBUTES: Any = Span.__dict__["attributes"]


class StoredSpan(Span):
    """A ``Span`` whose inputs, outputs and attributes are decoded from the record's
    attributes on first use. Equal to the plain ``Span`` with the same fields."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        self._raw = None
        Span.__init__(self, **fields)
        self._raw = raw  # pyright: ignore[reportAttributeAccessIssue]

    @property
    def raw_attributes(self) -> Mapping[str, Any] | None:
        """The record's attributes as stored (JSON values undecoded) until they are
        decoded; None after."""
        return self._raw

    def _resolve(self) -> None:
        raw = self._raw
        if raw is None:
            return
        self._raw = None
        attributes = decode_attributes(raw)
        inputs, outputs = inputs_outputs(attributes)
        _INPUTS.__set__(self, inputs)
        _OUTPUTS.__set__(self, outputs)
        _ATTRIBUTES.__set__(self, attributes)

    @property
    def inputs(self) -> Any:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._resolve()
        return _INPUTS.__get__(self)

    @inputs.setter
    def inputs(self, value: Any) -> None:
        self._resolve()
        _INPUTS.__set__(self, value)

    @property
    def outputs(self) -> Any:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._resolve()
        return _OUTPUTS.__get__(self)

    @outputs.setter
    def outputs(self, value: Any) -> None:
        self._resolve()
        _OUTPUTS.__set__(self, value)

    @property
    def attributes(self) -> dict[str, Any]:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._resolve()
        return _ATTRIBUTES.__get__(self)

    @attributes.setter
    def attributes(self, value: dict[str, Any]) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._resolve()
        _ATTRIBUTES.__set__(self, value)

    def get_attribute(self, key: str) -> Any:
        raw = self._raw
        if raw is None or key in JSON_ATTRIBUTES:
            return self.attributes.get(key)
        value: Any = raw.get(key)  # a plain value reads the same decoded or not
        return list(cast("tuple[Any, ...]", value)) if isinstance(value, tuple) else value

    @classmethod
    def make(
        cls,
        raw: Mapping[str, Any],
        trace_id: str,
        span_id: str,
        parent_id: str | None,
        name: str,
        start_time_ns: int,
        end_time_ns: int | None,
        status: SpanStatus,
        span_type: str,
        events: list[SpanEvent],
        remote_parent: bool,
        kind: str,
        trace_state: str,
        flags: int,
        links: list[SpanLink],
        dropped_counts: tuple[int, int, int],
        resource: SpanResource | None,
        scope: SpanScope | None,
    ) -> StoredSpan:
        """The fast constructor (the receiver's and the readers' path): slots set one by
        one, the three lazy ones left for ``_resolve``; a fifth of ``__init__``'s cost."""
        self = cls.__new__(cls)
        self._raw = raw
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.name = name
        self.start_time_ns = start_time_ns
        self.end_time_ns = end_time_ns
        self.status = status
        self.span_type = span_type
        self.events = events
        self.remote_parent = remote_parent
        self.kind = kind
        self.trace_state = trace_state
        self.flags = flags
        self.links = links
        (
            self.dropped_attributes_count,
            self.dropped_events_count,
            self.dropped_links_count,
        ) = dropped_counts
        self.resource = resource
        self.scope = scope
        return self

    def renamed(self, name: str) -> Span:
        """A copy under another name (still undecoded)."""
        copy = StoredSpan.__new__(StoredSpan)
        for slot in _FIELDS:
            object.__setattr__(copy, slot, object.__getattribute__(self, slot))
        copy._raw = None
        if self._raw is None:
            _INPUTS.__set__(copy, _INPUTS.__get__(self))
            _OUTPUTS.__set__(copy, _OUTPUTS.__get__(self))
            _ATTRIBUTES.__set__(copy, _ATTRIBUTES.__get__(self))
        else:
            copy._raw = self._raw
        copy.name = name
        return copy


_LAZY = frozenset({"inputs", "outputs", "attributes"})
_FIELDS = tuple(f for f in Span.__slots__ if f not in _LAZY)  # pyright: ignore[reportGeneralTypeIssues]
