"""``LiveSpan``: the handle user code gets for a span that is still open."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from opentelemetry.trace import Span as OTelSpan
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from spanwise.common._content import content_settings
from spanwise.common._ids import format_span_id, format_trace_id
from spanwise.common._serialize import dumps_bounded
from spanwise.semconv import ExceptionAttributes, GenAIAttributes, SpanType, SpanwiseAttributes

from .._lifecycle import error_record

__all__ = [
    "LiveSpan",
    "content_key",
    "set_content",
    "to_attribute_value",
    "to_status",
]

_PRIMITIVES = (str, bool, int, float)

# How a span's owner ends it: (outputs, has_outputs, end_time_ns).
Finish = Callable[[Any, bool, "int | None"], None]


def to_attribute_value(value: object, max_bytes: int) -> AttributeValue:
    """``value`` as an OTel attribute: primitives and homogeneous primitive lists as they
    are, anything else as bounded JSON."""
    if isinstance(value, _PRIMITIVES):
        return value
    kind = type(value)
    if (kind is list or kind is tuple) and value:
        items = cast("Sequence[Any]", value)
        first = cast("type[Any]", type(items[0]))
        if first in _PRIMITIVES and all(type(v) is first for v in items):
            return list(items)
    return dumps_bounded(value, max_bytes)


def to_status(status: object, description: str | None = None) -> Status:
    """Accept ``"OK"``/``"ERROR"``/``"UNSET"``, a ``StatusCode`` or a ``Status``."""
    if isinstance(status, Status):
        return status
    if isinstance(status, StatusCode):
        code = status
    else:
        name = str(getattr(status, "value", status)).upper().removeprefix("STATUS_CODE_")
        try:
            code = StatusCode[name]
        except KeyError:
            raise ValueError(
                f"Invalid span status {status!r}: use 'OK', 'ERROR' or 'UNSET'"
            ) from None
    return Status(code, description if code is StatusCode.ERROR else None)


def content_key(span_type: str, key: str, tool_key: str) -> str:
    # A tool span carries its arguments/result once, under the GenAI names.
    return tool_key if span_type == SpanType.TOOL.value else key


def set_content(span: OTelSpan, span_type: str, value: Any, key: str, tool_key: str) -> None:
    """Record inputs or outputs as bounded JSON, if content capture is on."""
    settings = content_settings()
    if settings.capture(explicit=True) and span.is_recording():
        span.set_attribute(
            content_key(span_type, key, tool_key), dumps_bounded(value, settings.max_bytes)
        )


class LiveSpan:
    """An open span. Wraps the OpenTelemetry span, which :attr:`otel_span` returns."""

    __slots__ = ("_finish", "_span", "_span_type", "status_set")

    def __init__(
        self,
        span: OTelSpan,
        span_type: str = SpanType.UNKNOWN.value,
        finish: Finish | None = None,
    ) -> None:
        self._span = span
        self._span_type = span_type
        self._finish = finish
        self.status_set = False

    @property
    def otel_span(self) -> OTelSpan:
        return self._span

    @property
    def trace_id(self) -> str:
        return format_trace_id(self._span.get_span_context().trace_id)

    @property
    def request_id(self) -> str:
        """Alias of :attr:`trace_id` (MLflow 2 name)."""
        return self.trace_id

    @property
    def span_id(self) -> str:
        return format_span_id(self._span.get_span_context().span_id)

    @property
    def name(self) -> str:
        return str(getattr(self._span, "name", ""))

    @property
    def span_type(self) -> str:
        return self._span_type

    def is_recording(self) -> bool:
        return self._span.is_recording()

    def set_inputs(self, inputs: Any) -> None:
        """Record the inputs (any value; stored as bounded JSON when content capture is on)."""
        self._set_content(
            inputs, SpanwiseAttributes.SPAN_INPUTS, GenAIAttributes.TOOL_CALL_ARGUMENTS
        )

    def set_outputs(self, outputs: Any) -> None:
        """Record the outputs (any value; stored as bounded JSON when content capture is on)."""
        self._set_content(
            outputs, SpanwiseAttributes.SPAN_OUTPUTS, GenAIAttributes.TOOL_CALL_RESULT
        )

    def _set_content(self, value: Any, key: str, tool_key: str) -> None:
        set_content(self._span, self._span_type, value, key, tool_key)

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute; values that are not OTel primitives are stored as JSON."""
        if self._span.is_recording():
            self._span.set_attribute(key, to_attribute_value(value, content_settings().max_bytes))

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_status(self, status: object, description: str | None = None) -> None:
        """``"OK"``, ``"ERROR"`` (with an optional description), or an OTel ``Status``."""
        self._span.set_status(to_status(status, description))
        self.status_set = True

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        """Add a span event; ``timestamp`` is in nanoseconds since the epoch."""
        max_bytes = content_settings().max_bytes
        attrs = {k: to_attribute_value(v, max_bytes) for k, v in (attributes or {}).items()}
        self._span.add_event(name, attrs, timestamp)

    def record_exception(self, exception: BaseException) -> None:
        """Add an ``exception`` event (secrets redacted; the type only when content
        capture is off, as for the exceptions spanwise records itself)."""
        event, _ = error_record(exception, with_message=content_settings().capture(explicit=True))
        self._span.add_event(ExceptionAttributes.EVENT_NAME, event)

    def end(
        self,
        outputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        status: object = None,
        end_time_ns: int | None = None,
    ) -> None:
        """End the span (MLflow's ``LiveSpan.end``): for spans that no ``with`` block or
        decorator ends, such as ``start_span_no_context``'s. Status OK unless set; a
        second ``end`` does nothing."""
        if attributes:
            self.set_attributes(attributes)
        if status is not None:
            self.set_status(status)
        if self._finish is not None:
            self._finish(outputs, outputs is not None, end_time_ns)
            return
        if not self._span.is_recording():
            return
        if outputs is not None:
            self.set_outputs(outputs)
        if not self.status_set:
            self._span.set_status(Status(StatusCode.OK))
        self._span.end(end_time_ns)

    def __repr__(self) -> str:
        return f"LiveSpan(name={self.name!r}, trace_id={self.trace_id!r}, span_id={self.span_id!r})"
