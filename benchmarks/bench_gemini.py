"""Latency each Gemini instrumentation adds to a call, against the same fake endpoint.

As ``bench_mistral.py``: each tool runs in worker processes of its own (only that tool
is ever imported), workers run round-robin in a shuffled order each round; inside a
worker each pair is one instrumented call and one bare call (the SDK's own function,
kept before the tool patched it, on the same client) in a random order, a pair's figure
their difference in microseconds, a block's the median of its pairs', a worker's the
median of its blocks', and the table the median over rounds and its spread. The SDK
(google-genai) talks to ``examples/fake_gemini.py`` through an in-process httpx
transport (``http_options.httpx_client``), so loopback jitter stays out.

Cases: ``models.generate_content`` (plain) and ``models.generate_content_stream`` of a
49-character answer in 49 pieces (49 chunks). Peers: the official
``opentelemetry-instrumentation-google-genai`` (it needs opentelemetry-util-genai>=1.3b0,
which the official OpenAI instrumentation pinned in the bench extra does not import
with: measured when ``SPANWISE_BENCH_GENAI_PYTHON`` names an interpreter of a venv that
has it, as for bench_anthropic.py), OpenInference's
``openinference-instrumentation-google-genai`` and OpenLLMetry's
``opentelemetry-instrumentation-google-generativeai`` (which instruments google-genai).
Peers are instrumented with ``skip_dep_check`` (the official one declares google-genai
< 3). Content capture is on for every tool but "spanwise, content off"; all export into
spanwise's provider, traces kept in memory.

    python benchmarks/bench_gemini.py all        # this benchmark alone
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

from _harness import pass_through

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples")

Toggle = tuple[Callable[[], None], Callable[[], None]]

MODEL = "gemini-2.5-flash"
STREAM_MODEL = f"{MODEL}@49"  # the fake streams the 49-character answer in 49 pieces
CASES = ("plain", "49-chunk stream")
METHODS = ("generate_content", "generate_content_stream")
ENV = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY",
    "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
    "TRACELOOP_TRACE_CONTENT": "true",
    "SPANWISE_TRACKING_URI": "none",  # the same pipeline under every tool, in memory
}
GENAI_PYTHON_ENV = "SPANWISE_BENCH_GENAI_PYTHON"

SPANWISE = "spanwise"
CONTENT_OFF = "spanwise, content off"
OFFICIAL = "official OTel google-genai"
OPENLLMETRY = "OpenLLMetry"
OPENINFERENCE = "OpenInference"
REFERENCE = "yardstick: SDK span (+ pass-through stream proxy)"


def _spanwise() -> Toggle:
    import spanwise

    return (spanwise.gemini.autolog, lambda: spanwise.gemini.autolog(disable=True))


def _instrumentor(module: str, name: str) -> Callable[[], Toggle]:
    def make() -> Toggle:
        import importlib

        from opentelemetry import trace

        instrumentor = getattr(importlib.import_module(module), name)()
        provider = trace.get_tracer_provider()
        return (
            lambda: instrumentor.instrument(tracer_provider=provider, skip_dep_check=True),
            instrumentor.uninstrument,
        )

    return make


def _yardstick() -> Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream passes through a proxy that only ends the span."""
    import wrapt
    from google.genai import models
    from opentelemetry import context, trace
    from opentelemetry.instrumentation.utils import unwrap

    sys.path.insert(0, EXAMPLES)
    from fake_gemini import RESPONSE_ID, TEXT

    start = {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "generate_content",
        "gen_ai.request.model": MODEL,
        "gen_ai.provider.name": "gcp.gemini",
        "server.address": "fake.local",
        "server.port": 80,
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":'
        '"Weather in Paris?"}]}]',
    }
    end = {
        "gen_ai.response.id": RESPONSE_ID,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"'
        + TEXT
        + '"}],"finish_reason":"stop"}]',
    }
    stream_start = {**start, "gen_ai.request.model": STREAM_MODEL, "gen_ai.request.stream": True}
    stream_end = {**end, "gen_ai.response.time_to_first_chunk": 0.001}
    tracer = trace.get_tracer("sdk-span-only")

    def wrapper(first: dict[str, Any], streams: bool) -> Callable[..., Any]:
        def call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            span = tracer.start_span(
                f"generate_content {first['gen_ai.request.model']}",
                kind=trace.SpanKind.CLIENT,
                attributes=dict(first),
            )
            token = context.attach(trace.set_span_in_context(span))
            try:
                result = wrapped(*args, **kwargs)
            finally:
                context.detach(token)
            if streams:
                return pass_through(result, span, stream_end)
            span.set_attributes(end)
            span.end()
            return result

        return call

    def on() -> None:
        wrapt.wrap_function_wrapper(models.Models, METHODS[0], wrapper(start, False))
        wrapt.wrap_function_wrapper(models.Models, METHODS[1], wrapper(stream_start, True))

    def off() -> None:
        for method in METHODS:
            unwrap(models.Models, method)

    return on, off


