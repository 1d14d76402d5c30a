"""Latency each Amazon Bedrock instrumentation adds to a boto3 call, against the same
fake endpoint.

As ``bench_mistral.py``: each tool runs in worker processes of its own (only that tool
is ever imported), workers run round-robin in a shuffled order each round; inside a
worker each pair is one instrumented call (``client.converse(...)``) and one bare call
(botocore's own ``BaseClient._make_api_call``, kept before the tool patched anything, on
the same client) in a random order, a pair's figure their difference in microseconds,
a block's the median of its pairs', a worker's the median of its blocks', and the table
the median over rounds and its spread. boto3 runs its whole stack (parameter
validation, signing with fake credentials, parsing, the event-stream decoder) and gets
its answers from ``examples/fake_bedrock.py`` in process, through botocore's own
``before-send`` event (no socket: loopback jitter stays out). Clients are made after the
tool is on (OpenLLMetry and OpenInference wrap the clients ``create_client`` makes).

Cases: ``converse`` (plain) and ``converse_stream`` of a 42-character answer in 42 text
deltas (46 events). Peers: OpenLLMetry's ``opentelemetry-instrumentation-bedrock``,
OpenInference's ``openinference-instrumentation-bedrock`` and the official
``opentelemetry-instrumentation-botocore`` (its Bedrock Runtime extension; it also traces
every other AWS call). Content capture is on for every tool but "spanwise, content off";
all export into spanwise's provider, traces kept in memory.

    python benchmarks/bench_bedrock.py all        # this benchmark alone
    python benchmarks/bench_bedrock.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import _provider_bench as pb
from _harness import pass_through
from _yardstick import patching

MODEL = "amazon.nova-lite-v1:0"
STREAM_MODEL = f"{MODEL}@50"  # the fake streams its 42-character answer a character a delta
CASES = ("plain", "46-event stream")
OFFICIAL = "official OTel botocore"
MESSAGES = [{"role": "user", "content": [{"text": "Weather in Paris?"}]}]


def _attributes(model: str, stream: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """What spanwise records for the case, precomputed: (start, end)."""
    sys.path.insert(0, pb.EXAMPLES)
    from fake_bedrock import TEXT

    start: dict[str, Any] = {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.provider.name": "aws.bedrock",
        "server.address": "fake.local",
        "server.port": 80,
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":'
        '"Weather in Paris?"}]}]',
    }
    end: dict[str, Any] = {
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"'
        + TEXT
        + '"}],"finish_reason":"stop"}]',
    }
    if stream:
        start["gen_ai.request.stream"] = True
        end["gen_ai.response.time_to_first_chunk"] = 0.001
    return start, end


def _yardstick() -> pb.Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream's events pass through a proxy that only ends the span."""
    from botocore.client import BaseClient
    from opentelemetry import context, trace

    tracer = trace.get_tracer("sdk-span-only")
    cases = {
        "Converse": _attributes(MODEL, False),
        "ConverseStream": _attributes(STREAM_MODEL, True),
    }

    def call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        picked = cases.get(args[0])
        if picked is None:
            return wrapped(*args, **kwargs)
        start, end = picked
        name = f"chat {start['gen_ai.request.model']}"
        span = tracer.start_span(name, kind=trace.SpanKind.CLIENT, attributes=dict(start))
        token = context.attach(trace.set_span_in_context(span))
        try:
            result = wrapped(*args, **kwargs)
        finally:
            context.detach(token)
        if "stream" in result:
            result["stream"] = pass_through(iter(result["stream"]), span, end)
            return result
        span.set_attributes(end)
        span.end()
        return result

    return patching([(BaseClient, "_make_api_call", call)])


PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("bedrock"),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.bedrock", "BedrockInstrumentor"),
        "opentelemetry-instrumentation-bedrock",
    ),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.bedrock", "BedrockInstrumentor"),
        "openinference-instrumentation-bedrock",
    ),
    # The botocore extension reads the content switch as a boolean.
    OFFICIAL: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.botocore", "BotocoreInstrumentor"),
        "opentelemetry-instrumentation-botocore",
        {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"},
    ),
    pb.REFERENCE: pb.Peer(_yardstick, "opentelemetry-sdk"),
}


class _Raw:
    """The raw HTTP body botocore reads (``stream()`` for event streams and content)."""

    def __init__(self, data: bytes) -> None:
        import io

        self._body = io.BytesIO(data)

    def stream(self, amt: int = 1024, decode_content: Any = None) -> Any:
        while chunk := self._body.read(amt):
            yield chunk

    def read(self, amt: int | None = None, decode_content: Any = None) -> bytes:
        return self._body.read(amt) if amt else self._body.read()

    def close(self) -> None:
        pass


def _client() -> Any:
    """A bedrock-runtime client whose requests the fake answers in process, through
    botocore's ``before-send`` event: signed, sent nowhere, parsed as usual."""
    import json
    from urllib.parse import urlsplit

    import boto3
    from botocore.awsrequest import AWSResponse

    sys.path.insert(0, pb.EXAMPLES)
    from fake_bedrock import respond

    def answer(request: Any, **_: Any) -> Any:
        status, headers, data = respond(urlsplit(request.url).path, json.loads(request.body))
        return AWSResponse(request.url, status, headers, _Raw(data))

    client = boto3.client(
        "bedrock-runtime",
        endpoint_url="http://fake.local",
        region_name="us-east-1",
        aws_access_key_id="AKIAFAKEBENCH0000001",
        aws_secret_access_key="bench-secret",
    )
    client.meta.events.register("before-send.bedrock-runtime", answer)
    return client


def _paired() -> Callable[[], dict[str, tuple[pb.Call, pb.Call]]]:
    """Keeps botocore's own ``_make_api_call`` (before any tool patches it); the returned
    function gives per case (the instrumented call, the bare call)."""
    from botocore.client import BaseClient

    bare = vars(BaseClient)["_make_api_call"]

    def cases() -> dict[str, tuple[pb.Call, pb.Call]]:
        client = _client()  # made with the tool on

        def plain() -> None:
            client.converse(modelId=MODEL, messages=MESSAGES)

        def plain_bare() -> None:
            bare(client, "Converse", {"modelId": MODEL, "messages": MESSAGES})

        def stream() -> None:
            for _ in client.converse_stream(modelId=STREAM_MODEL, messages=MESSAGES)["stream"]:
                pass

        def stream_bare() -> None:
            params = {"modelId": STREAM_MODEL, "messages": MESSAGES}
            for _ in bare(client, "ConverseStream", params)["stream"]:
                pass

        return dict(zip(CASES, ((plain, plain_bare), (stream, stream_bare)), strict=True))

    return cases


BENCH = pb.ProviderBench(__file__, CASES, PEERS, pb.CONTENT_ENV, seed=17, paired=_paired)
run = BENCH.run  # what benchmarks/run.py calls


if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
