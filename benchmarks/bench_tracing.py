"""Cost of tracing a call: @spanwise.trace vs a bare OTel span vs @mlflow.trace.

Also the payload cost: inputs plus outputs of 10 KB / 1 MB / 10 MB, time added on
the calling thread.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from _harness import added, interleaved, paired_ratio
from _peers import mlflow_trace


class _NullExporter(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _bare_tracer() -> Any:
    """A production-shaped OTel pipeline of its own: SDK provider, batch processor."""
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(_NullExporter()))
    return provider.get_tracer("bench")


def _spanwise() -> Any:
    os.environ.setdefault(
        "SPANWISE_TRACKING_URI", os.path.join(tempfile.mkdtemp(prefix="spanwise-bench-"), "t.db")
    )
    import spanwise

    return spanwise


def overhead(rounds: int = 7, calls: int = 5000) -> list[dict[str, Any]]:
    spanwise = _spanwise()
    tracer = _bare_tracer()

    def work(x: int, y: int = 2) -> int:
        return x + y

    traced = spanwise.trace(work)
    traced(1)  # spanwise sets up its provider (assembler + store writer)
    from opentelemetry import trace as otel_trace

    shared = otel_trace.get_tracer_provider().get_tracer("bench")

    def bare_span() -> int:
        with tracer.start_as_current_span("work"):
            return work(1)

    def bare_on_spanwise() -> int:
        with shared.start_as_current_span("work"):
            return work(1)

    variants: dict[str, Callable[[], object]] = {
        "function (no tracing)": lambda: work(1),
        "bare OTel span": bare_span,
        "bare OTel span, spanwise's pipeline": bare_on_spanwise,
        "@spanwise.trace": lambda: traced(1),
    }
    mlflow_traced, why = mlflow_trace(work)
    if mlflow_traced is not None:
        variants["@mlflow.trace"] = lambda: mlflow_traced(1)
    results = interleaved(variants, calls, rounds)
    spanwise.flush()
    rows = [
        {
            "variant": r.name,
            "us/call": round(r.median, 1),
            "spread": r.spread,
            "vs bare OTel": round(paired_ratio(results, r.name, "bare OTel span"), 2),
        }
        for r in results.values()
    ]
    rows.append(
        {
            "variant": "@spanwise.trace / bare span on the same pipeline",
            "vs bare OTel": round(
                paired_ratio(results, "@spanwise.trace", "bare OTel span, spanwise's pipeline"), 2
            ),
        }
    )
    if mlflow_traced is None:
        rows.append({"variant": "@mlflow.trace", "us/call": None, "spread": why})
    else:
        rows.append(
            {
                "variant": "spanwise / mlflow",
                "us/call": None,
                "spread": "",
                "vs bare OTel": round(paired_ratio(results, "@spanwise.trace", "@mlflow.trace"), 3),
            }
        )
    return rows


def _payload(total_bytes: int) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Inputs and outputs of about total_bytes together: RAG-style documents and messages."""
    doc = "lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 16  # ~900 chars
    half = max(total_bytes // 2 // (len(doc) + 30), 1)
    inputs = {"query": "what is spanwise?", "documents": [f"{i}: {doc}" for i in range(half)]}
    outputs = [{"role": "assistant", "content": f"{i}: {doc}"} for i in range(half)]
    return inputs, outputs


def payload(rounds: int = 5) -> list[dict[str, Any]]:
    cases = (("10 KB", 10_000, 400), ("1 MB", 1_000_000, 20), ("10 MB", 10_000_000, 3))
    return [_payload_case(label, size, calls, rounds) for label, size, calls in cases]


def _payload_case(label: str, size: int, calls: int, rounds: int) -> dict[str, Any]:
    spanwise = _spanwise()
    tracer = _bare_tracer()
    inputs, outputs = _payload(size)
    actual = len(json.dumps(inputs)) + len(json.dumps(outputs))

    def answer(request: dict[str, Any]) -> list[dict[str, str]]:
        return outputs

    traced = spanwise.trace(answer)

    def bare_json() -> None:
        with tracer.start_as_current_span("answer") as span:
            span.set_attribute("inputs", json.dumps({"request": inputs}))
            result = answer(inputs)
            span.set_attribute("outputs", json.dumps(result))

    variants: dict[str, Callable[[], object]] = {
        "plain call": lambda: answer(inputs),
        "bare OTel + json.dumps": bare_json,
        "@spanwise.trace": lambda: traced(inputs),
    }
    mlflow_traced, _ = mlflow_trace(answer)
    if mlflow_traced is not None:
        variants["@mlflow.trace"] = lambda: mlflow_traced(inputs)
    results = interleaved(variants, calls, rounds)
    spanwise.flush()
    row: dict[str, Any] = {"payload": f"{label} ({actual / 1e6:.2f} MB)"}
    for name in variants:
        if name != "plain call":
            row[f"{name} adds (ms)"] = round(added(results, name, "plain call") / 1000, 3)
    return row
