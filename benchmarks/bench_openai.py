"""Latency each OpenAI instrumentation adds to a call, against the same fake endpoint.

Paired and interleaved: each tool runs in a worker process of its own (only that tool
is ever imported), workers run round-robin, and inside a worker bare and instrumented
batches alternate. A pair's figure is median(instrumented call) - median(bare call), in
microseconds; the table gives the median over every pair and its spread. Content
capture is on for every tool. Peers are measured where they import beside this openai
(``make bench`` installs them, with the pins the official instrumentation needs).
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import pass_through
from _provider_bench import blocks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

# SPAN_ONLY: the official instrumentation's spelling (it rejects "true"); spanwise reads
# both. The official one also needs the latest-experimental opt-in to record content.
os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
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


def _mlflow() -> Toggle:
    import importlib

    from _peers import configure_mlflow

    configure_mlflow()
    flavor = importlib.import_module("mlflow.openai")  # the full mlflow package only

    return (flavor.autolog, lambda: flavor.autolog(disable=True))


def _sdk_span_only() -> Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the 15 attributes spanwise records for the
    plain call, precomputed; a stream passes through a proxy that only ends the span.
    A yardstick for the others, not a peer: the part of every tool's figure that is the
    OpenTelemetry SDK's and the proxy's."""
    import wrapt
    from openai.resources.chat import completions
    from opentelemetry import context, trace
    from opentelemetry.instrumentation.utils import unwrap

    start = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.provider.name": "openai",
        "server.address": "fake.local",
        "server.port": 80,
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"Weather'
        ' in Paris?"}]}]',
    }
    end = {
        "gen_ai.response.id": "chatcmpl-123",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 2,
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":'
        '"Sunny, 18 C."}],"finish_reason":"stop"}]',
    }
    tracer = trace.get_tracer("sdk-span-only")

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        span = tracer.start_span(
            "chat gpt-4o-mini", kind=trace.SpanKind.CLIENT, attributes=dict(start)
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            result = wrapped(*args, **kwargs)
        finally:
            context.detach(token)
        if kwargs.get("stream"):
            return pass_through(result, span, end)
        span.set_attributes(end)
        span.end()
        return result

    return (
        lambda: wrapt.wrap_function_wrapper(completions, "Completions.create", wrapper),
        lambda: unwrap(completions.Completions, "create"),
    )


REFERENCE = "OTel SDK span alone (yardstick)"

PEERS: dict[str, Callable[[], Toggle]] = {
    "spanwise": _spanwise,
    "OpenLLMetry": _instrumentor("opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    "OpenInference": _instrumentor("openinference.instrumentation.openai", "OpenAIInstrumentor"),
    "official OTel openai-v2": _instrumentor(
        "opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor"
    ),
    "mlflow.openai.autolog()": _mlflow,
    REFERENCE: _sdk_span_only,
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

    def long_stream() -> None:
        for _ in client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, stream=True, extra_body={"x_chunks": 200}
        ):
            pass

    def tool_call() -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=tools)

    return {
        "plain chat": plain,
        "50-chunk stream": stream,
        "200-chunk stream": long_stream,
        "tool call": tool_call,
    }


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter (milliseconds)."""
    import openai

    from fake_openai import mock_http_client

    return openai.OpenAI(
        base_url="http://fake.local/v1",
        api_key="sk-bench",
        max_retries=0,
        http_client=mock_http_client(),
    )


def worker(tool: str, scenario: str, pairs: int, block: int) -> list[float]:
    """In a process of its own (only this tool is ever loaded): ``pairs`` times, a block
    of bare calls then a block of instrumented ones; returns, per pair, the median
    instrumented call minus the median bare call (us).

    Few pairs per process: some peers leave wrappers behind on uninstrument(), so
    their cost grows with every toggle; more rounds (processes) give the spread."""
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
    return [pair(call, (on, off), block) for _ in range(pairs)]


def pair(call: Callable[[], None], toggle: Toggle, block: int) -> float:
    """A block of bare calls, then one with the tool on: median instrumented call minus
    median bare call (us)."""
    return blocks(call, toggle, block)[0]


def run(rounds: int = 6, pairs: int = 6, block: int = 20) -> list[dict[str, Any]]:
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
                    [sys.executable, __file__, tool, scenario, str(pairs), str(block)],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                if done.returncode != 0:
                    skipped[tool] = (done.stderr.strip().splitlines() or ["failed"])[-1][:100]
                    continue
                results.setdefault((scenario, tool), []).append(
                    statistics.median(json.loads(done.stdout))
                )
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
    for scenario in scenarios:
        ours = results.get((scenario, "spanwise"))
        peers = [
            statistics.median(v)
            for (sc, t), v in results.items()
            if sc == scenario and t not in ("spanwise", REFERENCE)
        ]
        if ours and peers:
            rows.append(
                {
                    "scenario": scenario,
                    "tool": "spanwise / best peer",
                    "us added per call (median)": round(
                        statistics.median(ours) / max(min(peers), 1.0), 2
                    ),
                    "spread": "target <= 0.5",
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


if __name__ == "__main__":
    import json

    if sys.argv[1:] == ["all"]:  # this benchmark alone: python benchmarks/bench_openai.py all
        for row in run():
            print(row)
        raise SystemExit(0)

    # The same pipeline under every tool: spanwise's provider, traces kept in memory.
    os.environ["SPANWISE_TRACKING_URI"] = "none"
    tool_name, scenario_name, pair_count, block_size = sys.argv[1:5]
    print(json.dumps(worker(tool_name, scenario_name, int(pair_count), int(block_size))))
