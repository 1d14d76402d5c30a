"""Latency each Groq instrumentation adds to a call, against the same fake endpoint.

The method of ``bench_mistral.py`` (``_provider_bench``'s paired one): each tool runs in
worker processes of its own (only that tool is ever imported), workers run round-robin
in a shuffled order each round; inside a worker each pair is one instrumented call and
one bare call (the SDK's own ``Completions.create``, kept before the tool patched it, on
the same client) in a random order, a pair's figure their difference in microseconds, a
block's the median of its pairs', a worker's the median of its blocks', and the table
the median over rounds and its spread. The SDK (groq) talks to ``examples/fake_openai.py``
(which serves Groq's ``/openai/v1/chat/completions``, streams with Groq's ``x_groq``
extension, usage in the last chunk) through an in-process httpx transport, so loopback
jitter stays out.

Cases: ``chat.completions.create`` (plain) and ``stream=True`` of a 49-character answer
in 49 text deltas (51 chunks: the role, the deltas, the finish reason). Peers: OpenLLMetry's
``opentelemetry-instrumentation-groq`` and OpenInference's
``openinference-instrumentation-groq``. Content capture is on for every tool but
"spanwise, content off"; all export into spanwise's provider, traces kept in memory.

    python benchmarks/bench_groq.py all        # this benchmark alone
    python benchmarks/bench_groq.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import _provider_bench as pb
from _yardstick import chat_completions, patching

MODEL = "llama-3.3-70b-versatile"
CHUNKS = 49  # one text delta a character of the fake's 49-character answer
CASES = ("plain", "51-chunk stream")


def _yardstick() -> pb.Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream passes through a proxy that only ends the span."""
    from groq.resources.chat import completions

    wrapper = chat_completions(
        "groq",
        MODEL,
        **{"gen_ai.usage.cache_read.input_tokens": 4, "gen_ai.usage.reasoning.output_tokens": 2},
    )
    return patching([(completions.Completions, "create", wrapper)])


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("groq"),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.groq", "GroqInstrumentor"),
        "opentelemetry-instrumentation-groq",
    ),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.groq", "GroqInstrumentor"),
        "openinference-instrumentation-groq",
    ),
    pb.REFERENCE: pb.Peer(_yardstick, "opentelemetry-sdk"),
}


def _client() -> Any:
    """The SDK on an in-process transport: what is measured is the SDK and the
    instrumentation, not loopback jitter."""
    import groq
    import httpx  # groq's own, whatever httpx2 is installed beside it

    sys.path.insert(0, pb.EXAMPLES)
    from fake_openai import respond

    def handler(request: Any) -> Any:
        status, content_type, data = respond(request.url.path, json.loads(request.content))
        return httpx.Response(status, headers={"content-type": content_type}, content=data)

    transport = httpx.Client(transport=httpx.MockTransport(handler))
    return groq.Groq(
        base_url="http://fake.local", api_key="gsk-bench", max_retries=0, http_client=transport
    )


def _paired() -> Callable[[], dict[str, tuple[pb.Call, pb.Call]]]:
    """Keeps the SDK's own function (before any tool patches it); the returned function
    gives per case (the instrumented call, the bare call)."""
    from groq.resources.chat import completions

    create = vars(completions.Completions)["create"]

    def cases() -> dict[str, tuple[pb.Call, pb.Call]]:
        client = _client()
        resource = client.chat.completions
        plain_args: dict[str, Any] = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
        }
        stream_args = {**plain_args, "stream": True, "extra_body": {"x_chunks": CHUNKS}}

        def plain() -> None:
            client.chat.completions.create(**plain_args)

        def plain_bare() -> None:
            create(resource, **plain_args)

        def stream() -> None:
            for _ in client.chat.completions.create(**stream_args):
                pass

        def stream_bare() -> None:
            for _ in create(resource, **stream_args):
                pass

        return dict(zip(CASES, ((plain, plain_bare), (stream, stream_bare)), strict=True))

    return cases


BENCH = pb.ProviderBench(__file__, CASES, PEERS, pb.CONTENT_ENV, seed=17, paired=_paired)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
