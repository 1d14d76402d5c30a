"""The span lifecycle of one model call, shared by every provider instrumentor.

Patching (``<library>/_patch.py``) decides *when*; extraction (``<library>/_extract.py``)
decides *what*; this module owns the span: start (CLIENT kind, current while the SDK
call runs), content attributes under the capture policy, success, failure (the SDK's
exception recorded and left to propagate unchanged), end exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from spanwise.semconv import (
    ErrorAttributes,
    GenAIAttributes,
    GenAIMetrics,
    ServerAttributes,
)

from ._content import content_settings
from ._safety import report_internal_error
from ._serialize import dumps_wire

__all__ = ["LLMCall", "Metrics", "Settings"]

# Set while a model call's SDK method runs: a spanwise wrapper reached from inside
# another (an SDK helper calling a patched method) passes through, one span per call.
_in_call: ContextVar[bool] = ContextVar("spanwise_in_model_call", default=False)


class Metrics:
    """The two GenAI client histograms (no-ops unless a MeterProvider is set)."""

    __slots__ = ("duration", "tokens")

    def __init__(self, meter: Meter) -> None:
        self.duration = meter.create_histogram(
            GenAIMetrics.CLIENT_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=list(GenAIMetrics.DURATION_BUCKETS),
        )
        self.tokens = meter.create_histogram(
            GenAIMetrics.CLIENT_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=[float(b) for b in GenAIMetrics.TOKEN_BUCKETS],
        )

    def live(self) -> bool:
        """False while the histograms are the API's placeholders with no MeterProvider
        behind them yet (recording would be a no-op), so a call skips gathering labels."""
        # The API's proxy instruments keep the real one in ``_real_instrument`` once a
        # provider is set; anything else (an SDK or vendor instrument) counts as live.
        return getattr(self.duration, "_real_instrument", True) is not None


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


@dataclass(slots=True)
class Settings:
    """Shared by an instrumentor's wrappers; flipping ``active`` makes wrappers that
    were cached before ``uninstrument()`` pass straight through."""

    tracer: Tracer
    explicit: bool  # asked for by code (autolog): content is recorded unless the env says no
    metrics: Metrics | None = None
    active: bool = True
    log_traces: bool = True

    def enabled(self) -> bool:
        return (
            self.active and self.log_traces and not _in_call.get() and is_instrumentation_enabled()
        )


class LLMCall:
    """One model call's span."""

    __slots__ = (
        "_attributes",
        "_done",
        "_metrics",
        "_nested",
        "_token",
        "capture",
        "max_bytes",
        "span",
        "started",
    )

    def __init__(
        self,
        settings: Settings,
        name: str,
        attributes: dict[str, Any],
        content: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        settings_ = content_settings()
        self.capture = settings_.capture(explicit=settings.explicit)
        self.max_bytes = settings_.max_bytes
        metrics = settings.metrics
        self._metrics = metrics if metrics is not None and metrics.live() else None
        # What the metrics need, gathered as attributes are set (spans are write-only).
        self._attributes = attributes
        start = attributes
        if self.capture and content is not None:
            # Request content goes in with the start attributes: one validation pass.
            start = {**attributes, **self._encoded(content())}
        self.span = settings.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=start)
        self.started = time.monotonic()
        self._token: object | None = None
        self._nested: object | None = None
        self._done = False

    @classmethod
    def start(
        cls,
        settings: Settings,
        name: str,
        attributes: dict[str, Any],
        content: Callable[[], Mapping[str, Any]] | None = None,
    ) -> LLMCall | None:
        """The started call, or None (logged) if spanwise failed: the SDK call goes on.

        ``attributes`` is taken over by the call; ``content`` is only called (and its
        values recorded as JSON) when content capture is on.
        """
        try:
            return cls(settings, name, attributes, content)
        except Exception as exc:
            report_internal_error("model span start", exc)
            return None

    def enter(self) -> None:
        """Current while the SDK call runs, so HTTP spans nest under it."""
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        self._nested = _in_call.set(True)

    def exit(self) -> None:
        token, self._token = self._token, None
        nested, self._nested = self._nested, None
        if nested is not None:
            _in_call.reset(nested)  # type: ignore[arg-type]
        if token is not None:
            otel_context.detach(token)  # type: ignore[arg-type]

    def _encoded(self, content: Mapping[str, Any]) -> dict[str, str]:
        max_bytes = self.max_bytes
        return {
            key: dumps_wire(value, max_bytes)
            for key, value in content.items()
            if value is not None and value != []
        }

    def record(
        self, attributes: Mapping[str, Any], content: Mapping[str, Any] | None = None
    ) -> None:
        """Response attributes, and content (JSON, only when capture is on), in one set."""
        if attributes:
            self._attributes.update(attributes)
        if content and self.capture:
            attributes = {**attributes, **self._encoded(content)}
        if attributes:
            self.span.set_attributes(attributes)

    def set_content(self, key: str, value: Any) -> None:
        """One content attribute (messages, tool definitions...), only when capture is on."""
        self.record({}, {key: value})

    def first_chunk(self) -> None:
        self.span.set_attribute(
            GenAIAttributes.RESPONSE_TIME_TO_FIRST_CHUNK, time.monotonic() - self.started
        )

    def succeed(self) -> None:
        if not self._done:
            self._done = True
            self._record_metrics()
            self.span.end()

    def _record_metrics(self) -> None:
        if self._metrics is None:
            return
        try:
            labels = {k: self._attributes[k] for k in _METRIC_KEYS if k in self._attributes}
            self._metrics.duration.record(time.monotonic() - self.started, labels)
            for key, kind in (
                (GenAIAttributes.USAGE_INPUT_TOKENS, GenAIMetrics.TOKEN_TYPE_INPUT),
                (GenAIAttributes.USAGE_OUTPUT_TOKENS, GenAIMetrics.TOKEN_TYPE_OUTPUT),
            ):
                count = self._attributes.get(key)
                if isinstance(count, int):
                    self._metrics.tokens.record(count, {**labels, GenAIAttributes.TOKEN_TYPE: kind})
        except Exception as exc:
            report_internal_error("model metrics", exc)

    def fail(self, error: BaseException) -> None:
        """The SDK's exception: recorded here, re-raised unchanged by the caller."""
        if self._done:
            return
        self._done = True
        try:
            self._attributes[ErrorAttributes.TYPE] = type(error).__qualname__
            self.span.set_attribute(ErrorAttributes.TYPE, type(error).__qualname__)
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        except Exception as exc:
            report_internal_error("model span failure", exc)
        self._record_metrics()
        self.span.end()
