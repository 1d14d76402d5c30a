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
    python benchmarks/bench_anthropic.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import _provider_bench as pb
from _anthropic_yardstick import MODEL, _yardstick

CHUNKS = 50  # the fake splits the answer's 49 characters: 49 text deltas, 54 events
CASES = ("plain", "50-chunk stream", "tool use", "stream() helper")
ENV = {"ANTHROPIC_OPEN_TELEMETRY": "false", **pb.CONTENT_ENV}
OFFICIAL = "official OTel genai-anthropic"


def _instrumentor(module: str) -> Callable[[], pb.Toggle]:
    return pb.instrumentor(module, "AnthropicInstrumentor")


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("anthropic"),
    pb.OPENLLMETRY: pb.Peer(
        _instrumentor("opentelemetry.instrumentation.anthropic"),
        "opentelemetry-instrumentation-anthropic",
    ),
    pb.OPENINFERENCE: pb.Peer(
        _instrumentor("openinference.instrumentation.anthropic"),
        "openinference-instrumentation-anthropic",
    ),
    OFFICIAL: pb.Peer(
        _instrumentor("opentelemetry.instrumentation.genai.anthropic"),
        "opentelemetry-instrumentation-genai-anthropic",
        python_env=pb.GENAI_PYTHON_ENV,
    ),
    pb.REFERENCE: pb.Peer(_yardstick, "opentelemetry-sdk"),
}


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

    sys.path.insert(0, pb.EXAMPLES)
    from fake_anthropic import mock_http_client

    return anthropic.Anthropic(
        base_url="http://fake.local",
        api_key="sk-ant-bench",
        max_retries=0,
        http_client=mock_http_client(),
    )


BENCH = pb.ProviderBench(__file__, CASES, PEERS, ENV, seed=11, toggled=lambda: _cases(_client()))
run = BENCH.run  # what benchmarks/run.py calls


if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
