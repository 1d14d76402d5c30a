"""Latency each OpenAI instrumentation adds to a call, against the same fake endpoint.

Paired and interleaved: every round measures the bare SDK and each tool (instrumented,
measured, uninstrumented) in shuffled order; the figure is the median over rounds of
(instrumented - bare), in microseconds. Content capture is on for every tool. Peers are
measured where they import beside this openai (``make bench`` installs them).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
os.environ.setdefault("TRACELOOP_TRACE_CONTENT", "true")

Toggle = tuple[Callable[[], None], Callable[[], None]]


def _spanwise() -> Toggle:
    import spanwise

    return (spanwise.openai.autolog, lambda: spanwise.openai.autolog(disable=True))


def _instrumentor(module: str, name: str) -> Callable[[], Toggle]:
    def make() -> Toggle:
        import importlib

        from opentelemetry import trace

        instrumentor = getattr(importlib.import_module(module), name)()
        provider = trace.get_tracer_provider()
        return (
            lambda: instrumentor.instrument(tracer_provider=provider),
            instrumentor.uninstrument,
        )

    return make


PEERS: dict[str, Callable[[], Toggle]] = {
    "spanwise": _spanwise,
    "OpenLLMetry": _instrumentor("opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    "OpenInference": _instrumentor("openinference.instrumentation.openai", "OpenAIInstrumentor"),
    "official OTel openai-v2": _instrumentor(
        "opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor"
    ),
}


def _scenarios(client: Any) -> dict[str, Callable[[], None]]:
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]

    def plain() -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    def stream() -> None:
        for _ in client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, stream=True, extra_body={"x_chunks": 50}
        ):
            pass

    def tool_call() -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=tools)

    return {"plain chat": plain, "50-chunk stream": stream, "tool call": tool_call}


def run(rounds: int = 7, calls: int = 100) -> list[dict[str, Any]]:
    import openai

    import spanwise  # sets up the provider every tool shares

    spanwise.trace(lambda: None)()
    tools: dict[str, Toggle] = {}
    skipped: dict[str, str] = {}
    for name, make in PEERS.items():
        try:
            on, off = make()
            on()
            off()
            tools[name] = (on, off)
        except Exception as exc:  # not installed, or fails beside this openai
            skipped[name] = f"{type(exc).__name__}: {str(exc)[:80]}"
    # In-process transport (the SDK's own HTTP client, a mock transport): what is
    # measured is the SDK and the instrumentation, not loopback jitter (milliseconds).
    from fake_openai import mock_transport

    try:
        import httpx2 as httpx  # openai 3.x
    except ImportError:
        import httpx  # type: ignore[no-redef]

    rows: list[dict[str, Any]] = []
    try:
        client = openai.OpenAI(
            base_url="http://fake.local/v1",
            api_key="sk-bench",
            max_retries=0,
            http_client=httpx.Client(transport=mock_transport()),
        )
        rng = random.Random(11)
        for scenario, call in _scenarios(client).items():
            for _ in range(20):
                call()
            added: dict[str, list[float]] = {name: [] for name in tools}
            for _ in range(rounds):
                order = list(tools)
                rng.shuffle(order)
                for name in order:
                    bare = _time(call, calls)
                    on, off = tools[name]
                    on()
                    try:
                        traced = _time(call, calls)
                    finally:
                        off()
                    added[name].append(traced - bare)
            spanwise.flush()
            for name, values in added.items():
                rows.append(
                    {
                        "scenario": scenario,
                        "tool": name,
                        "us added per call (median)": round(statistics.median(values)),
                        "spread": f"{min(values):.0f}..{max(values):.0f}",
                    }
                )
    finally:
        client.close()
    for name, why in skipped.items():
        rows.append(
            {
                "scenario": "-",
                "tool": name,
                "us added per call (median)": None,
                "spread": f"not measured: {why}",
            }
        )
    return rows


def _time(call: Callable[[], None], calls: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        call()
    return (time.perf_counter_ns() - start) / calls / 1000
