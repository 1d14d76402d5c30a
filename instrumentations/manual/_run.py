"""A manual span's run: the shared lifecycle (``_lifecycle.SpanRun``) plus what the
manual API records: bound inputs, outputs, an OK status, a generator's items.

Shared by ``@trace`` (functions, coroutines, generators), ``start_span`` and
``Client``. Every method guards spanwise's own errors (see ``_safety``): a failure in
here never changes what the traced code returns or raises.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode

from spanwise.common._content import content_settings
from spanwise.common._safety import report_internal_error, warn_once
from spanwise.common._serialize import dumps_bounded
from spanwise.semconv import (
    ExceptionAttributes,
    GenAIAttributes,
    SpanType,
    SpanwiseAttributes,
    SpanwiseEvents,
)

from .._invocation import kind_for_span_type
from .._lifecycle import SpanRun, error_record
from .._tracer import get_tracer
from ._span import LiveSpan, content_key, set_content, to_attribute_value

__all__ = ["Binder", "Run", "SpanSpec", "span_name", "span_type_name", "static_attributes"]


def span_name(name: object, default: str = "span") -> str:
    """The name a span gets. A string is kept; ``None`` becomes ``default`` and any other
    value its ``str()``, and text that is not valid Unicode (a lone surrogate) has those
    characters replaced by U+FFFD, with a warning once: the OTel API takes any name, but
    the store and OTLP cannot, and the span would be lost downstream."""
    if isinstance(name, str) and (name.isascii() or _valid_unicode(name)):
        return name
    if name is None:
        warn_once("span-name:none", "spanwise: a span name was None; using %r", default)
        return default
    if not isinstance(name, str):
        warn_once(
            "span-name:type",
            "spanwise: a span name must be a string, got a %s; using its str()",
            type(name).__name__,
        )
        try:
            name = str(name)
        except Exception:
            return type(name).__name__
        if name.isascii() or _valid_unicode(name):
            return name
    warn_once(
        "span-name:unicode",
        "spanwise: a span name is not valid Unicode text; its lone surrogates were replaced",
    )
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in str(name))


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def span_type_name(span_type: object) -> str:
    """A SpanType member or any string, as the stored string."""
    if isinstance(span_type, SpanType):
        return span_type.value
    if span_type is None:
        return SpanType.UNKNOWN.value
    return str(span_type)


def static_attributes(
    name: str, span_type: str, attributes: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The attributes a span gets at start: its type, the matching GenAI operation, and
    the tool, agent or workflow name (the span's)."""
    kind = kind_for_span_type(span_type)
    attrs = kind.attributes(name if kind.subject_from_name else None)
    if attributes:
        max_bytes = content_settings().max_bytes
        for key, value in attributes.items():
            attrs[key] = to_attribute_value(value, max_bytes)
    return attrs


