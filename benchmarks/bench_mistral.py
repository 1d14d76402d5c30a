"""Latency each Mistral instrumentation adds to a call, against the same fake endpoint.

As ``bench_anthropic.py``, each tool runs in worker processes of its own (only that tool
is ever imported), workers run round-robin in a shuffled order each round. The SDK is
slow (about 9 ms a plain call and 1 ms an event here: it builds a pydantic model class
per response), so blocks of bare calls beside blocks of instrumented ones cannot see
tens of microseconds through its jitter. Inside a worker the tool stays on, and each
pair is one instrumented call (``client.chat.complete``) and one bare call (the SDK's
own function, kept before the tool patched it, on the same client), in a random
order: a pair's figure is their difference in microseconds, a block's the median of
its pairs', a worker's the median of its blocks', and the table gives the median over
rounds and its spread. The SDK talks to ``examples/fake_mistral.py`` through an
in-process transport (loopback jitter is larger than what is measured).

Cases: ``chat.complete`` (plain) and ``chat.stream`` of a 49-character answer in 49
text deltas (51 events). Peers are measured where they import beside the installed
mistralai: OpenLLMetry's ``opentelemetry-instrumentation-mistralai`` reads
``mistralai.models``, which the SDK moved to ``mistralai.client`` in 2.0, so beside a
2.x/3.x SDK it is reported as not measured. Every worker runs with
``MISTRAL_SDK_TELEMETRY=false`` (the SDK's own tracing off, as it is by default in 3.x).
Content capture is on for every tool but "spanwise, content off"; all export into
spanwise's provider, traces kept in memory.

    python benchmarks/bench_mistral.py all        # this benchmark alone
    python benchmarks/bench_mistral.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import _provider_bench as pb
from _yardstick import chat_attributes, patching, span_around

MODEL = "mistral-small-latest"
STREAM_MODEL = f"{MODEL}@50"  # the fake streams the 49-character answer in 49 deltas
CASES = ("plain", "50-chunk stream")
ENV = {"MISTRAL_SDK_TELEMETRY": "false", **pb.CONTENT_ENV}


def _yardstick() -> pb.Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream passes through a proxy that only ends the span. A
    yardstick, not a peer: the part of every tool's figure that is the OpenTelemetry
    SDK's and the proxy's."""
    sys.path.insert(0, pb.EXAMPLES)
    from fake_mistral import RESPONSE_ID, TEXT, mistral_sdk

    start, end, stream_start, stream_end = chat_attributes(
        operation="chat",
        provider="mistral_ai",
        model=MODEL,
        stream_model=STREAM_MODEL,
        response_id=RESPONSE_ID,
        text=TEXT,
        stream_response_model=STREAM_MODEL,
    )
    chat = mistral_sdk().Chat
    return patching(
        [
            (chat, "complete", span_around(start, end)),
            (chat, "stream", span_around(stream_start, stream_end, streams=True)),
        ]
    )


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("mistralai"),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.mistralai", "MistralAiInstrumentor"),
        "opentelemetry-instrumentation-mistralai",
    ),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.mistralai", "MistralAIInstrumentor"),
        "openinference-instrumentation-mistralai",
    ),
    pb.REFERENCE: pb.Peer(_yardstick, "opentelemetry-sdk"),
}


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter."""
    sys.path.insert(0, pb.EXAMPLES)
    from fake_mistral import mistral_sdk, mock_http_client

    return mistral_sdk().Mistral(
        api_key="mistral-bench", server_url="http://fake.local", client=mock_http_client()
    )


def _paired() -> Callable[[], dict[str, tuple[pb.Call, pb.Call]]]:
    """Keeps the SDK's own functions (before any tool patches them); the returned
    function gives per case (the instrumented call, the bare call)."""
    sys.path.insert(0, pb.EXAMPLES)
    from fake_mistral import mistral_sdk

    chat = {name: vars(mistral_sdk().Chat)[name] for name in ("complete", "stream")}

    def cases() -> dict[str, tuple[pb.Call, pb.Call]]:
        client = _client()
        messages = [{"role": "user", "content": "Weather in Paris?"}]
        resource = client.chat

        def plain() -> None:
            client.chat.complete(model=MODEL, messages=messages)

        def plain_bare() -> None:
            chat["complete"](resource, model=MODEL, messages=messages)

        def stream() -> None:
            for _ in client.chat.stream(model=STREAM_MODEL, messages=messages):
                pass

        def stream_bare() -> None:
            for _ in chat["stream"](resource, model=STREAM_MODEL, messages=messages):
                pass

        return dict(zip(CASES, ((plain, plain_bare), (stream, stream_bare)), strict=True))

    return cases


BENCH = pb.ProviderBench(__file__, CASES, PEERS, ENV, seed=13, paired=_paired)
run = BENCH.run  # what benchmarks/run.py calls


if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
