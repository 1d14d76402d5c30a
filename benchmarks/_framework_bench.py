"""What the agent-framework benchmarks share (``bench_langchain.py``, ``bench_llama_index.py``,
``bench_dspy.py``, ``bench_crewai.py``, ``bench_autogen_agentchat.py``, ``bench_ag2.py``).

Every scenario is the same small agent: asked ``QUESTION``, the model answers with a call
of ``get_weather``, the tool runs, and a second model call answers from its result (one
tool call, two model calls), on ``examples/fake_openai.py`` through an in-process httpx
transport (no socket). Each framework's bench declares its scenario and peers; the method
is ``_provider_bench``'s toggled one (worker processes per tool, interleaved rounds,
median and spread, content capture on).

The yardstick (a tool, not a peer) is the least any framework tracer does: one span per
agent run, per model call and per tool call, parented through the OTel context, no
attributes. Its spans open where every framework's run passes (the run's call, the fake
transport, the tool's body), so one yardstick serves every framework; off, each hook is
one flag test.

The frameworks' pins clash with ``.venv-bench``'s newest SDKs (openai<3 for LlamaIndex's
OpenAI LLM, CrewAI and AG2; protobuf 5 for autogen-core): their workers (every tool's, the
bare runs' too) run with the interpreter ``SPANWISE_BENCH_FRAMEWORKS_PYTHON`` names, which
``make bench`` sets to ``.venv-bench-frameworks`` (the frameworks and their peers, one
venv). Unset, each tool's row says so.

Only the standard library is imported at module level: a worker imports its tool first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import _provider_bench as pb

QUESTION = "Weather in Paris?"
MODEL = "gpt-4o-mini"
BASE_URL = "http://fake.local/v1"
API_KEY = "sk-bench"
# LiteLLM (DSPy, CrewAI) fetches its model cost map from the internet at import unless told
# not to; CrewAI's anonymous telemetry and platform tracing stay off; AutoGen's runtime
# messaging spans are AutoGen's own, not a tool's.
ENV = {
    **pb.CONTENT_ENV,
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "AUTOGEN_DISABLE_RUNTIME_TRACING": "true",
}
# The frameworks whose pins clash with .venv-bench's newest SDKs (openai<3, protobuf 5) run
# their workers with this interpreter (`make bench` sets it to .venv-bench-frameworks').
FRAMEWORKS_PYTHON_ENV = "SPANWISE_BENCH_FRAMEWORKS_PYTHON"

_on = [False]


@contextmanager
def _span(name: str) -> Generator[None]:
    if not _on[0]:
        yield
        return
    from opentelemetry import trace

    with trace.get_tracer("yardstick").start_as_current_span(name):
        yield


def get_weather(city: str) -> str:
    """The current weather in a city."""
    with _span("tool"):
        return f"sunny in {city}"


def _yardstick() -> pb.Toggle:
    """The shared yardstick's toggle (see the module docstring)."""

    def on() -> None:
        _on[0] = True

    def off() -> None:
        _on[0] = False

    return on, off


def traced_run(call: pb.Call) -> pb.Call:
    """``call`` under the yardstick's run span (when it is on)."""

    def run() -> None:
        with _span("agent"):
            call()

    return run


Respond = Callable[[str, dict[str, Any]], Any]


def http_client(asynchronous: bool = False, respond: Respond | None = None) -> Any:
    """An httpx client (of the httpx the installed openai SDK uses) answering with
    ``respond`` (default: ``fake_openai.respond``) in process, under the yardstick's model
    span."""
    import importlib

    from openai import _base_client

    if pb.EXAMPLES not in sys.path:
        sys.path.insert(0, pb.EXAMPLES)
    # The httpx the SDK checks clients against: httpx2 from openai 3.x on.
    names = vars(_base_client)
    httpx = names.get("httpx2") or names["httpx"]
    answer: Respond = respond or importlib.import_module("fake_openai").respond

    def handler(request: Any) -> Any:
        with _span("chat"):
            status, head, data = answer(request.url.path, json.loads(request.content or b"{}"))
        headers = {"content-type": head} if isinstance(head, str) else head
        return httpx.Response(status, headers=headers, content=data)

    transport = httpx.MockTransport(handler)
    return (
        httpx.AsyncClient(transport=transport)
        if asynchronous
        else httpx.Client(transport=transport)
    )


def openai_client(asynchronous: bool = False, respond: Respond | None = None) -> Any:
    """An OpenAI SDK client on ``http_client``; no retries."""
    import openai

    make = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return make(
        base_url=BASE_URL,
        api_key=API_KEY,
        max_retries=0,
        http_client=http_client(asynchronous, respond),
    )


def run_sync(make: Callable[[], Any]) -> pb.Call:
    """A call that runs the coroutine ``make()`` gives on one event loop kept for the
    worker (a new loop per run would be timed too)."""
    import asyncio

    loop = asyncio.new_event_loop()
    return lambda: loop.run_until_complete(make())


def framework_bench(
    file: str,
    cases: tuple[str, ...],
    peers: dict[str, pb.Peer],
    scenarios: Callable[[], dict[str, pb.Call]],
    *,
    seed: int,
    yardstick: pb.Peer | None = None,
    python_env: str | None = FRAMEWORKS_PYTHON_ENV,
) -> pb.ProviderBench:
    """A framework's bench: its peers, then the yardstick (the shared one unless given),
    each scenario run under the yardstick's run span; every worker runs with the
    interpreter ``python_env`` names, when set."""

    def toggled() -> dict[str, pb.Call]:
        return {case: traced_run(call) for case, call in scenarios().items()}

    tools = {**peers, pb.REFERENCE: yardstick or pb.Peer(_yardstick, "opentelemetry-sdk")}
    if python_env:
        tools = {name: replace(peer, python_env=python_env) for name, peer in tools.items()}
    return pb.ProviderBench(file, cases, tools, ENV, seed=seed, toggled=toggled)
