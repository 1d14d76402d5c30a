"""Latency each AutoGen AgentChat instrumentation adds to an agent run, on a fake backend.

``_framework_bench``'s agent (one tool call, two model calls) as AgentChat 0.7's
``AssistantAgent`` with one tool and ``reflect_on_tool_use=True`` over autogen-ext's
``OpenAIChatCompletionClient``, its OpenAI SDK client on an in-process transport to
``examples/fake_openai.py``. The method of ``bench_langchain.py`` (``_provider_bench``'s
toggled one). Peer: OpenInference's ``openinference-instrumentation-autogen-agentchat``
(OpenLLMetry has no AgentChat instrumentation); the yardstick is ``_framework_bench``'s.
Content capture is on for every tool but "spanwise, content off"; AutoGen's own runtime
tracing is off in every worker (``AUTOGEN_DISABLE_RUNTIME_TRACING``). autogen-core pins
protobuf 5: workers run with ``SPANWISE_BENCH_FRAMEWORKS_PYTHON`` (see ``_framework_bench``).

    python benchmarks/bench_autogen_agentchat.py all        # this benchmark alone
    python benchmarks/bench_autogen_agentchat.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from typing import Any

import _framework_bench as fb
import _provider_bench as pb

CASES = ("AssistantAgent, one tool call",)

PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("autogen_agentchat"),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor(
            "openinference.instrumentation.autogen_agentchat", "AutogenAgentChatInstrumentor"
        ),
        "openinference-instrumentation-autogen-agentchat",
    ),
}

MODEL_INFO = {
    "vision": False,
    "function_calling": True,
    "json_output": True,
    "family": "unknown",
    "structured_output": True,
}


def agent() -> object:
    """The weather agent on the fake (also what ``examples`` scripts may reuse)."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    client = OpenAIChatCompletionClient(
        model=fb.MODEL,
        base_url=fb.BASE_URL,
        api_key=fb.API_KEY,
        model_info=MODEL_INFO,  # type: ignore[arg-type]
        max_retries=0,
        http_client=fb.http_client(asynchronous=True),
    )
    return AssistantAgent(
        "weather",
        model_client=client,
        tools=[fb.get_weather],
        description="Knows the weather",
        reflect_on_tool_use=True,
    )


def _scenarios() -> dict[str, pb.Call]:
    from autogen_core import CancellationToken

    weather: Any = agent()

    async def ask() -> None:
        # The agent keeps its history across runs: without a reset every run would be longer
        # than the last, and from the second on the fake would answer without the tool.
        await weather.on_reset(CancellationToken())
        await weather.run(task=fb.QUESTION)

    return {CASES[0]: fb.run_sync(ask)}


BENCH = fb.framework_bench(__file__, CASES, PEERS, _scenarios, seed=53)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