# tool: (toggle factory, distribution whose version is reported, environment on top of ENV)
PEERS: dict[str, tuple[Callable[[], Toggle], str, dict[str, str]]] = {
    SPANWISE: (_spanwise, "spanwise", {}),
    CONTENT_OFF: (
        _spanwise,
        "spanwise",
        {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "NO_CONTENT"},
    ),
    OFFICIAL: (
        _instrumentor("opentelemetry.instrumentation.google_genai", "GoogleGenAiSdkInstrumentor"),
        "opentelemetry-instrumentation-google-genai",
        {},
    ),
    OPENLLMETRY: (
        _instrumentor(
            "opentelemetry.instrumentation.google_generativeai", "GoogleGenerativeAiInstrumentor"
        ),
        "opentelemetry-instrumentation-google-generativeai",
        {},
    ),
    OPENINFERENCE: (
        _instrumentor("openinference.instrumentation.google_genai", "GoogleGenAIInstrumentor"),
        "openinference-instrumentation-google-genai",
        {},
    ),
    REFERENCE: (_yardstick, "opentelemetry-sdk", {}),
}
NOT_PEERS = (SPANWISE, CONTENT_OFF, REFERENCE)


def _python(tool: str) -> str:
    if tool == OFFICIAL:
        return os.environ.get(GENAI_PYTHON_ENV) or sys.executable
    return sys.executable


def _cases(client: Any, chat: Any) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """Per case: (the instrumented call, the bare call). ``chat`` holds the SDK's own
    functions, kept before any tool patched them."""
    contents = "Weather in Paris?"
    resource = client.models

    def plain() -> None:
        client.models.generate_content(model=MODEL, contents=contents)

    def plain_bare() -> None:
        chat[METHODS[0]](resource, model=MODEL, contents=contents)

    def stream() -> None:
        for _ in client.models.generate_content_stream(model=STREAM_MODEL, contents=contents):
            pass

    def stream_bare() -> None:
        for _ in chat[METHODS[1]](resource, model=STREAM_MODEL, contents=contents):
            pass

    return dict(zip(CASES, ((plain, plain_bare), (stream, stream_bare)), strict=True))


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter."""
    from google import genai

    sys.path.insert(0, EXAMPLES)
    from fake_gemini import respond
    from fake_server import mock_client  # httpx2 where installed, as google-genai 3.x uses

    transport = mock_client(respond)
    return genai.Client(
        api_key="gemini-bench",
        http_options={"base_url": "http://fake.local/", "httpx_client": transport},
    )


def pairs_of(
    calls: tuple[Callable[[], None], Callable[[], None]], block: int, rng: Any
) -> tuple[float, float]:
    """``block`` pairs of one instrumented and one bare call, each pair in a random
    order: the median difference (us), and the median bare call (us)."""
    clock = time.perf_counter_ns
    traced, bare = calls
    added: list[float] = []
    bases: list[float] = []
    for _ in range(block):
        took = {}
        for call in (traced, bare) if rng.random() < 0.5 else (bare, traced):
            start = clock()
            call()
            took[call] = (clock() - start) / 1000
        added.append(took[traced] - took[bare])
        bases.append(took[bare])
    return statistics.median(added), statistics.median(bases)


def worker(tool: str, pairs: int, block: int, seed: float) -> dict[str, Any]:
    """In a process of its own (only this tool is ever loaded): ``pairs`` blocks of each
    case, the cases in a shuffled order each pass. Returns, per case, each block's
    figure (us), and the bare call's median (us)."""
    import importlib.metadata

    from google.genai import models

    # The SDK's own functions, kept before any tool patched them.
    chat = {name: vars(models.Models)[name] for name in METHODS}
    factory, distribution, _ = PEERS[tool]
    on, _off = factory()  # a tool that does not import fails here, before the rest
    import spanwise  # sets up the provider every tool exports to

    spanwise.trace(lambda: None)()
    on()
    cases = _cases(_client(), chat)
    rng = random.Random(seed)
    for calls in cases.values():
        pairs_of(calls, 20, rng)  # warm up
    names = list(cases)
    added: dict[str, list[float]] = {name: [] for name in names}
    bare: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(pairs):
        rng.shuffle(names)
        for name in names:
            extra, base = pairs_of(cases[name], block, rng)
            added[name].append(extra)
            bare[name].append(base)
    return {
        "version": importlib.metadata.version(distribution),
        "added": added,
        "bare": {name: statistics.median(values) for name, values in bare.items()},
    }


Figures = dict[tuple[str, str], list[float]]