class Binder:
    """Maps a call's arguments to parameter names, defaults applied, without self/cls.

    ``inspect.Signature.bind`` costs microseconds per call; the common shapes (no
    ``*args``) are bound here with a zip and a dict update.
    """

    __slots__ = ("_defaults", "_fallback", "_names", "_signature", "_skip_first")

    def __init__(self, func: Callable[..., Any]) -> None:
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins have none
            signature = None
        self._signature = signature
        self._names: tuple[str, ...] = ()
        self._defaults: tuple[tuple[str, Any], ...] = ()
        self._fallback = True
        self._skip_first = False
        if signature is None:
            return
        params = list(signature.parameters.values())
        self._skip_first = bool(params) and params[0].name in ("self", "cls")
        kinds = {p.kind for p in params}
        self._fallback = inspect.Parameter.VAR_POSITIONAL in kinds
        self._names = tuple(
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        self._defaults = tuple(
            (p.name, p.default) for p in params if p.default is not inspect.Parameter.empty
        )

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self._signature is None:
            return {"args": list(args), "kwargs": kwargs} if kwargs else {"args": list(args)}
        if self._fallback or len(args) > len(self._names):
            try:
                bound = self._signature.bind_partial(*args, **kwargs)
            except TypeError:
                return {"args": list(args), "kwargs": kwargs}
            bound.apply_defaults()
            inputs = dict(bound.arguments)
        else:
            inputs = dict(zip(self._names, args, strict=False))  # fewer args than names
            if kwargs:
                inputs.update(kwargs)
            for name, default in self._defaults:
                if name not in inputs:
                    inputs[name] = default
        if self._skip_first and self._names:
            inputs.pop(self._names[0], None)
        return inputs


@dataclass(frozen=True, slots=True)
class SpanSpec:
    """What is fixed for every span a decorated function makes."""

    name: str
    span_type: str
    attributes: Mapping[str, Any]


_OK = Status(StatusCode.OK)


def _may_record(parent: Context | None) -> bool:
    """False when the span will surely be sampled out (its parent was): skip serializing."""
    context = trace.get_current_span(parent).get_span_context()
    return not context.is_valid or context.trace_flags.sampled


class Run(SpanRun):
    """One manual span from start to end (the shared lifecycle, plus the user's handle,
    outputs, an OK status on success, and a generator's items)."""

    __slots__ = ("_live", "span_type")

    def __init__(self, span: trace.Span, span_type: str) -> None:
        super().__init__(span)
        self.span_type = span_type
        self._live: LiveSpan | None = None

    @property
    def live(self) -> LiveSpan:
        """The user-facing handle (made on first use: the decorator never needs one)."""
        if self._live is None:
            self._live = LiveSpan(self.span, self.span_type, self._finish)
        return self._live

    @classmethod
    def start(
        cls,
        spec: SpanSpec,
        inputs: Callable[[], Any] | None = None,
        *,
        parent: Context | None = None,
        start_time: int | None = None,
    ) -> Run | None:
        """Start a span (not yet current). ``None`` if spanwise itself failed.

        The inputs go in with the start attributes: one validated attribute set instead
        of a second, locked ``set_attribute`` call.
        """
        try:
            attributes = spec.attributes
            if inputs is not None:
                settings = content_settings()
                if settings.capture(explicit=True) and _may_record(parent):
                    key = content_key(
                        spec.span_type,
                        SpanwiseAttributes.SPAN_INPUTS,
                        GenAIAttributes.TOOL_CALL_ARGUMENTS,
                    )
                    attributes = {**attributes, key: dumps_bounded(inputs(), settings.max_bytes)}
            span = get_tracer().start_span(
                spec.name, context=parent, attributes=attributes, start_time=start_time
            )
            return cls(span, spec.span_type)
        except Exception as exc:
            report_internal_error("span start", exc)
            return None

    def succeed(
        self, outputs: Any = None, *, has_outputs: bool = True, end_time: int | None = None
    ) -> None:
        """End with status OK (unless the user set one), recording ``outputs``."""
        if self._ended:
            return
        if has_outputs:
            try:
                set_content(
                    self.span,
                    self.span_type,
                    outputs,
                    SpanwiseAttributes.SPAN_OUTPUTS,
                    GenAIAttributes.TOOL_CALL_RESULT,
                )
            except Exception as exc:
                report_internal_error("span success", exc)
        self.end_ok(end_time)

    def _finish(self, outputs: Any, has_outputs: bool, end_time: int | None) -> None:
        # LiveSpan.end(): ends once, through the same path as the decorator's success.
        self.succeed(outputs, has_outputs=has_outputs, end_time=end_time)

    def _on_success(self) -> None:
        if self._live is None or not self._live.status_set:
            self.span.set_status(_OK)

    def stream_item(self, index: int, item: Any) -> None:
        """Record one yielded item as a span event."""
        try:
            attrs: dict[str, Any] = {SpanwiseEvents.STREAM_ITEM_INDEX: index}
            settings = content_settings()
            if settings.capture(explicit=True):
                attrs[SpanwiseEvents.STREAM_ITEM_VALUE] = dumps_bounded(item, settings.max_bytes)
            self.span.add_event(SpanwiseEvents.STREAM_ITEM, attrs)
        except Exception as exc:
            report_internal_error("stream item", exc)

    def finish_stream(self, items: list[Any], reducer: Callable[[list[Any]], Any] | None) -> None:
        """End a generator's span: outputs are the items, or what the reducer makes of them."""
        if self._ended:
            return
        outputs: Any = items
        if reducer is not None:
            try:
                outputs = reducer(items)
            except Exception as exc:  # the user's reducer: say so, keep the raw items
                event, _ = error_record(exc, with_message=self._records_content())
                for key in (ExceptionAttributes.STACKTRACE, ExceptionAttributes.ESCAPED):
                    event.pop(key, None)
                self.span.add_event(SpanwiseEvents.OUTPUT_REDUCER_ERROR, event)
        self.succeed(outputs)
