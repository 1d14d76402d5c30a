"""Latency each OpenAI instrumentation adds to a call, against the same fake endpoint.

Paired and interleaved: every round measures the bare SDK and each tool (instrumented,
measured, uninstrumented) in shuffled order; the figure is the median over rounds of
(instrumented - bare), in microseconds. Content capture is on for every tool. Peers are
measured where they import beside this openai (``make bench`` installs them).
"""

from __future__ import annotations

import os
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


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter (milliseconds)."""
    import openai

    from fake_openai import mock_transport

    try:
        import httpx2 as httpx  # openai 3.x
    except ImportError:
        import httpx  # type: ignore[no-redef]

    return openai.OpenAI(
        base_url="http://fake.local/v1",
        api_key="sk-bench",
        max_retries=0,
        http_client=httpx.Client(transport=mock_transport()),
    )


def worker(tool: str, scenario: str, pairs: int, calls: int) -> list[float]:
    """In a process of its own (only this tool is ever loaded): ``pairs`` times, a loop
    of bare calls then a loop of instrumented ones; returns instrumented - bare (us)."""
    import spanwise  # sets up the provider every tool exports to

    spanwise.trace(lambda: None)()
    on, off = PEERS[tool]()
    call = _scenarios(_client())[scenario]
    for _ in range(30):
        call()
    on()
    for _ in range(30):
        call()
    off()
    added: list[float] = []
    for _ in range(pairs):
        bare = _time(call, calls)
        on()
        try:
            traced = _time(call, calls)
        finally:
            off()
        added.append(traced - bare)
    return added


def run(rounds: int = 3, pairs: int = 3, calls: int = 100) -> list[dict[str, Any]]:
    """Every tool x scenario in worker processes, run round-robin (interleaved)."""
    import json
    import subprocess

    results: dict[tuple[str, str], list[float]] = {}
    skipped: dict[str, str] = {}
    scenarios = ["plain chat", "50-chunk stream", "tool call"]
    for _ in range(rounds):
        for scenario in scenarios:
            for tool in PEERS:
                if tool in skipped:
                    continue
                done = subprocess.run(
                    [sys.executable, __file__, tool, scenario, str(pairs), str(calls)],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                if done.returncode != 0:
                    skipped[tool] = (done.stderr.strip().splitlines() or ["failed"])[-1][:100]
                    continue
                results.setdefault((scenario, tool), []).extend(json.loads(done.stdout))
    rows: list[dict[str, Any]] = []
    for (scenario, tool), values in results.items():
        rows.append(
            {
                "scenario": scenario,
                "tool": tool,
                "us added per call (median)": round(statistics.median(values)),
                "spread": f"{min(values):.0f}..{max(values):.0f}",
            }
        )
    for tool, why in skipped.items():
        rows.append(
            {
                "scenario": "-",
                "tool": tool,
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


if __name__ == "__main__":
    import json

    os.environ.setdefault("SPANWISE_TRACKING_URI", "none")
    tool_name, scenario_name, pair_count, call_count = sys.argv[1:5]
    print(json.dumps(worker(tool_name, scenario_name, int(pair_count), int(call_count))))
