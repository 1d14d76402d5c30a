"""Latency each LiteLLM instrumentation adds to a call, against the same fake endpoint.

The method of ``bench_mistral.py`` (``_provider_bench``'s paired one): each tool runs in
worker processes of its own (only that tool is ever imported), workers run round-robin
in a shuffled order each round; inside a worker each pair is one instrumented call
(``litellm.completion``) and one bare call (LiteLLM's own function, kept before the tool
patched it) in a random order, a pair's figure their difference in microseconds, a
block's the median of its pairs', a worker's the median of its blocks', and the table
the median over rounds and its spread. LiteLLM routes ``openai/gpt-4o-mini`` to the
OpenAI SDK, given a client (``client=``) on an in-process httpx transport to
``examples/fake_openai.py``, so loopback jitter stays out. LiteLLM itself costs about a
millisecond a call here: tens of microseconds are near its jitter, hence the pairs.

Cases: a plain completion and ``stream=True`` of a 49-character answer in 49 text deltas
(51 chunks). Peers: OpenLLMetry's ``opentelemetry-instrumentation-litellm`` and
OpenInference's ``openinference-instrumentation-litellm``. LiteLLM's own
``callbacks=["otel"]`` is not measured: it logs after the call, partly on another thread,
so pairs do not see its cost. Content capture is on for every tool but "spanwise,
content off"; all export into spanwise's provider, traces kept in memory. Every worker
runs with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (no network at import).

    python benchmarks/bench_litellm.py all        # this benchmark alone
    python benchmarks/bench_litellm.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import _provider_bench as pb
from _yardstick import chat_attributes, patching, span_picking

MODEL = "gpt-4o-mini"
CHUNKS = 49  # one text delta a character of the fake's 49-character answer
CASES = ("plain", "51-chunk stream")
ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", **pb.CONTENT_ENV}


def _yardstick() -> pb.Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream passes through a proxy that only ends the span."""
    import litellm

    sys.path.insert(0, pb.EXAMPLES)
    from fake_openai import TEXT

    start, end, stream_start, stream_end = chat_attributes(
        operation="chat",
        provider="openai",
        model=MODEL,
        stream_model=MODEL,
        response_id="chatcmpl-123",
        text=TEXT,
    )
    end["gen_ai.response.model"] = f"{MODEL}-2024-07-18"  # the fake's answer
    plain, streamed = (start, end, False), (stream_start, stream_end, True)

    def pick(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
        return streamed if kwargs.get("stream") else plain

    return patching([(litellm, "completion", span_picking(pick))])


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("litellm"),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.litellm", "LiteLLMInstrumentor"),
        "opentelemetry-instrumentation-litellm",
    ),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.litellm", "LiteLLMInstrumentor"),
        "openinference-instrumentation-litellm",
    ),
    pb.REFERENCE: pb.Peer(_yardstick, "opentelemetry-sdk"),
}


def _client() -> Any:
    """The OpenAI SDK LiteLLM calls, on an in-process transport."""
    sys.path.insert(0, pb.EXAMPLES)
    import openai

    from fake_openai import mock_http_client

    return openai.OpenAI(
        base_url="http://fake.local/v1",
        api_key="sk-bench",
        max_retries=0,
        http_client=mock_http_client(),
    )


def _paired() -> Callable[[], dict[str, tuple[pb.Call, pb.Call]]]:
    """Keeps LiteLLM's own function (before any tool patches it); the returned function
    gives per case (the instrumented call, the bare call)."""
    import litellm

    litellm.suppress_debug_info = True
    completion = vars(litellm)["completion"]

    def cases() -> dict[str, tuple[pb.Call, pb.Call]]:
        client = _client()
        plain_args: dict[str, Any] = {
            "model": f"openai/{MODEL}",
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
            "client": client,
            "api_base": "http://fake.local/v1",
            "api_key": "sk-bench",
        }
        stream_args = {**plain_args, "stream": True, "extra_body": {"x_chunks": CHUNKS}}

        def plain() -> None:
            litellm.completion(**plain_args)

        def plain_bare() -> None:
            completion(**plain_args)

        def stream() -> None:
            for _ in litellm.completion(**stream_args):
                pass

        def stream_bare() -> None:
            for _ in completion(**stream_args):
                pass

        return dict(zip(CASES, ((plain, plain_bare), (stream, stream_bare)), strict=True))

    return cases


BENCH = pb.ProviderBench(__file__, CASES, PEERS, ENV, seed=23, paired=_paired)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
