"""Latency each LlamaIndex instrumentation adds to an agent run, on a fake backend.

``_framework_bench``'s agent (one tool call, two model calls) as LlamaIndex's
``FunctionAgent`` over ``llama-index-llms-openai`` (non-streaming: the fake answers tool
calls in whole responses), the OpenAI SDK on an in-process transport to
``examples/fake_openai.py``; the method of ``bench_langchain.py`` (``_provider_bench``'s
toggled one). Peers: OpenInference's ``openinference-instrumentation-llama-index`` and
OpenLLMetry's ``opentelemetry-instrumentation-llamaindex``; the yardstick is
``_framework_bench``'s (a span per run, model call and tool call). Content capture is on
for every tool but "spanwise, content off"; all export into spanwise's provider. LlamaIndex's
OpenAI LLM needs openai<3: workers run with ``SPANWISE_BENCH_FRAMEWORKS_PYTHON`` (see
``_framework_bench``).

    python benchmarks/bench_llama_index.py all        # this benchmark alone
    python benchmarks/bench_llama_index.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys

import _framework_bench as fb
import _provider_bench as pb

CASES = ("FunctionAgent, one tool call",)

PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("llama_index"),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.llama_index", "LlamaIndexInstrumentor"),
        "openinference-instrumentation-llama-index",
    ),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.llamaindex", "LlamaIndexInstrumentor"),
        "opentelemetry-instrumentation-llamaindex",
    ),
}


def _scenarios() -> dict[str, pb.Call]:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.llms.openai import OpenAI

    llm = OpenAI(
        model=fb.MODEL,
        api_base=fb.BASE_URL,
        api_key=fb.API_KEY,
        max_retries=0,
        http_client=fb.http_client(),
        async_http_client=fb.http_client(asynchronous=True),
    )
    agent = FunctionAgent(
        name="weather",
        description="Knows the weather.",
        tools=[fb.get_weather],
        llm=llm,
        system_prompt="You report the weather.",
        streaming=False,
    )

    async def ask() -> None:
        await agent.run(user_msg=fb.QUESTION)  # the handler is created inside the loop

    return {CASES[0]: fb.run_sync(ask)}


BENCH = fb.framework_bench(__file__, CASES, PEERS, _scenarios, seed=41)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
