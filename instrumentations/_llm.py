"""The run of one model call (inference or embeddings), shared by every provider.

Patching (``<library>/_patch.py``) decides *when*; extraction (``<library>/_extract.py``)
decides *what*; :class:`LLMCall` adds to an :class:`Invocation` what a model call has:
CLIENT kind, the context key that keeps nested model wrappers out while the SDK call
runs, time to first chunk, and the GenAI client metrics at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.trace import SpanKind

from spanwise.semconv import ErrorAttributes, GenAIAttributes, GenAIMetrics, ServerAttributes

from ._invocation import Invocation, Metrics, Settings, _in_model_call

__all__ = ["LLMCall", "Metrics", "Settings"]

# Span attributes that are also metric attributes.
_METRIC_KEYS = (
    GenAIAttributes.OPERATION_NAME,
    GenAIAttributes.PROVIDER_NAME,
    GenAIAttributes.REQUEST_MODEL,
    GenAIAttributes.RESPONSE_MODEL,
    ServerAttributes.ADDRESS,
    ServerAttributes.PORT,
    ErrorAttributes.TYPE,
)
_TOKEN_KINDS = (
    (GenAIAttributes.USAGE_INPUT_TOKENS, GenAIMetrics.TOKEN_TYPE_INPUT),
    (GenAIAttributes.USAGE_OUTPUT_TOKENS, GenAIMetrics.TOKEN_TYPE_OUTPUT),
)


class LLMCall(Invocation):
    """One model call's span."""

    __slots__ = ("_first", "_metrics", "_nested", "started")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._metrics: Metrics | None = None
        self._nested: object | None = None
        self._first: float | None = None
        self.started = time.monotonic()

    @classmethod
    def start_call(
        cls,
        settings: Settings,
        name: str,
        attributes: dict[str, Any],
        content: Callable[[], Mapping[str, Any]] | None = None,
    ) -> LLMCall | None:
        """The started call (CLIENT kind), or None (reported): the SDK call goes on."""
        call: LLMCall | None = cls.start(settings, name, attributes, content, kind=SpanKind.CLIENT)
        metrics = settings.metrics
        if call is not None and metrics is not None and metrics.live():
            call._metrics = metrics
        return call

    def enter(self) -> None:
        """Current while the SDK call runs (HTTP spans nest under it), and marked as a
        model call in flight."""
        super().enter()
        self._nested = _in_model_call.set(True)

    def exit(self) -> None:
        nested, self._nested = self._nested, None
        if nested is not None:
            _in_model_call.reset(nested)  # type: ignore[arg-type]
        super().exit()

    def first_chunk(self) -> None:
        """Time to first chunk: kept, and recorded with the response's attributes (one
        attribute pass at the end instead of a write on the first chunk)."""
        if self._first is None:
            self._first = time.monotonic() - self.started

    def record(
        self, attributes: Mapping[str, Any], content: Mapping[str, Any] | None = None
    ) -> None:
        first, self._first = self._first, None
        if first is not None:
            attributes = {**attributes, GenAIAttributes.RESPONSE_TIME_TO_FIRST_CHUNK: first}
        super().record(attributes, content)

    def succeed(self) -> None:
        self.end_ok()

    def _on_end(self, error: BaseException | None) -> None:
        if self._first is not None:  # nothing recorded since the first chunk (an error)
            self.span.set_attribute(GenAIAttributes.RESPONSE_TIME_TO_FIRST_CHUNK, self._first)
            self._first = None
        if error is not None:
            self._attributes[ErrorAttributes.TYPE] = type(error).__qualname__
        metrics = self._metrics
        if metrics is None:
            return
        # An error here is reported by SpanRun._end; the span still ends.
        attributes = self._attributes
        labels = {k: attributes[k] for k in _METRIC_KEYS if k in attributes}
        metrics.duration.record(time.monotonic() - self.started, labels)
        for key, kind in _TOKEN_KINDS:
            count = attributes.get(key)
            if isinstance(count, int):
                metrics.tokens.record(count, {**labels, GenAIAttributes.TOKEN_TYPE: kind})