def measure(
    rounds: int = 4, pairs: int = 8, block: int = 20, budget_s: float = 170.0, seed: int = 13
) -> tuple[Figures, dict[str, list[float]], dict[str, str], dict[str, Any]]:
    """Every tool in worker processes, round-robin, each round in a shuffled order. A
    round is not started when the rounds so far say it would end past ``budget_s``."""
    import json
    import subprocess

    rng = random.Random(seed)
    figures: Figures = {}
    bare: dict[str, list[float]] = {}
    skipped: dict[str, str] = {}
    info: dict[str, Any] = {"versions": {}, "rounds": 0}
    began = time.monotonic()
    longest = 0.0
    for number in range(rounds):
        if number and time.monotonic() - began + longest > budget_s:
            break
        round_start = time.monotonic()
        tools = [t for t in PEERS if t not in skipped]
        rng.shuffle(tools)
        for tool in tools:
            env = {**os.environ, **ENV, **PEERS[tool][2]}
            command = [_python(tool), __file__, tool, str(pairs), str(block), str(rng.random())]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=120, env=env, check=False
                )
            except subprocess.TimeoutExpired:
                skipped[tool] = "worker timed out (120 s)"
                continue
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                why = (done.stderr.strip().splitlines() or ["failed"])[-1][:120]
                if tool == OFFICIAL and GENAI_PYTHON_ENV not in os.environ:
                    why += f" (set {GENAI_PYTHON_ENV}: see the module docstring)"
                skipped[tool] = why
                continue
            result = json.loads(lines[-1])
            info["versions"][tool] = result["version"]
            for case, values in result["added"].items():
                figures.setdefault((case, tool), []).append(statistics.median(values))
            for case, value in result["bare"].items():
                bare.setdefault(case, []).append(value)
        info["rounds"] = number + 1
        longest = max(longest, time.monotonic() - round_start)
    info["seconds"] = round(time.monotonic() - began)
    return figures, bare, skipped, info


def key_ratios(figures: Figures, tool: str) -> dict[str, Any]:
    """Per case: the best peer, and (tool - yardstick) / (best peer - yardstick)."""
    out: dict[str, Any] = {}
    for case in CASES:
        peers = {
            t: statistics.median(v)
            for (c, t), v in figures.items()
            if c == case and t not in NOT_PEERS
        }
        ours, floor = figures.get((case, tool)), figures.get((case, REFERENCE))
        if not peers or not ours or not floor:
            continue
        best = min(peers, key=peers.__getitem__)
        beyond = peers[best] - statistics.median(floor)
        out[case] = {
            "best": best,
            "ratio": (statistics.median(ours) - statistics.median(floor)) / max(beyond, 1.0),
            "raw": statistics.median(ours) / max(peers[best], 1.0),
        }
    return out


def run(**kwargs: Any) -> list[dict[str, Any]]:
    """The table: one row per tool, us added per call for each case (median over rounds,
    spread), then the bare call, the best peer and the key ratios."""
    figures, bare, skipped, info = measure(**kwargs)
    rows: list[dict[str, Any]] = []
    for tool in PEERS:
        if tool in skipped:
            continue
        row: dict[str, Any] = {"tool": f"{tool} {info['versions'].get(tool, '')}".strip()}
        for case in CASES:
            values = figures.get((case, tool))
            if values:
                row[case] = (
                    f"+{statistics.median(values):.0f} ({min(values):.0f}..{max(values):.0f})"
                )
        rows.append(row)
    rows.append(
        {
            "tool": "bare SDK call, us (no tracing)",
            **{c: f"{statistics.median(bare[c]):.0f}" for c in CASES if c in bare},
        }
    )
    for tool, label in ((SPANWISE, "spanwise"), (CONTENT_OFF, "spanwise, content off")):
        ratios = key_ratios(figures, tool)
        if tool == SPANWISE and ratios:
            rows.append({"tool": "best peer", **{c: r["best"] for c, r in ratios.items()}})
            rows.append(
                {
                    "tool": "spanwise / best peer (added)",
                    **{c: f"{r['raw']:.2f}" for c, r in ratios.items()},
                }
            )
        if ratios:
            rows.append(
                {
                    "tool": f"{label} beyond yardstick / best peer beyond yardstick "
                    "(target <= 0.5)",
                    **{c: f"**{r['ratio']:.2f}**" for c, r in ratios.items()},
                }
            )
    for tool, why in skipped.items():
        rows.append({"tool": tool, CASES[0]: f"not measured: {why}"})
    rows.append(
        {"tool": f"({info['rounds']} rounds x {kwargs.get('pairs', 8)} pairs, {info['seconds']} s)"}
    )
    return rows


if __name__ == "__main__":
    import json

    if sys.argv[1:2] == ["all"]:  # this benchmark alone: python benchmarks/bench_gemini.py all
        sys.path.insert(0, str(Path(__file__).parent))
        from run import table

        print(table(run()))
        raise SystemExit(0)

    for name, value in ENV.items():  # also when a worker is started by hand
        os.environ.setdefault(name, value)
    tool_name, pair_count, block_size, seed_value = sys.argv[1:5]
    print(json.dumps(worker(tool_name, int(pair_count), int(block_size), float(seed_value))))
