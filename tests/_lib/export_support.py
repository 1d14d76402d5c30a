"""Test doubles for the export path: a backend that is down until told otherwise, and
finished SDK spans to feed exporters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = ["Flaky", "spans"]


class Flaky(SpanExporter):
    """A backend that refuses until ``up``."""

    def __init__(self) -> None:
        self.up = False
        self.received: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not self.up:
            return SpanExportResult.FAILURE
        self.received += [s.name for s in spans]
        return SpanExportResult.SUCCESS


def spans(prefix: str, count: int) -> list[ReadableSpan]:
    tracer = TracerProvider().get_tracer("t")
    out: list[Any] = []
    for i in range(count):
        span = tracer.start_span(f"{prefix}-{i}")
        span.end()
        out.append(span)
    return out
