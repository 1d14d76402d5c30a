"""Latency each Anthropic instrumentation adds to a call, against the same fake endpoint.

The method of ``bench_openai.py``: each tool runs in worker processes of its own (only
that tool is ever imported), workers run round-robin in a shuffled order each round,
and inside a worker bare and instrumented blocks alternate, for every case in turn
(shuffled each pass). A pair's figure is median(instrumented call) - median(bare call),
in microseconds; a worker's figure is the median over its pairs, and the table gives
the median over rounds and its spread. The SDK talks to ``examples/fake_anthropic.py``
through an in-process transport (loopback jitter is larger than what is measured).

Every worker runs with ``ANTHROPIC_OPEN_TELEMETRY=false``: recent SDKs start a span of
their own for each API call on the global provider, which the bare calls and the peers
would otherwise pay for (spanwise suppresses that span while it records a call). Content
capture is on for every tool but "spanwise, content off"; all export into spanwise's
provider, traces kept in memory.

The official OTel instrumentation (``opentelemetry-instrumentation-genai-anthropic``)
needs ``opentelemetry-util-genai>=1.3b0``, with which the official OpenAI one pinned for
``bench_openai.py`` does not import, so it is not in the ``bench`` extra: it is measured
when ``SPANWISE_BENCH_GENAI_PYTHON`` names an interpreter of a venv that has it (and
spanwise, and the same SDK), and reported as not measured otherwise.

    python benchmarks/bench_anthropic.py all        # this benchmark alone
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

from _anthropic_yardstick import MODEL, _yardstick
from _harness import per_call

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples")

Toggle = tuple[Callable[[], None], Callable[[], None]]

CHUNKS = 50  # the fake splits the answer's 49 characters: 49 text deltas, 54 events
CASES = ("plain", "50-chunk stream", "tool use", "stream() helper")

# Every worker's environment (the official instrumentation needs the opt-in, and rejects
# "true", to record content; OpenLLMetry reads its own variable; OpenInference records
# content by default).
ENV = {
    "ANTHROPIC_OPEN_TELEMETRY": "false",
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY",
    "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
    "TRACELOOP_TRACE_CONTENT": "true",
    "SPANWISE_TRACKING_URI": "none",  # the same pipeline under every tool, in memory
}
GENAI_PYTHON_ENV = "SPANWISE_BENCH_GENAI_PYTHON"


SPANWISE = "spanwise"
CONTENT_OFF = "spanwise, content off"
OPENLLMETRY = "OpenLLMetry"
OPENINFERENCE = "OpenInference"
OFFICIAL = "official OTel genai-anthropic"
REFERENCE = "yardstick: SDK span (+ pass-through stream proxy)"


def _spanwise() -> Toggle:
    import spanwise

    return (spanwise.anthropic.autolog, lambda: spanwise.anthropic.autolog(disable=True))


def _instrumentor(module: str) -> Callable[[], Toggle]:
    def make() -> Toggle:
        import importlib

        from opentelemetry import trace

        instrumentor = importlib.import_module(module).AnthropicInstrumentor()
        provider = trace.get_tracer_provider()
        return (
            lambda: instrumentor.instrument(tracer_provider=provider),
            instrumentor.uninstrument,
        )

    return make


# tool: (toggle factory, distribution whose version is reported, environment on top of ENV)
PEERS: dict[str, tuple[Callable[[], Toggle], str, dict[str, str]]] = {
    SPANWISE: (_spanwise, "spanwise", {}),
    CONTENT_OFF: (
        _spanwise,
        "spanwise",
        {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "NO_CONTENT"},
    ),
    OPENLLMETRY: (
        _instrumentor("opentelemetry.instrumentation.anthropic"),
        "opentelemetry-instrumentation-anthropic",
        {},
    ),
    OPENINFERENCE: (
        _instrumentor("openinference.instrumentation.anthropic"),
        "openinference-instrumentation-anthropic",
        {},
    ),
    OFFICIAL: (
        _instrumentor("opentelemetry.instrumentation.genai.anthropic"),
        "opentelemetry-instrumentation-genai-anthropic",
        {},
    ),
    REFERENCE: (_yardstick, "opentelemetry-sdk", {}),
}
NOT_PEERS = (SPANWISE, CONTENT_OFF, REFERENCE)


def _cases(client: Any) -> dict[str, Callable[[], None]]:
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    tools = [
        {
            "name": "get_weather",
            "description": "Weather",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ]

    def create(**kwargs: Any) -> Any:  # looked up each call: the tools patch the class
        return client.messages.create(**kwargs)

    def plain() -> None:
        create(model=MODEL, max_tokens=256, messages=messages)

    def stream() -> None:
        for _ in create(
            model=MODEL,
            max_tokens=256,
            messages=messages,
            stream=True,
            extra_body={"x_chunks": CHUNKS},
        ):
            pass

    def tool_use() -> None:
        create(model=MODEL, max_tokens=256, messages=messages, tools=tools)

    def helper() -> None:
        with client.messages.stream(
            model=MODEL, max_tokens=256, messages=messages, extra_body={"x_chunks": CHUNKS}
        ) as events:
            for _ in events.text_stream:
                pass

    return dict(zip(CASES, (plain, stream, tool_use, helper), strict=True))


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter."""
    import anthropic

    sys.path.insert(0, EXAMPLES)
    from fake_anthropic import mock_http_client

    return anthropic.Anthropic(
        base_url="http://fake.local",
        api_key="sk-ant-bench",
        max_retries=0,
        http_client=mock_http_client(),
    )


