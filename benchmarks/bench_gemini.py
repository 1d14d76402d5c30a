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
    python benchmarks/bench_gemini.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import _provider_bench as pb
from _yardstick import chat_attributes, patching, span_around

MODEL = "gemini-2.5-flash"
STREAM_MODEL = f"{MODEL}@49"  # the fake streams the 49-character answer in 49 pieces
CASES = ("plain", "49-chunk stream")
METHODS = ("generate_content", "generate_content_stream")
OFFICIAL = "official OTel google-genai"


def _yardstick() -> pb.Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream passes through a proxy that only ends the span."""
    from google.genai import models

    sys.path.insert(0, pb.EXAMPLES)
    from fake_gemini import RESPONSE_ID, TEXT

    start, end, stream_start, stream_end = chat_attributes(
        operation="generate_content",
        provider="gcp.gemini",
        model=MODEL,
        stream_model=STREAM_MODEL,
        response_id=RESPONSE_ID,
        text=TEXT,
    )
    return patching(
        [
            (models.Models, METHODS[0], span_around(start, end)),
            (models.Models, METHODS[1], span_around(stream_start, stream_end, streams=True)),
        ]
    )


def _peer(module: str, name: str, distribution: str, python_env: str | None = None) -> pb.Peer:
    # skip_dep_check: the official instrumentation declares google-genai < 3.
    return pb.Peer(pb.instrumentor(module, name, skip_dep_check=True), distribution, {}, python_env)


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("gemini"),
    OFFICIAL: _peer(
        "opentelemetry.instrumentation.google_genai",
        "GoogleGenAiSdkInstrumentor",
        "opentelemetry-instrumentation-google-genai",
        pb.GENAI_PYTHON_ENV,
    ),
    pb.OPENLLMETRY: _peer(
        "opentelemetry.instrumentation.google_generativeai",
        "GoogleGenerativeAiInstrumentor",
        "opentelemetry-instrumentation-google-generativeai",
    ),
    pb.OPENINFERENCE: _peer(
        "openinference.instrumentation.google_genai",
        "GoogleGenAIInstrumentor",
        "openinference-instrumentation-google-genai",
    ),
    pb.REFERENCE: pb.Peer(_yardstick, "opentelemetry-sdk"),
}


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter."""
    from google import genai

    sys.path.insert(0, pb.EXAMPLES)
    from fake_gemini import respond
    from fake_server import mock_client  # httpx2 where installed, as google-genai 3.x uses

    transport = mock_client(respond)
    return genai.Client(
        api_key="gemini-bench",
        http_options={"base_url": "http://fake.local/", "httpx_client": transport},
    )


def _paired() -> Callable[[], dict[str, tuple[pb.Call, pb.Call]]]:
    """Keeps the SDK's own functions (before any tool patches them); the returned
    function gives per case (the instrumented call, the bare call)."""
    from google.genai import models

    own = {name: vars(models.Models)[name] for name in METHODS}

    def cases() -> dict[str, tuple[pb.Call, pb.Call]]:
        client = _client()
        contents = "Weather in Paris?"
        resource = client.models

        def plain() -> None:
            client.models.generate_content(model=MODEL, contents=contents)

        def plain_bare() -> None:
            own[METHODS[0]](resource, model=MODEL, contents=contents)

        def stream() -> None:
            for _ in client.models.generate_content_stream(model=STREAM_MODEL, contents=contents):
                pass

        def stream_bare() -> None:
            for _ in own[METHODS[1]](resource, model=STREAM_MODEL, contents=contents):
                pass

        return dict(zip(CASES, ((plain, plain_bare), (stream, stream_bare)), strict=True))

    return cases


BENCH = pb.ProviderBench(__file__, CASES, PEERS, pb.CONTENT_ENV, seed=13, paired=_paired)
run = BENCH.run  # what benchmarks/run.py calls


if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
