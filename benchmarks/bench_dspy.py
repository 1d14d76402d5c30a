"""Latency each DSPy instrumentation adds to an agent run, on a fake backend.

``_framework_bench``'s agent (one tool call, two model calls) as ``dspy.ReAct`` with one
tool and ``max_iters=1``: the ReAct step asks for ``get_weather``, the tool runs, and the
extraction step answers. ``dspy.LM`` goes through LiteLLM to the OpenAI SDK, on an in-process transport (``litellm.client_session``) answering in DSPy's ChatAdapter format (the
text fields ``[[ ## name ## ]]``; ``examples/fake_openai.py`` answers tool calls the native
way, which DSPy's adapters do not read). The method of ``bench_langchain.py``
(``_provider_bench``'s toggled one). Peer: OpenInference's
``openinference-instrumentation-dspy`` (OpenLLMetry has no DSPy instrumentation); the
yardstick is ``_framework_bench``'s. Content capture is on for every tool but "spanwise,
content off"; all export into spanwise's provider. Workers run with
``SPANWISE_BENCH_FRAMEWORKS_PYTHON`` (see ``_framework_bench``).

    python benchmarks/bench_dspy.py all        # this benchmark alone
    python benchmarks/bench_dspy.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import json
import sys
from inspect import signature
from typing import Any

import _framework_bench as fb
import _provider_bench as pb

CASES = ("ReAct, one tool call",)

PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("dspy"),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.dspy", "DSPyInstrumentor"),
        "openinference-instrumentation-dspy",
    ),
}

STEP = '[[ ## next_thought ## ]]\nLook it up.\n\n[[ ## next_tool_name ## ]]\nget_weather\n\n[[ ## next_tool_args ## ]]\n{"city": "Paris"}\n\n[[ ## completed ## ]]'
EXTRACT = (
    "[[ ## reasoning ## ]]\nThe tool said so.\n\n[[ ## answer ## ]]\nsunny\n\n[[ ## completed ## ]]"
)


def respond(path: str, body: dict[str, Any]) -> Any:
    """ReAct's step (its signature has ``next_tool_name``) calls the tool; the extraction
    step answers."""
    system = json.dumps([m for m in body.get("messages") or [] if m.get("role") == "system"])
    text = STEP if "next_tool_name" in system else EXTRACT
    message = {"role": "assistant", "content": text}
    completion = {
        "id": "chatcmpl-dspy-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35},
    }
    return 200, "application/json", json.dumps(completion).encode()


def _scenarios() -> dict[str, pb.Call]:
    import dspy
    import litellm

    # dspy.LM copies its keyword arguments (a client= cannot be copied): LiteLLM's own
    # hook for the httpx client its OpenAI clients use.
    litellm.client_session = fb.http_client(respond=respond)
    lm = dspy.LM(
        f"openai/{fb.MODEL}",
        api_base=fb.BASE_URL,
        api_key=fb.API_KEY,
        cache=False,
        num_retries=0,
        # DSPy 3.4 calls OpenAI natively unless told; 3.0 has only LiteLLM.
        **({"engine": "litellm"} if "engine" in signature(dspy.LM).parameters else {}),
    )
    react = dspy.ReAct("question -> answer", tools=[fb.get_weather], max_iters=1)

    def ask() -> None:
        with dspy.context(lm=lm):
            react(question=fb.QUESTION)

    return {CASES[0]: ask}


BENCH = fb.framework_bench(__file__, CASES, PEERS, _scenarios, seed=43)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