def worker(tool: str, pairs: int, block: int, seed: float) -> dict[str, Any]:
    """In a process of its own (only this tool is ever loaded): ``pairs`` passes over the
    cases in a shuffled order, each a block of bare calls then a block of instrumented
    ones. Returns, per case, each pair's figure (us), and the bare call's median (us)."""
    import importlib.metadata

    factory, distribution, _ = PEERS[tool]
    on, off = factory()  # a tool that does not import fails here, before the rest
    import spanwise  # sets up the provider every tool exports to

    spanwise.trace(lambda: None)()
    cases = _cases(_client())
    for call in cases.values():
        for _ in range(20):
            call()
    on()
    for call in cases.values():
        for _ in range(20):
            call()
    off()
    rng = random.Random(seed)
    names = list(cases)
    added: dict[str, list[float]] = {name: [] for name in names}
    bare: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(pairs):
        rng.shuffle(names)
        for name in names:
            extra, base = pair(cases[name], (on, off), block)
            added[name].append(extra)
            bare[name].append(base)
    return {
        "version": importlib.metadata.version(distribution),
        "added": added,
        "bare": {name: statistics.median(values) for name, values in bare.items()},
    }


def pair(call: Callable[[], None], toggle: Toggle, block: int) -> tuple[float, float]:
    """A block of bare calls, then one with the tool on: median instrumented call minus
    median bare call, and the median bare call (us)."""
    on, off = toggle
    bare = per_call(call, block)
    on()
    try:
        traced = per_call(call, block)
    finally:
        off()
    base = statistics.median(bare)
    return statistics.median(traced) - base, base


def _python(tool: str) -> str:
    if tool == OFFICIAL:
        return os.environ.get(GENAI_PYTHON_ENV) or sys.executable
    return sys.executable


def measure(
    rounds: int = 4, pairs: int = 8, block: int = 20, budget_s: float = 170.0, seed: int = 11
) -> tuple[
    dict[tuple[str, str], list[float]], dict[str, list[float]], dict[str, str], dict[str, Any]
]:
    """Every tool in worker processes, round-robin, each round in a shuffled order. A
    round is not started when the rounds so far say it would end past ``budget_s``."""
    import json
    import subprocess

    rng = random.Random(seed)
    figures: dict[tuple[str, str], list[float]] = {}
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


def key_ratios(figures: dict[tuple[str, str], list[float]], tool: str) -> dict[str, Any]:
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
        version = info["versions"].get(tool, "")
        row: dict[str, Any] = {"tool": f"{tool} {version}".strip()}
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

    if sys.argv[1:2] == ["all"]:  # this benchmark alone: python benchmarks/bench_anthropic.py all
        sys.path.insert(0, str(Path(__file__).parent))
        from run import table

        print(table(run()))
        raise SystemExit(0)

    for name, value in ENV.items():  # also when a worker is started by hand
        os.environ.setdefault(name, value)
    tool_name, pair_count, block_size, seed_value = sys.argv[1:5]
    print(json.dumps(worker(tool_name, int(pair_count), int(block_size), float(seed_value))))
