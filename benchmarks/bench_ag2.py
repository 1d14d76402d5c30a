"""Latency each AG2 instrumentation adds to a two-agent chat, on a fake backend.

``_framework_bench``'s agent (one tool call, two model calls) in AG2's classic API
(``import autogen``, the 0.x line): an assistant with ``get_weather`` registered for the
model, a user agent that executes it, ``initiate_chat(max_turns=2)``; the assistant's
OpenAI SDK client (``http_client`` in the config entry) is on an in-process transport to
``examples/fake_openai.py``, no cache. The method of ``bench_langchain.py``
(``_provider_bench``'s toggled one). Peer: OpenInference's ``openinference-instrumentation-ag2``
(OpenLLMetry has no AG2 instrumentation; ``openinference-instrumentation-autogen`` is its
deprecated alias); the yardstick is ``_framework_bench``'s. Content capture is on for every
tool but "spanwise, content off". AG2 needs openai<3: workers run
with ``SPANWISE_BENCH_FRAMEWORKS_PYTHON`` (see ``_framework_bench``).

    python benchmarks/bench_ag2.py all        # this benchmark alone
    python benchmarks/bench_ag2.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys
from typing import Any

import _framework_bench as fb
import _provider_bench as pb

CASES = ("two-agent chat, one tool call",)

PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("ag2"),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.ag2", "AG2Instrumentor"),
        "openinference-instrumentation-ag2",
    ),
}


def agents() -> tuple[Any, Any]:
    """The user and the weather assistant on the fake."""
    from autogen import ConversableAgent

    # AG2 deep-copies its llm_config: the in-process client must copy as itself.
    client = fb.http_client()
    client.__class__ = type("Shared", (type(client),), {"__deepcopy__": lambda s, memo: s})
    entry = {
        "model": fb.MODEL,
        "base_url": fb.BASE_URL,
        "api_key": fb.API_KEY,
        "http_client": client,
    }
    config = {"config_list": [entry], "cache_seed": None}
    assistant = ConversableAgent("assistant", llm_config=config, description="Knows the weather")
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    user.register_for_execution()(
        assistant.register_for_llm(description="The weather in a city.")(fb.get_weather)
    )
    return user, assistant


class _Silent:
    """An AG2 IO stream that prints nothing: ``silent=True`` still prints tool calls and
    their results, and a worker's stdout is its report."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        pass

    def send(self, message: Any) -> None:
        pass

    def input(self, prompt: str = "", *, password: bool = False) -> str:
        return ""


def _scenarios() -> dict[str, pb.Call]:
    from autogen.io.base import IOStream

    IOStream.set_global_default(_Silent())  # pyright: ignore[reportArgumentType]
    user, assistant = agents()

    def chat() -> None:
        user.initiate_chat(assistant, message=fb.QUESTION, max_turns=2, silent=True)

    return {CASES[0]: chat}


BENCH = fb.framework_bench(__file__, CASES, PEERS, _scenarios, seed=59)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
