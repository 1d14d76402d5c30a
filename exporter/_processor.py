"""The batch processor spanwise puts in front of its exporters: the SDK's own, which
counts the spans its full queue drops (the SDK only logs them, once in a while) and
shuts down within spanwise's exit deadline."""

from __future__ import annotations

import time
from collections.abc import Sized
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from spanwise.common._safety import warn_once

from ._resilient import ResilientSpanExporter, exit_deadline

__all__ = ["CountingBatchSpanProcessor", "resilient_in"]


def resilient_in(exporter: SpanExporter) -> ResilientSpanExporter | None:
    """The ``ResilientSpanExporter`` in a chain of wrappers (``.inner``), if any."""
    current: object = exporter
    for _ in range(8):  # wrappers are few; a cycle must not hang
        if isinstance(current, ResilientSpanExporter):
            return current
        current = getattr(current, "inner", None)
        if current is None:
            break
    return None


class CountingBatchSpanProcessor(BatchSpanProcessor):
    """``BatchSpanProcessor`` that counts what its full queue drops (``dropped``, and
    into the ``ResilientSpanExporter`` behind it, whose summary line reports it)."""

    def __init__(self, span_exporter: SpanExporter, **kwargs: Any) -> None:
        super().__init__(span_exporter, **kwargs)
        # Where the SDK keeps its queue: in its BatchProcessor (recent SDKs) or itself.
        core: Any = getattr(self, "_batch_processor", self)
        queue = getattr(core, "_queue", None)
        if queue is None:
            queue = getattr(core, "queue", None)
        limit = getattr(core, "_max_queue_size", None) or getattr(core, "max_queue_size", None)
        self._sw_queue: Sized | None = queue if isinstance(queue, Sized) else None
        self._sw_limit: int = limit if isinstance(limit, int) else 0
        self._sw_core = core
        self._sw_resilient = resilient_in(span_exporter)
        self.dropped = 0

    def on_end(self, span: ReadableSpan) -> None:
        queue = self._sw_queue
        if (
            queue is not None
            and len(queue) >= self._sw_limit
            and span.context is not None
            and span.context.trace_flags.sampled
            and not getattr(self._sw_core, "_shutdown", False)
        ):
            self.dropped += 1
            if self._sw_resilient is not None:
                self._sw_resilient.count_queue_full(1)
            warn_once(
                "processor:queue-full",
                "spanwise: the SDK's span queue is full (%d spans, OTEL_BSP_MAX_QUEUE_SIZE); "
                "dropping spans (counted in the export summary)",
                self._sw_limit,
            )
        super().on_end(span)

    def shutdown(self) -> None:
        core: Any = getattr(self, "_batch_processor", None)
        left = max(0, int((exit_deadline() - time.monotonic()) * 1000))
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown(timeout_millis=left)  # the SDK's default would be 30 s
        else:
            super().shutdown()
